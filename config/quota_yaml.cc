#include "config/quota_yaml.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "config/k8s_manifest.h"
#include "config/k8s_names.h"
#include "config/text_file.h"
#include "config/yaml_reader.h"
#include "quota/quantity.h"

namespace quotient::config {
namespace {

using quota::QuotaNodeSpec;

using Field = YamlField;

// Reads one ElasticQuotaTree object, collecting every problem. Besides the errors it
// remembers the line of every field it read, so that quota::ValidateQuotaSpec problems,
// which carry the node's line, can point at the offending field instead.
class TreeReader {
 public:
  TreeReader(std::string_view source, int document_line, ConfigErrors* errors)
      : source_(source),
        document_line_(document_line),
        errors_(errors),
        first_error_(errors->size()) {}

  void Error(int line, std::string path, std::string message) {
    errors_->push_back({source_, line, std::move(path), std::move(message)});
  }

  // Reads the object `doc` (kind already checked) into *root. Returns false if it has no
  // root node to validate.
  bool ReadObject(const YAML::Node& doc, QuotaNodeSpec* root) {
    std::optional<Field> spec;
    std::string api_version;
    ForEachField(doc, "", {"apiVersion", "kind", "metadata", "spec", "status"},
                 [&](const Field& f) {
                   if (f.key == "apiVersion") {
                     ReadString(f, &api_version);
                   } else if (f.key == "metadata") {
                     ReadMetadata(f);
                   } else if (f.key == "spec") {
                     spec = f;
                   }
                 });
    if (api_version != kElasticQuotaTreeApiVersion) {
      Error(FieldLine("apiVersion", Line(doc)), "apiVersion",
            fmt::format("must be {} for kind {}, got \"{}\"", kElasticQuotaTreeApiVersion,
                        kElasticQuotaTreeKind, api_version));
    }
    bool has_root = false;
    if (spec && spec->value.IsMap()) {
      ForEachField(spec->value, "spec", {"root"}, [&](const Field& f) {
        if (!f.value.IsMap()) {
          Error(f.line, f.path, "expected a quota node (a mapping with name, min, max, ...)");
          return;
        }
        has_root = true;
        ReadNode(f.value, f.path, /*level=*/1, root);
      });
    } else if (spec && !spec->value.IsNull()) {
      Error(spec->line, "spec", "expected a mapping with the field root");
      return false;
    }
    if (!has_root && !HasErrorAt("spec.root")) {
      Error(spec ? spec->line : Line(doc), "spec.root", "required: the root quota node");
    }
    return has_root;
  }

  // Appends the problems of quota::ValidateQuotaSpec as errors, at the line of the field
  // they name when it was read, and skips those under a path that already has an error
  // (a quantity that did not parse is absent from the spec and would be reported twice).
  void AddSpecProblems(const std::vector<quota::SpecProblem>& problems) {
    std::set<std::string, std::less<>> reported;
    for (size_t i = first_error_; i < errors_->size(); ++i) reported.insert((*errors_)[i].path);
    for (const quota::SpecProblem& problem : problems) {
      if (HasReportedAncestor(problem.path, reported)) continue;
      Error(FieldLine(problem.path, problem.line), problem.path, problem.message);
    }
  }

 private:
  int Line(const YAML::Node& node) const { return YamlLine(node, document_line_); }

  // True if `path` or a path it is under ("a.b" and "a" for "a.b[0]") is in `reported`.
  static bool HasReportedAncestor(std::string_view path,
                                  const std::set<std::string, std::less<>>& reported) {
    for (std::string_view p = path; !p.empty();) {
      if (reported.contains(p)) return true;
      size_t cut = p.find_last_of(".[");
      p = cut == std::string_view::npos ? std::string_view() : p.substr(0, cut);
    }
    return false;
  }

  bool HasErrorAt(std::string_view path) const {
    for (size_t i = first_error_; i < errors_->size(); ++i) {
      if ((*errors_)[i].path == path) return true;
    }
    return false;
  }

  // The line of `path` or of its nearest recorded ancestor; `fallback` if none. Resource
  // names hold dots ("min.nvidia.com/gpu"), so the walk tries every '.' cut.
  int FieldLine(std::string_view path, int fallback) const {
    for (std::string_view p = path; !p.empty();) {
      if (auto it = field_lines_.find(std::string(p)); it != field_lines_.end()) {
        return it->second;
      }
      size_t dot = p.rfind('.');
      p = dot == std::string_view::npos ? std::string_view() : p.substr(0, dot);
    }
    return fallback;
  }

  // Calls visit for every entry of the mapping `map` but repeated keys, which are
  // reported as a duplicate `what`. REQUIRES: map.IsMap().
  void ForEachEntry(const YAML::Node& map, std::string_view path, std::string_view what,
                    const std::function<void(const Field&)>& visit) {
    ForEachYamlEntry(map, path, document_line_, what, {}, ErrorSink(), [&](const Field& f) {
      field_lines_[f.path] = f.line;
      visit(f);
    });
  }

  // ForEachEntry for the fields of an object: keys not in `known` are reported.
  void ForEachField(const YAML::Node& map, std::string_view path,
                    std::initializer_list<std::string_view> known,
                    const std::function<void(const Field&)>& visit) {
    ForEachYamlEntry(map, path, document_line_, "field", known, ErrorSink(), [&](const Field& f) {
      field_lines_[f.path] = f.line;
      visit(f);
    });
  }

  YamlErrorSink ErrorSink() {
    return [this](int line, const std::string& path, std::string message) {
      Error(line, path, std::move(message));
    };
  }

  // A scalar field; false (with an error) for a null, sequence or mapping.
  bool ReadString(const Field& f, std::string* out) {
    if (!f.value.IsScalar()) {
      Error(f.line, f.path, "expected a string");
      return false;
    }
    *out = f.value.Scalar();
    return true;
  }

  void ReadMetadata(const Field& f) {
    if (f.value.IsNull()) return;
    if (!f.value.IsMap()) {
      Error(f.line, f.path, "expected a mapping (ObjectMeta)");
      return;
    }
    ForEachField(
        f.value, f.path,
        {"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
         "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
         "annotations", "ownerReferences", "finalizers", "managedFields", "clusterName"},
        [&](const Field& m) {
          std::string ignored;
          if (m.key == "name" || m.key == "namespace") ReadString(m, &ignored);
        });
  }

  // `level`: 1 for the root. Its children are read only up to kMaxQuotaDepth levels (the
  // YAML bounds already keep the recursion finite; this is the tree's own limit).
  void ReadNode(const YAML::Node& map, const std::string& path, int level, QuotaNodeSpec* node) {
    node->path = path;
    node->line = Line(map);
    field_lines_[path] = node->line;  // where the node's own problems point
    ++nodes_;
    ForEachField(map, path, {"name", "min", "max", "namespaces", "children", "attributes"},
                 [&](const Field& f) {
                   if (f.key == "name") {
                     ReadString(f, &node->name);
                   } else if (f.key == "min") {
                     ReadResources(f, &node->min);
                   } else if (f.key == "max") {
                     ReadResources(f, &node->max);
                   } else if (f.key == "namespaces") {
                     ReadNamespaces(f, &node->namespaces);
                   } else if (f.key == "attributes") {
                     ReadAttributes(f, &node->attributes);
                   } else if (f.key == "children") {
                     ReadChildren(f, level, &node->children);
                   }
                 });
  }

  void ReadResources(const Field& f, quota::ResourceList* out) {
    if (f.value.IsNull()) return;
    if (!f.value.IsMap()) {
      Error(f.line, f.path,
            "expected a mapping of resource name to quantity, e.g. {cpu: 4, memory: 16Gi}");
      return;
    }
    ForEachEntry(f.value, f.path, "resource", [&](const Field& r) {
      std::string message;
      int64_t amount = 0;
      const std::string scalar = r.value.IsScalar() ? r.value.Scalar() : std::string();
      if (ParseResourceEntry(r.key, r.value.IsScalar() ? &scalar : nullptr, &amount, &message)) {
        out->Set(r.key, amount);
      } else {
        Error(r.line, r.path, message);
      }
    });
  }

  void ReadNamespaces(const Field& f, std::vector<std::string>* out) {
    if (f.value.IsNull()) return;
    if (!f.value.IsSequence()) {
      Error(f.line, f.path, "expected a list of namespace names, e.g. [team-a, team-b]");
      return;
    }
    std::map<std::string, size_t> seen;
    size_t i = 0;
    for (const YAML::Node& item : f.value) {
      std::string path = fmt::format("{}[{}]", f.path, i);
      std::string reason;
      if (!item.IsScalar()) {
        Error(Line(item), path, "expected a namespace name");
      } else if (!ValidateDns1123Label(item.Scalar(), &reason)) {
        Error(Line(item), path, fmt::format("invalid namespace \"{}\": {}", item.Scalar(), reason));
      } else if (auto [it, inserted] = seen.emplace(item.Scalar(), i); !inserted) {
        Error(Line(item), path,
              fmt::format("namespace \"{}\" is listed twice (also at [{}])", item.Scalar(),
                          it->second));
      } else {
        out->push_back(item.Scalar());
      }
      ++i;
    }
  }

  void ReadAttributes(const Field& f, std::vector<std::pair<std::string, std::string>>* out) {
    if (f.value.IsNull()) return;
    if (!f.value.IsMap()) {
      Error(f.line, f.path, "expected a mapping of string to string");
      return;
    }
    ForEachEntry(f.value, f.path, "attribute", [&](const Field& a) {
      std::string reason;
      if (a.key.starts_with("quotient.io/") && a.key != quota::kAttributeNodeSelector) {
        Error(a.line, a.path,
              fmt::format("unknown Quotient attribute (known: {})", quota::kAttributeNodeSelector));
      } else if (!a.value.IsScalar()) {
        Error(a.line, a.path, "expected a string value");
      } else if (a.key == quota::kAttributeNodeSelector &&
                 !ValidateNodeSelector(a.value.Scalar(), &reason)) {
        Error(a.line, a.path,
              fmt::format("invalid node selector \"{}\": {}", a.value.Scalar(), reason));
      } else {
        out->emplace_back(a.key, a.value.Scalar());
      }
    });
  }

  void ReadChildren(const Field& f, int level, std::vector<QuotaNodeSpec>* out) {
    if (f.value.IsNull()) return;
    if (!f.value.IsSequence()) {
      Error(f.line, f.path, "expected a list of quota nodes");
      return;
    }
    if (level >= kMaxQuotaDepth && f.value.size() > 0) {
      Error(f.line, f.path,
            fmt::format("the tree is deeper than {} levels (the limit)", kMaxQuotaDepth));
      return;
    }
    size_t i = 0;
    for (const YAML::Node& item : f.value) {
      std::string path = fmt::format("{}[{}]", f.path, i++);
      if (!item.IsMap()) {
        Error(Line(item), path, "expected a quota node (a mapping with name, min, max, ...)");
        continue;
      }
      if (nodes_ >= kMaxQuotaNodes) {
        // Reported once; the rest of the tree is not read.
        if (nodes_++ == kMaxQuotaNodes) {
          Error(Line(item), path,
                fmt::format("the tree has more than {} quota nodes", kMaxQuotaNodes));
        }
        return;
      }
      out->emplace_back();
      ReadNode(item, path, level + 1, &out->back());
    }
  }

  std::string source_;
  int document_line_;  // of the object's document in the file
  ConfigErrors* errors_;
  size_t first_error_;  // errors before this load; not ours
  std::map<std::string, int> field_lines_;
  size_t nodes_ = 0;  // read so far; one more once the limit error is reported
};

}  // namespace

bool LoadQuotaTree(std::string_view text, std::string_view source, QuotaNodeSpec* root,
                   ConfigErrors* errors) {
  const size_t before = errors->size();
  try {
    std::vector<ManifestObject> objects;
    if (!ParseManifest(text, source, &objects, errors)) return false;
    const ManifestObject* tree = FindSingleObject(objects, kElasticQuotaTreeKind, source, errors);
    if (tree == nullptr) return false;
    QuotaNodeSpec loaded;
    TreeReader reader(source, tree->document_line, errors);
    if (reader.ReadObject(tree->node, &loaded)) {
      std::vector<quota::SpecProblem> problems;
      quota::ValidateQuotaSpec(loaded, &problems);
      reader.AddSpecProblems(problems);
    }
    // Top to bottom, as an operator reads the file (stable: a line's errors keep their order).
    std::stable_sort(errors->begin() + static_cast<std::ptrdiff_t>(before), errors->end(),
                     [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
    if (errors->size() == before) *root = std::move(loaded);
  } catch (const std::exception& e) {
    // yaml-cpp throws on misuse of a node; the readers check types first, so this is a
    // last line of defence that keeps a bad file from taking the process down.
    errors->push_back(
        {std::string(source), 0, "", fmt::format("cannot load the quota tree: {}", e.what())});
  }
  return errors->size() == before;
}

bool LoadQuotaTreeFile(const std::string& path, QuotaNodeSpec* root, ConfigErrors* errors,
                       uint64_t max_bytes) {
  std::string text;
  if (!ReadTextFile(path, max_bytes, &text, errors)) return false;
  return LoadQuotaTree(text, path, root, errors);
}

}  // namespace quotient::config
