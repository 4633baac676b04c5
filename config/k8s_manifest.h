// Kubernetes manifest files as `kubectl apply -f` takes them: one or more YAML documents
// ("---"), or JSON, each an object with a `kind`; a `kind: List` (what `kubectl get -o
// yaml` prints) stands for its `items`. Loaders of Quotient's CRD-shaped files use this
// to find their object among Namespaces and the like.
//
// Thread safety: pure functions.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/config_error.h"
#include "config/yaml_reader.h"

namespace quotient::config {

// Bounds of one file, past which it is refused with an error naming the limit.
inline constexpr size_t kMaxManifestObjects = 10'000;  // objects, a List's items counted
inline constexpr int kMaxListNesting = 8;              // Lists inside Lists

struct ManifestObject {
  YAML::Node node;        // the whole object; may be a scalar or a sequence in a broken file
  std::string kind;       // empty when absent or not a string
  int line = 0;           // 1-based, of the `kind` key, else of the object
  int document_line = 0;  // where its document starts: YamlLine's second argument
};

// Parses `text` into its objects in file order; null documents are skipped. On a YAML
// syntax error, a YAML bound crossed (CheckYamlBounds) or a bound above, appends it (with
// its line) to *errors and returns false. Never throws.
bool ParseManifest(std::string_view text, std::string_view source,
                   std::vector<ManifestObject>* objects, ConfigErrors* errors);

// The one object of `kind` among `objects`, ignoring other kinds. None, or more than one,
// is an error at path "kind" that names the lines of what was found (the first ten, then
// how many more); with several, the
// first is still returned so that its own problems can be reported too.
const ManifestObject* FindSingleObject(const std::vector<ManifestObject>& objects,
                                       std::string_view kind, std::string_view source,
                                       ConfigErrors* errors);

}  // namespace quotient::config
