#include "config/scenario.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/k8s_manifest.h"
#include "config/k8s_names.h"
#include "config/quota_yaml.h"
#include "config/text_file.h"
#include "config/yaml_reader.h"

namespace quotient::config {
namespace {

// A map entry: its key, value, field path and the key's line (what an operator looks at).
using Field = YamlField;

std::string Indexed(std::string_view path, size_t i) {
  return fmt::format("{}[{}]", path, i);
}

// Reads one scenario document, collecting every problem. `text` is the whole file and the
// document starts at its byte `offset`, on its 0-based line `document_line` (yaml-cpp's
// marks count from the document's start): errors name the file's lines, and an inline
// quota is re-read from the file's bytes.
class ScenarioReader {
 public:
  ScenarioReader(std::string_view text, std::string_view source, ConfigErrors* errors,
                 int document_line, size_t offset)
      : text_(text),
        source_(source),
        errors_(errors),
        document_line_(document_line),
        offset_(offset) {}

  void Read(const YAML::Node& doc, Scenario* out) {
    if (!doc.IsMap()) {
      Error(Line(doc), "", "expected a mapping with the fields nodes, quota or quotaFile, steps");
      return;
    }
    std::optional<Field> quota, quota_file, nodes, steps;
    std::optional<Field> classes;
    ForEachField(doc, "", {"nodes", "quota", "quotaFile", "steps", "deviceClasses"},
                 [&](const Field& f) {
                   if (f.key == "deviceClasses") classes = f;
                   if (f.key == "nodes") nodes = f;
                   if (f.key == "quota") quota = f;
                   if (f.key == "quotaFile") quota_file = f;
                   if (f.key == "steps") steps = f;
                 });
    const int top = Line(doc);
    if (classes) ReadDeviceClasses(*classes, &out->device_classes);
    if (nodes) ReadNodes(*nodes, &out->nodes);
    if (!nodes) Error(top, "nodes", "required: at least one node");
    if (quota && quota_file) {
      Error(quota_file->line, "quotaFile", "give either quota or quotaFile, not both");
    } else if (quota) {
      ReadInlineQuota(*quota, doc, &out->quota);
    } else if (quota_file) {
      ReadQuotaFile(*quota_file, &out->quota);
    } else {
      Error(top, "quota", "required: an ElasticQuotaTree in quota, or its file in quotaFile");
    }
    if (steps) ReadSteps(*steps, &out->steps);
    if (!steps) Error(top, "steps", "required: at least one step");
  }

 private:
  void Error(int line, std::string path, std::string message) {
    errors_->push_back({source_, line, std::move(path), std::move(message)});
  }

  // Visits every entry of `map` once; duplicated keys and keys not in `known` (unless it
  // is empty: any key) are reported instead. Returns false if `map` is not a mapping.
  bool ForEachField(const YAML::Node& map, const std::string& path,
                    std::initializer_list<std::string_view> known,
                    const std::function<void(const Field&)>& visit) {
    if (!map.IsMap()) {
      Error(Line(map), path,
            known.size() == 0
                ? std::string("expected a mapping")
                : fmt::format("expected a mapping with the fields {}", fmt::join(known, ", ")));
      return false;
    }
    ForEachYamlEntry(
        map, path, document_line_, "field", known,
        [this](int line, const std::string& p, std::string message) {
          Error(line, p, std::move(message));
        },
        visit);
    return true;
  }

  bool String(const Field& f, std::string* out) {
    if (!f.value.IsScalar()) {
      Error(f.line, f.path, "expected a string");
      return false;
    }
    *out = f.value.Scalar();
    return true;
  }

  bool Int(const Field& f, int64_t min, int64_t max, int64_t* out) {
    std::string s = f.value.IsScalar() ? f.value.Scalar() : "";
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || v < min || v > max) {
      Error(f.line, f.path,
            fmt::format("expected an integer in [{}, {}], got \"{}\"", min, max, s));
      return false;
    }
    *out = v;
    return true;
  }

  void Bool(const Field& f, bool* out) {
    std::string s = f.value.IsScalar() ? f.value.Scalar() : "";
    if (s != "true" && s != "false") {
      Error(f.line, f.path, fmt::format("expected true or false, got \"{}\"", s));
      return;
    }
    *out = s == "true";
  }

  // A name validated by `validate` (one of k8s_names.h).
  bool Name(const Field& f, bool (*validate)(std::string_view, std::string*), std::string* out) {
    std::string reason;
    if (!String(f, out)) return false;
    if (validate(*out, &reason)) return true;
    Error(f.line, f.path, fmt::format("invalid name \"{}\": {}", *out, reason));
    return false;
  }

  void Resources(const Field& f, quota::ResourceList* out) {
    if (f.value.IsNull()) return;
    ForEachField(f.value, f.path, {}, [&](const Field& r) {
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

  // string -> string; node labels are validated as Kubernetes validates them.
  void Pairs(const Field& f, bool labels, StringPairs* out) {
    if (f.value.IsNull()) return;
    ForEachField(f.value, f.path, {}, [&](const Field& p) {
      std::string reason;
      if (!p.value.IsScalar()) {
        Error(p.line, p.path, "expected a string value");
      } else if (labels && !ValidateQualifiedName(p.key, &reason)) {
        Error(p.line, p.path, fmt::format("invalid label key \"{}\": {}", p.key, reason));
      } else if (labels && !ValidateLabelValue(p.value.Scalar(), &reason)) {
        Error(p.line, p.path,
              fmt::format("invalid label value \"{}\": {}", p.value.Scalar(), reason));
      } else {
        out->emplace_back(p.key, p.value.Scalar());
      }
    });
  }

  void Counts(const Field& f, std::map<std::string, int64_t>* out) {
    if (f.value.IsNull()) return;
    ForEachField(f.value, f.path, {}, [&](const Field& c) {
      std::string reason;
      int64_t n = 0;
      if (!ValidateDns1123Label(c.key, &reason)) {
        Error(c.line, c.path, fmt::format("invalid namespace \"{}\": {}", c.key, reason));
      } else if (Int(c, 0, std::numeric_limits<int32_t>::max(), &n)) {
        (*out)[c.key] = n;
      }
    });
  }

  void ReadNodes(const Field& f, std::vector<ScenarioNode>* out) {
    if (!f.value.IsSequence() || f.value.size() == 0) {
      return Error(f.line, f.path, "expected a list of at least one node");
    }
    std::map<std::string, std::string> names;  // name -> where it was defined
    size_t i = 0;
    for (const YAML::Node& item : f.value) {
      const std::string path = Indexed(f.path, i++);
      ScenarioNode node;
      node.line = Line(item);
      std::optional<Field> name, prefix, count;
      bool ok =
          ForEachField(item, path, {"name", "namePrefix", "count", "capacity", "labels", "devices"},
                       [&](const Field& n) {
                         if (n.key == "devices") Devices(n, &node);
                         if (n.key == "name") name = n;
                         if (n.key == "namePrefix") prefix = n;
                         if (n.key == "count") count = n;
                         if (n.key == "capacity") Resources(n, &node.capacity);
                         if (n.key == "labels") Pairs(n, /*labels=*/true, &node.labels);
                       });
      if (!ok) continue;
      if (!node.capacity.Has(quota::kResourcePods)) {
        node.capacity.Set(quota::kResourcePods, kDefaultPodCapacity);
      }
      int64_t n = 1;
      if (count && !prefix) Error(count->line, count->path, "count needs namePrefix");
      if (count && !Int(*count, 1, kMaxScenarioNodes, &n)) continue;
      std::vector<std::string> generated;
      if (name && prefix) {
        Error(prefix->line, prefix->path, "give either name or namePrefix, not both");
        continue;
      } else if (name) {
        if (!Name(*name, ValidateDns1123Subdomain, &node.name)) continue;
        generated.push_back(node.name);
      } else if (prefix) {
        std::string p;
        if (!String(*prefix, &p)) continue;
        for (int64_t k = 1; k <= n; ++k) generated.push_back(fmt::format("{}{}", p, k));
        std::string reason;
        if (!ValidateDns1123Subdomain(generated.back(), &reason)) {
          Error(prefix->line, prefix->path,
                fmt::format("invalid node name \"{}\": {}", generated.back(), reason));
          continue;
        }
      } else {
        Error(node.line, path, "required: name or namePrefix");
        continue;
      }
      for (std::string& generated_name : generated) {
        if (auto [it, inserted] = names.emplace(generated_name, path); !inserted) {
          Error(
              node.line, path,
              fmt::format("node \"{}\" is defined twice (also by {})", generated_name, it->second));
          continue;
        }
        if (out->size() == static_cast<size_t>(kMaxScenarioNodes)) {
          return Error(node.line, path, fmt::format("more than {} nodes", kMaxScenarioNodes));
        }
        node.name = std::move(generated_name);
        out->push_back(node);
      }
    }
  }

  // deviceClasses: [{name, resource, driver}], checked as dra.deviceClasses are.
  void ReadDeviceClasses(const Field& f, std::vector<quota::DeviceClassMapping>* out) {
    if (!f.value.IsSequence()) return Error(f.line, f.path, "expected a list of device classes");
    size_t i = 0;
    for (const YAML::Node& item : f.value) {
      const std::string path = Indexed(f.path, i++);
      quota::DeviceClassMapping m;
      ForEachField(item, path, {"name", "resource", "driver"}, [&](const Field& x) {
        if (x.key == "name") String(x, &m.device_class);
        if (x.key == "resource") String(x, &m.resource);
        if (x.key == "driver") String(x, &m.driver);
      });
      out->push_back(std::move(m));
    }
    quota::DeviceChargeConfig config;
    std::string error;
    if (!quota::DeviceChargeConfig::Build(*out, &config, &error)) {
      Error(f.line, f.path, error);
      out->clear();
    }
    declared_classes_.clear();
    for (const quota::DeviceClassMapping& m : *out) declared_classes_.push_back(m.device_class);
  }

  // A node's devices: {driver, count}.
  void Devices(const Field& f, ScenarioNode* node) {
    std::optional<Field> driver, count;
    if (!ForEachField(f.value, f.path, {"driver", "count"}, [&](const Field& x) {
          if (x.key == "driver") driver = x;
          if (x.key == "count") count = x;
        })) {
      return;
    }
    if (!driver || !count) return Error(f.line, f.path, "required: driver and count");
    if (String(*driver, &node->device_driver) && node->device_driver.empty()) {
      Error(driver->line, driver->path, "required");
    }
    Int(*count, 1, 128, &node->device_count);  // ResourceSliceMaxDevices
  }

  // A create's claims: [{deviceClass, count}].
  void Claims(const Field& f, std::vector<ScenarioClaim>* out) {
    if (!f.value.IsSequence()) return Error(f.line, f.path, "expected a list of claims");
    size_t i = 0;
    for (const YAML::Node& item : f.value) {
      const std::string path = Indexed(f.path, i++);
      ScenarioClaim claim;
      bool named = false;
      ForEachField(item, path, {"deviceClass", "count"}, [&](const Field& x) {
        if (x.key == "deviceClass" && String(x, &claim.device_class)) {
          named = true;
          if (std::ranges::find(declared_classes_, claim.device_class) == declared_classes_.end()) {
            Error(x.line, x.path,
                  fmt::format("device class \"{}\" is not in deviceClasses", claim.device_class));
          }
        }
        if (x.key == "count") Int(x, 1, quota::kMaxClaimDevices, &claim.count);
      });
      if (!named) Error(Line(item), JoinPath(path, "deviceClass"), "required");
      out->push_back(std::move(claim));
    }
  }

  void ReadInlineQuota(const Field& f, const YAML::Node& doc, quota::QuotaNodeSpec* out) {
    if (!f.value.IsMap()) {
      return Error(f.line, f.path, "expected an ElasticQuotaTree object (apiVersion, kind, spec)");
    }
    // The value's text: from its first character to the next top-level key after it, with
    // everything before it blanked (newlines kept) so that lines and columns stay the file's.
    size_t begin = offset_ + static_cast<size_t>(std::max(0, f.value.Mark().pos));
    size_t end = text_.size();
    for (const auto& item : doc) {
      size_t pos = offset_ + static_cast<size_t>(std::max(0, item.first.Mark().pos));
      if (pos > begin && pos < end) end = pos;
    }
    ConfigErrors quota_errors;
    bool ok = false;
    if (begin < end) {
      std::string slice(text_.substr(0, end));
      for (size_t i = 0; i < begin; ++i) slice[i] = slice[i] == '\n' ? '\n' : ' ';
      ok = LoadQuotaTree(slice, source_, out, &quota_errors);
    }
    const bool unparsable = begin >= end || (!ok && quota_errors.size() == 1 &&
                                             quota_errors[0].message.starts_with("invalid YAML"));
    if (unparsable) {  // fall back to the value re-serialised: no precise lines
      YAML::Emitter emitter;
      emitter << f.value;
      quota_errors.clear();
      LoadQuotaTree(emitter.c_str(), source_, out, &quota_errors);
      for (ConfigError& e : quota_errors) e.line = f.line;
    }
    for (ConfigError& e : quota_errors) {
      e.path = e.path.empty() ? "quota" : "quota." + e.path;
      errors_->push_back(std::move(e));
    }
  }

  void ReadQuotaFile(const Field& f, quota::QuotaNodeSpec* out) {
    std::string file;
    if (!String(f, &file)) return;
    std::filesystem::path path(file);
    if (path.is_relative()) path = std::filesystem::path(source_).parent_path() / path;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      return Error(f.line, f.path, fmt::format("cannot read the quota file \"{}\"", path.string()));
    }
    LoadQuotaTreeFile(path.string(), out, errors_);
  }

  void ReadSteps(const Field& f, std::vector<ScenarioStep>* out) {
    if (!f.value.IsSequence() || f.value.size() == 0) {
      return Error(f.line, f.path, "expected a list of at least one step");
    }
    if (f.value.size() > kMaxScenarioSteps) {
      return Error(
          f.line, f.path,
          fmt::format("{} steps, more than the limit of {}", f.value.size(), kMaxScenarioSteps));
    }
    std::map<std::pair<std::string, std::string>, std::string> live;  // deployment -> step
    size_t i = 0;
    for (const YAML::Node& item : f.value) {
      ScenarioStep step{ExpectAction{}, Indexed(f.path, i++), Line(item)};
      std::vector<Field> actions;
      if (!ForEachField(item, step.path, {"create", "delete", "expect"},
                        [&](const Field& a) { actions.push_back(a); })) {
        continue;
      }
      if (actions.size() != 1) {
        Error(step.line, step.path, "a step has exactly one action: create, delete or expect");
        continue;
      }
      const Field& a = actions[0];
      if (a.key == "create") {
        step.action = ReadCreate(a);
      } else if (a.key == "delete") {
        step.action = ReadDelete(a);
      } else {
        step.action = ReadExpect(a);
      }
      // Tracked even when the action has other errors, so that a later step is judged
      // against what the file meant.
      if (const auto* c = std::get_if<CreateAction>(&step.action);
          c && !c->ns.empty() && !c->name.empty()) {
        if (auto [it, inserted] = live.emplace(std::pair(c->ns, c->name), step.path); !inserted) {
          Error(a.line, a.path,
                fmt::format("deployment {}/{} already exists (created by {})", c->ns, c->name,
                            it->second));
        }
      } else if (const auto* d = std::get_if<DeleteAction>(&step.action);
                 d && !d->ns.empty() && !d->name.empty()) {
        if (live.erase(std::pair(d->ns, d->name)) == 0) {
          Error(a.line, a.path,
                fmt::format("deployment {}/{} does not exist at this step", d->ns, d->name));
        }
      }
      out->push_back(std::move(step));
    }
  }

  // The namespace or name field of a create or delete action.
  void Ref(const Field& x, std::string* ns, std::string* name) {
    if (x.key == "namespace") Name(x, ValidateDns1123Label, ns);
    if (x.key == "name") Name(x, ValidateDns1123Subdomain, name);
  }

  void RequireRef(const Field& f, const std::string& ns, const std::string& name) {
    if (ns.empty()) Error(f.line, JoinPath(f.path, "namespace"), "required");
    if (name.empty()) Error(f.line, JoinPath(f.path, "name"), "required");
  }

  CreateAction ReadCreate(const Field& f) {
    CreateAction c;
    const size_t before = errors_->size();
    ForEachField(f.value, f.path,
                 {"namespace", "name", "replicas", "requests", "priority", "preemptible", "labels",
                  "annotations", "claims"},
                 [&](const Field& x) {
                   if (x.key == "claims") Claims(x, &c.claims);
                   Ref(x, &c.ns, &c.name);
                   int64_t priority = 0;
                   if (x.key == "replicas") Int(x, 0, kMaxReplicas, &c.replicas);
                   if (x.key == "requests") Resources(x, &c.requests);
                   if (x.key == "priority" && Int(x, std::numeric_limits<int32_t>::min(),
                                                  std::numeric_limits<int32_t>::max(), &priority)) {
                     c.priority = static_cast<int32_t>(priority);
                   }
                   if (x.key == "preemptible") Bool(x, &c.preemptible);
                   if (x.key == "labels") Pairs(x, /*labels=*/true, &c.labels);
                   if (x.key == "annotations") Pairs(x, /*labels=*/false, &c.annotations);
                 });
    if (errors_->size() == before) RequireRef(f, c.ns, c.name);
    return c;
  }

  DeleteAction ReadDelete(const Field& f) {
    DeleteAction d;
    const size_t before = errors_->size();
    ForEachField(f.value, f.path, {"namespace", "name"},
                 [&](const Field& x) { Ref(x, &d.ns, &d.name); });
    if (errors_->size() == before) RequireRef(f, d.ns, d.name);
    return d;
  }

  ExpectAction ReadExpect(const Field& f) {
    ExpectAction e;
    bool any = false;
    if (!ForEachField(f.value, f.path, {"running", "pending"}, [&](const Field& x) {
          any = true;
          Counts(x, x.key == "running" ? &e.running : &e.pending);
        })) {
      return e;
    }
    if (!any) Error(f.line, f.path, "expected running and/or pending counts per namespace");
    return e;
  }

  int Line(const YAML::Node& node) const { return YamlLine(node, document_line_); }

  std::string_view text_;
  std::string source_;
  ConfigErrors* errors_;
  const int document_line_;
  const size_t offset_;
  std::vector<std::string> declared_classes_;  // deviceClasses' names, read first
};

}  // namespace

bool LoadScenario(std::string_view text, std::string_view source, Scenario* scenario,
                  ConfigErrors* errors) {
  const size_t before = errors->size();
  // yaml-cpp skips a byte-order mark without counting it in its marks' byte positions, by
  // which an inline quota is cut out of the text: without the mark they are the text's.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  try {
    // One document at a time (YAML::LoadAll never returns on a text starting with ",").
    std::vector<YamlDocument> found;
    if (!ParseYamlDocuments(text, source, &found, errors)) return false;
    const std::vector<const YamlDocument*> docs = ContentDocuments(found);
    if (docs.empty()) {
      errors->push_back({std::string(source), 0, "", "the file is empty"});
      return false;
    }
    if (docs.size() > 1) {
      errors->push_back(SecondDocumentError(source, docs));  // as the settings file's
      return false;
    }
    Scenario loaded;
    loaded.source = std::string(source);
    ScenarioReader(text, source, errors, docs[0]->first_line, docs[0]->offset)
        .Read(docs[0]->node, &loaded);
    if (errors->size() == before) *scenario = std::move(loaded);
  } catch (const std::exception& e) {
    // yaml-cpp throws on misuse of a node; the reader checks types first, so this is a last
    // line of defence that keeps a bad file from taking the process down.
    errors->push_back({std::string(source), 0, "", fmt::format("cannot load: {}", e.what())});
  }
  return errors->size() == before;
}

bool LoadScenarioFile(const std::string& path, Scenario* scenario, ConfigErrors* errors) {
  std::string text;
  if (!ReadTextFile(path, kDefaultMaxFileBytes, &text, errors)) return false;
  return LoadScenario(text, path, scenario, errors);
}

}  // namespace quotient::config
