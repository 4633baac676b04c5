#include "config/yaml_reader.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/depthguard.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

#include "config/values.h"

namespace quotient::config {
namespace {

// One YAML document of a file: its text and the 0-based line it starts on.
struct DocumentText {
  std::string_view text;
  int first_line = 0;
};

// True if `line` (with or without its newline) is the document marker `marker`: at the
// start of the line and followed by whitespace or nothing.
bool IsMarker(std::string_view line, std::string_view marker) {
  if (!line.starts_with(marker)) return false;
  return line.size() == marker.size() ||
         std::string_view(" \t\r\n").find(line[marker.size()]) != std::string_view::npos;
}

// Splits `text` at document markers as kubectl does: a line starting with "---" starts
// a document, a line starting with "..." ends one. (Markers may not appear in content.)
std::vector<DocumentText> SplitDocuments(std::string_view text) {
  std::vector<DocumentText> docs;
  size_t start = 0;
  int start_line = 0;
  int line = 0;
  for (size_t pos = 0; pos < text.size(); ++line) {
    size_t eol = text.find('\n', pos);
    size_t next = eol == std::string_view::npos ? text.size() : eol + 1;
    std::string_view content = text.substr(pos, next - pos);
    if (IsMarker(content, "---") && pos > start) {
      docs.push_back({text.substr(start, pos - start), start_line});
      start = pos;
      start_line = line;
    } else if (IsMarker(content, "...")) {
      docs.push_back({text.substr(start, next - start), start_line});
      start = next;
      start_line = line + 1;
    }
    pos = next;
  }
  if (start < text.size()) docs.push_back({text.substr(start), start_line});
  return docs;
}

// yaml-cpp 0.7 reads a document whose first token cannot start a node (",", "?", ...) as
// null and leaves the token unread (LoadAll then loops forever: jbeder/yaml-cpp#1040).
// Returns the 0-based line of the first content that is not a null, or -1.
int FindUnreadContent(const DocumentText& doc) {
  int line = doc.first_line;
  for (size_t pos = 0; pos < doc.text.size(); ++line) {
    size_t eol = doc.text.find('\n', pos);
    size_t next = eol == std::string_view::npos ? doc.text.size() : eol + 1;
    std::string_view content = doc.text.substr(pos, next - pos);
    pos = next;
    if (IsMarker(content, "---") || IsMarker(content, "...")) content.remove_prefix(3);
    size_t begin = content.find_first_not_of(" \t\r\n");
    if (begin == std::string_view::npos || content[begin] == '#' || content[begin] == '%') {
      continue;
    }
    content = content.substr(begin, content.find_last_not_of(" \t\r\n") + 1 - begin);
    if (content.starts_with("null") || content.starts_with("Null") || content.starts_with("NULL") ||
        content.starts_with("~")) {
      return -1;
    }
    return line;
  }
  return -1;
}

// CheckYamlBounds' walk over the expanded graph. yaml-cpp loads an alias as the very node
// it names, so a collection reached a second time is one the walk has seen: its expanded
// extent (nodes, levels) is remembered by its position in the text and counted again
// without walking it again, and one reached while still open is its own ancestor (a
// cycle). The walk is linear in the document's distinct nodes however much the aliases
// expand it. (A collection without a position, which a parsed document does not have, is
// walked every time, as are the nodes under it; the depth bound stops its cycles.)
class BoundsWalk {
 public:
  BoundsWalk(int document_line, std::string_view source, ConfigErrors* errors)
      : document_line_(document_line), source_(source), errors_(errors) {}

  // What a node expands to: its nodes (itself included) and its levels of collections
  // (0 for a scalar, 1 for a collection of scalars).
  struct Extent {
    size_t nodes = 1;
    int levels = 0;
  };

  // `node` at `depth` (the root's collections are at 0). Fills `out` when it returns true.
  bool Visit(const YAML::Node& node, int depth, Extent* out) {
    *out = Extent{};
    if (!node.IsMap() && !node.IsSequence()) return Count(node, 1);
    std::optional<size_t> key;  // its entry in seen_, when it has a position
    if (const YAML::Mark mark = node.Mark(); !mark.is_null()) {
      auto [it, inserted] = seen_.try_emplace(mark.pos, Seen{node, true, {}});
      if (!inserted && it->second.node.is(node)) {
        if (it->second.open) return Fail(node, "an alias makes this node contain itself (a cycle)");
        *out = it->second.extent;  // an alias of a collection walked before
        if (depth + out->levels - 1 > kMaxYamlDepth) return FailDepth(node);
        return Count(node, out->nodes);
      }
      if (inserted) key = mark.pos;
    }
    if (depth > kMaxYamlDepth) {
      for (const YAML::Node& ancestor : path_) {  // only nodes without a position get here
        if (ancestor.is(node)) {
          return Fail(node, "an alias makes this node contain itself (a cycle)");
        }
      }
      return FailDepth(node);
    }
    if (!Count(node, 1)) return false;
    path_.push_back(node);
    bool ok = true;
    auto add = [&](const YAML::Node& child) {
      Extent extent;
      ok = Visit(child, depth + 1, &extent);
      out->nodes += extent.nodes;
      out->levels = std::max(out->levels, extent.levels);
    };
    if (node.IsMap()) {
      for (auto it = node.begin(); ok && it != node.end(); ++it) {
        add(it->first);
        if (ok) add(it->second);
      }
    } else {
      for (auto it = node.begin(); ok && it != node.end(); ++it) add(*it);
    }
    path_.pop_back();
    out->levels += 1;
    if (ok && key.has_value()) {
      Seen& entry = seen_.at(*key);
      entry.open = false;
      entry.extent = *out;
    }
    return ok;
  }

 private:
  struct Seen {
    YAML::Node node;   // to tell it from another node at the same position, were there one
    bool open = true;  // being walked: on the path from the root
    Extent extent;     // once walked
  };

  // Adds `nodes` expanded nodes, failing at `at` past kMaxYamlNodes.
  bool Count(const YAML::Node& at, size_t nodes) {
    visited_ += nodes;
    if (visited_ <= kMaxYamlNodes) return true;
    return Fail(at, fmt::format("the document expands to more than {} YAML nodes through "
                                "aliases (the limit)",
                                kMaxYamlNodes));
  }
  bool FailDepth(const YAML::Node& at) {
    return Fail(at, fmt::format("nested more than {} levels deep (the limit), aliases expanded",
                                kMaxYamlDepth));
  }
  bool Fail(const YAML::Node& at, std::string message) {
    errors_->push_back(
        {std::string(source_), YamlLine(at, document_line_), "", std::move(message)});
    return false;
  }

  int document_line_;
  std::string_view source_;
  ConfigErrors* errors_;
  size_t visited_ = 0;
  std::vector<YAML::Node> path_;           // the collections from the root to the current one
  std::unordered_map<size_t, Seen> seen_;  // collections by their position in the text
};

}  // namespace

bool CheckYamlBounds(const YAML::Node& node, int document_line, std::string_view source,
                     ConfigErrors* errors) {
  BoundsWalk::Extent extent;
  return BoundsWalk(document_line, source, errors).Visit(node, 0, &extent);
}

std::string JoinPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

int YamlLine(const YAML::Node& node, int document_line) {
  if (!node.IsDefined() || node.Mark().is_null()) return 0;
  return document_line + node.Mark().line + 1;
}

void ForEachYamlEntry(const YAML::Node& map, std::string_view path, int document_line,
                      std::string_view what, std::initializer_list<std::string_view> known,
                      const YamlErrorSink& error,
                      const std::function<void(const YamlField&)>& visit) {
  std::map<std::string, int> seen;
  for (const auto& item : map) {
    YamlField f{item.first.IsScalar() ? item.first.Scalar() : "", item.second, "",
                YamlLine(item.first, document_line)};
    f.path = f.key.empty() ? std::string(path) : JoinPath(path, f.key);
    if (auto [it, inserted] = seen.emplace(f.key, f.line); !inserted) {
      error(f.line, f.path, fmt::format("duplicate {} (also at line {})", what, it->second));
      continue;
    }
    bool is_known = known.size() == 0;
    for (std::string_view k : known) is_known = is_known || k == f.key;
    if (!is_known) {
      error(f.line, f.path,
            fmt::format("unknown field (known fields: {})", fmt::join(known, ", ")));
      continue;
    }
    visit(f);
  }
}

bool ParseYamlDocuments(std::string_view text, std::string_view source,
                        std::vector<YamlDocument>* documents, ConfigErrors* errors) {
  int document_line = 0;
  try {
    for (const DocumentText& doc : SplitDocuments(text)) {
      document_line = doc.first_line;
      YAML::Node node = YAML::Load(std::string(doc.text));
      if (int line = node.IsNull() ? FindUnreadContent(doc) : -1; line >= 0) {
        errors->push_back({std::string(source), line + 1, "",
                           "invalid YAML: unexpected character at the start of a document"});
        return false;
      }
      if (!CheckYamlBounds(node, doc.first_line, source, errors)) return false;
      documents->push_back(
          {std::move(node), doc.first_line, static_cast<size_t>(doc.text.data() - text.data())});
    }
    return true;
  } catch (const YAML::DeepRecursion& e) {  // yaml-cpp gives it the message "bad file"
    errors->push_back({std::string(source), document_line + e.mark.line + 1, "",
                       fmt::format("invalid YAML: nested more than {} levels deep", e.depth())});
  } catch (const YAML::Exception& e) {
    errors->push_back({std::string(source), e.mark.is_null() ? 0 : document_line + e.mark.line + 1,
                       "", fmt::format("invalid YAML: {}", e.msg)});
  } catch (const std::exception& e) {  // std::bad_alloc on a huge document
    errors->push_back({std::string(source), 0, "", fmt::format("cannot parse: {}", e.what())});
  }
  return false;
}

std::vector<const YamlDocument*> ContentDocuments(const std::vector<YamlDocument>& documents) {
  std::vector<const YamlDocument*> content;
  for (const YamlDocument& doc : documents) {
    if (doc.node.IsDefined() && !doc.node.IsNull()) content.push_back(&doc);
  }
  return content;
}

ConfigError SecondDocumentError(std::string_view source,
                                const std::vector<const YamlDocument*>& content) {
  return {std::string(source), YamlLine(content[1]->node, content[1]->first_line), "",
          fmt::format("a second YAML document (the first starts at line {}): this file is one "
                      "mapping; merge the two",
                      YamlLine(content[0]->node, content[0]->first_line))};
}

bool YamlReader::Parse(std::string_view text, YAML::Node* root) {
  std::vector<YamlDocument> documents;
  if (!ParseYamlDocuments(text, source_, &documents, errors_)) return false;
  const std::vector<const YamlDocument*> content = ContentDocuments(documents);
  if (content.size() > 1) {
    errors_->push_back(SecondDocumentError(source_, content));
    return false;
  }
  if (content.empty()) {
    *root = YAML::Node();
    document_line_ = 0;
    return true;
  }
  root->reset(content[0]->node);
  document_line_ = content[0]->first_line;
  return true;
}

void YamlReader::Error(const YAML::Node& at, std::string_view path, std::string message) {
  errors_->push_back(
      {source_, YamlLine(at, document_line_), std::string(path), std::move(message)});
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
