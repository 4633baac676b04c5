#include "config/k8s_manifest.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <utility>

namespace quotient::config {
namespace {

// Appends the objects of `doc`, a List's items in its place. The graph is bounded
// (CheckYamlBounds: no cycle, kMaxYamlDepth); the explicit bounds here keep that true of
// this recursion on its own. False (with an error) past kMaxManifestObjects or
// kMaxListNesting.
bool CollectObjects(const YAML::Node& doc, int document_line, int depth, std::string_view source,
                    std::vector<ManifestObject>* out, ConfigErrors* errors) {
  if (!doc.IsDefined() || doc.IsNull()) return true;
  ManifestObject object{doc, "", YamlLine(doc, document_line), document_line};
  if (doc.IsMap()) {
    for (const auto& item : doc) {
      if (item.first.IsScalar() && item.first.Scalar() == "kind" && item.second.IsScalar()) {
        object.kind = item.second.Scalar();
        object.line = YamlLine(item.first, document_line);
      }
    }
    if (object.kind == "List") {
      if (depth >= kMaxListNesting) {
        errors->push_back(
            {std::string(source), object.line, "kind",
             fmt::format("a List nested in more than {} Lists (the limit)", kMaxListNesting)});
        return false;
      }
      for (const auto& item : doc) {
        if (item.first.IsScalar() && item.first.Scalar() == "items" && item.second.IsSequence()) {
          for (const auto& element : item.second) {
            if (!CollectObjects(element, document_line, depth + 1, source, out, errors)) {
              return false;
            }
          }
          return true;
        }
      }
    }
  }
  if (out->size() >= kMaxManifestObjects) {
    errors->push_back(
        {std::string(source), object.line, "",
         fmt::format("more than {} objects in the file (the limit)", kMaxManifestObjects)});
    return false;
  }
  out->push_back(std::move(object));
  return true;
}

std::string Describe(const ManifestObject& object) {
  if (!object.kind.empty()) return fmt::format("{} at line {}", object.kind, object.line);
  return fmt::format("an object without kind at line {}", object.line);
}

}  // namespace

bool ParseManifest(std::string_view text, std::string_view source,
                   std::vector<ManifestObject>* objects, ConfigErrors* errors) {
  std::vector<YamlDocument> documents;
  if (!ParseYamlDocuments(text, source, &documents, errors)) return false;
  for (const YamlDocument& doc : documents) {
    if (!CollectObjects(doc.node, doc.first_line, 0, source, objects, errors)) return false;
  }
  return true;
}

const ManifestObject* FindSingleObject(const std::vector<ManifestObject>& objects,
                                       std::string_view kind, std::string_view source,
                                       ConfigErrors* errors) {
  const ManifestObject* found = nullptr;
  std::vector<std::string> others;  // the first kMaxNamed; the rest are counted
  constexpr size_t kMaxNamed = 10;
  size_t unnamed = 0;
  for (const ManifestObject& object : objects) {
    if (object.kind != kind) {
      if (others.size() < kMaxNamed) {
        others.push_back(Describe(object));
      } else {
        ++unnamed;
      }
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
    errors->push_back(
        {std::string(source), objects.empty() ? 0 : objects.front().line, "kind",
         objects.empty()
             ? fmt::format("no {} in the file: it is empty", kind)
             : fmt::format("no {} in the file (found {}{})", kind, fmt::join(others, ", "),
                           unnamed == 0 ? std::string() : fmt::format(" and {} more", unnamed))});
  }
  return found;
}

}  // namespace quotient::config
