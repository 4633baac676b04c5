// Reads typed settings out of a yaml-cpp tree while collecting every problem with its
// field path and line (ConfigError), so loaders report all errors at once.
//
// Thread safety: thread-compatible (one reader per load).
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_error.h"

namespace quotient::config {

// "server" + "limits" -> "server.limits"; "" + "x" -> "x".
std::string JoinPath(std::string_view parent, std::string_view key);

class YamlReader {
 public:
  YamlReader(std::string source, ConfigErrors* errors) : source_(std::move(source)), errors_(errors) {}

  // Parses `text`; on a syntax error records it (with its line) and returns false.
  bool Parse(std::string_view text, YAML::Node* root);

  void Error(const YAML::Node& at, std::string_view path, std::string message);

  // True if `node` is a map (or null/undefined, treated as empty). Reports keys not in
  // `known` as unknown fields.
  bool Map(const YAML::Node& node, std::string_view path,
           std::initializer_list<std::string_view> known);

  // Scalar fields of `map[key]`: absent or null leaves *out unchanged.
  void String(const YAML::Node& map, std::string_view key, std::string_view path,
              std::string* out);
  void Bool(const YAML::Node& map, std::string_view key, std::string_view path, bool* out);
  void Int(const YAML::Node& map, std::string_view key, std::string_view path, int64_t min,
           int64_t max, int64_t* out);
  void Duration(const YAML::Node& map, std::string_view key, std::string_view path,
                std::chrono::milliseconds* out);
  void ByteSize(const YAML::Node& map, std::string_view key, std::string_view path,
                uint64_t* out);

  // A sequence of scalars; absent or null leaves *out unchanged.
  void StringList(const YAML::Node& map, std::string_view key, std::string_view path,
                  std::vector<std::string>* out);

  // Reads map[key] as a scalar string; false (with an error) if not a scalar.
  bool Scalar(const YAML::Node& map, std::string_view key, std::string_view path,
              std::string* out);

  const std::string& source() const { return source_; }

 private:
  std::string source_;
  ConfigErrors* errors_;
};

}  // namespace quotient::config
