// Kubernetes manifest files as `kubectl apply -f` takes them: one or more YAML documents
// ("---"), or JSON, each an object with a `kind`; a `kind: List` (what `kubectl get -o
// yaml` prints) stands for its `items`. Loaders of Quotient's CRD-shaped files use this
// to find their object among Namespaces and the like.
//
// Thread safety: pure functions.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_error.h"

namespace quotient::config {

// The 1-based line in the file of `node`, a node of a document that starts on the 0-based
// line `document_line` of the file (yaml-cpp counts from the document's start); 0 when
// the node has no position (undefined, or built in code).
int YamlLine(const YAML::Node& node, int document_line);

// One entry of a YAML mapping as the config readers see it. `line` is the key's line (the
// line an operator looks at); `path` is the parent's path joined with the key (the
// parent's own path for an empty or non-scalar key).
struct YamlField {
  std::string key;
  YAML::Node value;
  std::string path;
  int line = 0;
};

using YamlErrorSink = std::function<void(int line, const std::string& path, std::string message)>;

// Visits each entry of the mapping `map` once (REQUIRES: map.IsMap()). A repeated key is
// reported through `error` as "duplicate <what> (also at line N)"; when `known` is not
// empty, a key outside it is reported as an unknown field. Lines as YamlLine.
void ForEachYamlEntry(const YAML::Node& map, std::string_view path, int document_line,
                      std::string_view what, std::initializer_list<std::string_view> known,
                      const YamlErrorSink& error,
                      const std::function<void(const YamlField&)>& visit);

struct ManifestObject {
  YAML::Node node;        // the whole object; may be a scalar or a sequence in a broken file
  std::string kind;       // empty when absent or not a string
  int line = 0;           // 1-based, of the `kind` key, else of the object
  int document_line = 0;  // where its document starts: YamlLine's second argument
};

// Parses `text` into its objects in file order; null documents are skipped. On a YAML
// syntax error appends it (with its line) to *errors and returns false. Never throws.
bool ParseManifest(std::string_view text, std::string_view source,
                   std::vector<ManifestObject>* objects, ConfigErrors* errors);

// The one object of `kind` among `objects`, ignoring other kinds. None, or more than one,
// is an error at path "kind" that names the lines of what was found; with several, the
// first is still returned so that its own problems can be reported too.
const ManifestObject* FindSingleObject(const std::vector<ManifestObject>& objects,
                                       std::string_view kind, std::string_view source,
                                       ConfigErrors* errors);

}  // namespace quotient::config
