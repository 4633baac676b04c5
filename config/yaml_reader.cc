#include "config/yaml_reader.h"

#include <fmt/format.h>

#include <charconv>

#include "config/values.h"

namespace quotient::config {

std::string JoinPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

bool YamlReader::Parse(std::string_view text, YAML::Node* root) {
  try {
    *root = YAML::Load(std::string(text));
    return true;
  } catch (const YAML::Exception& e) {
    errors_->push_back({source_, e.mark.is_null() ? 0 : e.mark.line + 1, "",
                        fmt::format("invalid YAML: {}", e.msg)});
    return false;
  }
}

void YamlReader::Error(const YAML::Node& at, std::string_view path, std::string message) {
  int line = 0;
  if (at.IsDefined() && !at.Mark().is_null()) line = at.Mark().line + 1;
  errors_->push_back({source_, line, std::string(path), std::move(message)});
}

bool YamlReader::Map(const YAML::Node& node, std::string_view path,
                     std::initializer_list<std::string_view> known) {
  if (!node.IsDefined() || node.IsNull()) return true;
  if (!node.IsMap()) {
    Error(node, path, "expected a mapping");
    return false;
  }
  for (const auto& item : node) {
    std::string key = item.first.IsScalar() ? item.first.Scalar() : "";
    bool found = false;
    for (std::string_view k : known) found = found || k == key;
    if (!found) {
      std::string expected;
      for (std::string_view k : known) expected += (expected.empty() ? "" : ", ") + std::string(k);
      Error(item.first, JoinPath(path, key),
            fmt::format("unknown field (known fields: {})", expected));
    }
  }
  return true;
}

bool YamlReader::Scalar(const YAML::Node& map, std::string_view key, std::string_view path,
                        std::string* out) {
  if (!map.IsMap()) return false;
  YAML::Node node = map[std::string(key)];
  if (!node.IsDefined() || node.IsNull()) return false;
  if (!node.IsScalar()) {
    Error(node, JoinPath(path, key), "expected a scalar value");
    return false;
  }
  *out = node.Scalar();
  return true;
}

void YamlReader::String(const YAML::Node& map, std::string_view key, std::string_view path,
                        std::string* out) {
  std::string value;
  if (Scalar(map, key, path, &value)) *out = value;
}

void YamlReader::StringList(const YAML::Node& map, std::string_view key, std::string_view path,
                            std::vector<std::string>* out) {
  if (!map.IsMap()) return;
  YAML::Node node = map[std::string(key)];
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsSequence()) {
    Error(node, JoinPath(path, key), "expected a list");
    return;
  }
  std::vector<std::string> values;
  for (size_t i = 0; i < node.size(); ++i) {
    if (!node[i].IsScalar()) {
      Error(node[i], fmt::format("{}[{}]", JoinPath(path, key), i), "expected a scalar value");
      return;
    }
    values.push_back(node[i].Scalar());
  }
  *out = std::move(values);
}

void YamlReader::Bool(const YAML::Node& map, std::string_view key, std::string_view path,
                      bool* out) {
  std::string value;
  if (!Scalar(map, key, path, &value)) return;
  if (value == "true") {
    *out = true;
  } else if (value == "false") {
    *out = false;
  } else {
    Error(map[std::string(key)], JoinPath(path, key),
          fmt::format("expected true or false, got \"{}\"", value));
  }
}

void YamlReader::Int(const YAML::Node& map, std::string_view key, std::string_view path,
                     int64_t min, int64_t max, int64_t* out) {
  std::string value;
  if (!Scalar(map, key, path, &value)) return;
  int64_t parsed = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (ec != std::errc() || ptr != value.data() + value.size() || parsed < min || parsed > max) {
    Error(map[std::string(key)], JoinPath(path, key),
          fmt::format("expected an integer in [{}, {}], got \"{}\"", min, max, value));
    return;
  }
  *out = parsed;
}

void YamlReader::Duration(const YAML::Node& map, std::string_view key, std::string_view path,
                          std::chrono::milliseconds* out) {
  std::string value;
  if (!Scalar(map, key, path, &value)) return;
  std::string error;
  if (!ParseDuration(value, out, &error)) Error(map[std::string(key)], JoinPath(path, key), error);
}

void YamlReader::ByteSize(const YAML::Node& map, std::string_view key, std::string_view path,
                          uint64_t* out) {
  std::string value;
  if (!Scalar(map, key, path, &value)) return;
  std::string error;
  if (!ParseByteSize(value, out, &error)) Error(map[std::string(key)], JoinPath(path, key), error);
}

}  // namespace quotient::config
