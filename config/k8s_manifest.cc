#include "config/k8s_manifest.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <utility>

namespace quotient::config {
namespace {

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

bool ParseManifest(std::string_view text, std::string_view source,
                   std::vector<ManifestObject>* objects, ConfigErrors* errors) {
  std::vector<YamlDocument> documents;
  if (!ParseYamlDocuments(text, source, &documents, errors)) return false;
  for (const YamlDocument& doc : documents) CollectObjects(doc.node, doc.first_line, objects);
  return true;
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
