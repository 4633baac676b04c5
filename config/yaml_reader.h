// Reads YAML for every loader of config/: a text split into documents, mapping entries
// with their lines, and typed settings out of a yaml-cpp tree, collecting every problem
// with its field path and line (ConfigError), so loaders report all errors at once.
//
// Thread safety: thread-compatible (one reader per load).
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_error.h"

namespace quotient::config {

// "server" + "limits" -> "server.limits"; "" + "x" -> "x".
std::string JoinPath(std::string_view parent, std::string_view key);

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

// What one YAML document may make a reader do. yaml-cpp loads an alias as the very node it
// names, so a text of a few hundred bytes can be a graph that is deep, exponentially large
// once expanded (a list of lists of aliases) or cyclic (`&r {children: [*r]}`); the
// readers walk it expanded. Every document is checked against these bounds before a
// reader sees it, so that no reader needs its own.
inline constexpr int kMaxYamlDepth = 64;            // nested mappings and sequences
inline constexpr size_t kMaxYamlNodes = 1'000'000;  // nodes, every alias expanded

// True if `node` (of a document starting on the 0-based line `document_line`) is no
// deeper than kMaxYamlDepth, expands to at most kMaxYamlNodes nodes and contains no
// collection that contains itself. Otherwise appends one error naming the line and the
// limit and returns false. The walk visits each collection of the text once (an alias
// of one already walked counts its remembered extent again), so it costs steps linear in
// the document's size however much its aliases expand, and at most kMaxYamlDepth frames of
// stack; it stops at the first bound crossed. A cycle is found when a collection is
// reached again while it is still being walked.
bool CheckYamlBounds(const YAML::Node& node, int document_line, std::string_view source,
                     ConfigErrors* errors);

// One YAML document of a text, loaded: its root node, the 0-based line of the text it
// starts on (YamlLine's `document_line`) and its first byte in the text (yaml-cpp's marks
// count from the document's start).
struct YamlDocument {
  YAML::Node node;
  int first_line = 0;
  size_t offset = 0;
};

// Splits `text` into documents as kubectl does (a line starting with "---" begins one,
// "..." ends one) and loads each on its own, never with YAML::LoadAll, which does not
// return on some invalid input (a document starting with ","). Null documents are kept.
// Each document is checked by CheckYamlBounds. On a YAML error or a bound crossed appends
// it with its line (of the file) to *errors and returns false.
// Never throws.
bool ParseYamlDocuments(std::string_view text, std::string_view source,
                        std::vector<YamlDocument>* documents, ConfigErrors* errors);

// The documents that hold content, in order: null ones (empty, or only comments and
// markers) are left out. For the files that are one document (settings, GPU catalog,
// scenario). The pointers point into `documents`.
std::vector<const YamlDocument*> ContentDocuments(const std::vector<YamlDocument>& documents);
// The error of a file that must be one mapping and holds a second content document, on that
// document's line: "a second YAML document (the first starts at line 1): this file is one
// mapping; merge the two". REQUIRES: content.size() > 1.
ConfigError SecondDocumentError(std::string_view source,
                                const std::vector<const YamlDocument*>& content);

class YamlReader {
 public:
  YamlReader(std::string source, ConfigErrors* errors)
      : source_(std::move(source)), errors_(errors) {}

  // Parses `text` as one document (ParseYamlDocuments: split at markers, each part checked
  // by CheckYamlBounds); empty documents around it are ignored, and no content at all gives
  // a null root. On a syntax error, a bound crossed or a second document with content,
  // records it (with its line in `text`) and returns false. Never throws.
  bool Parse(std::string_view text, YAML::Node* root);

  void Error(const YAML::Node& at, std::string_view path, std::string message);

  // True if `node` is a map (or null/undefined, treated as empty). Reports keys not in
  // `known` as unknown fields.
  bool Map(const YAML::Node& node, std::string_view path,
           std::initializer_list<std::string_view> known);

  // Scalar fields of `map[key]`: absent or null leaves *out unchanged.
  void String(const YAML::Node& map, std::string_view key, std::string_view path, std::string* out);
  void Bool(const YAML::Node& map, std::string_view key, std::string_view path, bool* out);
  void Int(const YAML::Node& map, std::string_view key, std::string_view path, int64_t min,
           int64_t max, int64_t* out);
  void Duration(const YAML::Node& map, std::string_view key, std::string_view path,
                std::chrono::milliseconds* out);
  void ByteSize(const YAML::Node& map, std::string_view key, std::string_view path, uint64_t* out);

  // A sequence of scalars; absent or null leaves *out unchanged.
  void StringList(const YAML::Node& map, std::string_view key, std::string_view path,
                  std::vector<std::string>* out);

  // Reads map[key] as a scalar string; false (with an error) if not a scalar.
  bool Scalar(const YAML::Node& map, std::string_view key, std::string_view path, std::string* out);

  const std::string& source() const { return source_; }

 private:
  std::string source_;
  ConfigErrors* errors_;
  int document_line_ = 0;  // the 0-based line of `text` the parsed document starts on
};

}  // namespace quotient::config
