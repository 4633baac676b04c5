#include "config/k8s_manifest.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/depthguard.h>

#include <exception>
#include <map>
#include <utility>

#include "config/yaml_reader.h"

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

void CollectObjects(const YAML::Node& doc, int document_line, std::vector<ManifestObject>* out) {
  if (!doc.IsDefined() || doc.IsNull()) return;
  ManifestObject object{doc, "", YamlLine(doc, document_line), document_line};
  if (doc.IsMap()) {
    for (const auto& item : doc) {
      if (item.first.IsScalar() && item.first.Scalar() == "kind" && item.second.IsScalar()) {
        object.kind = item.second.Scalar();
        object.line = YamlLine(item.first, document_line);
      }
    }
    if (object.kind == "List") {
      for (const auto& item : doc) {
        if (item.first.IsScalar() && item.first.Scalar() == "items" && item.second.IsSequence()) {
          for (const auto& element : item.second) CollectObjects(element, document_line, out);
          return;
        }
      }
    }
  }
  out->push_back(std::move(object));
}

std::string Describe(const ManifestObject& object) {
  if (!object.kind.empty()) return fmt::format("{} at line {}", object.kind, object.line);
  return fmt::format("an object without kind at line {}", object.line);
}

}  // namespace

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

bool ParseManifest(std::string_view text, std::string_view source,
                   std::vector<ManifestObject>* objects, ConfigErrors* errors) {
  // Documents are loaded one at a time rather than with YAML::LoadAll, which never
  // returns on some invalid input (see FindUnreadContent).
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
      CollectObjects(node, doc.first_line, objects);
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

const ManifestObject* FindSingleObject(const std::vector<ManifestObject>& objects,
                                       std::string_view kind, std::string_view source,
                                       ConfigErrors* errors) {
  const ManifestObject* found = nullptr;
  std::vector<std::string> others;
  for (const ManifestObject& object : objects) {
    if (object.kind != kind) {
      others.push_back(Describe(object));
    } else if (found == nullptr) {
      found = &object;
    } else {
      errors->push_back(
          {std::string(source), object.line, "kind",
           fmt::format("a second {} (the first is at line {}); a file holds exactly one", kind,
                       found->line)});
    }
  }
  if (found == nullptr) {
    errors->push_back({std::string(source), objects.empty() ? 0 : objects.front().line, "kind",
                       objects.empty() ? fmt::format("no {} in the file: it is empty", kind)
                                       : fmt::format("no {} in the file (found {})", kind,
                                                     fmt::join(others, ", "))});
  }
  return found;
}

}  // namespace quotient::config
