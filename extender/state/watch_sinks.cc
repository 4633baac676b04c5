#include "extender/state/watch_sinks.h"

#include <chrono>

#include "config/quota_yaml.h"
#include "extender/objects/node_decode.h"
#include "extender/objects/pod_decode.h"
#include "extender/telemetry/logging.h"

namespace quotient::extender::state {
namespace {

constexpr std::string_view kTreeSource = "elasticquotatree";

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// metadata.name of an object (and, with `spec`, the JSON of its spec: empty if it has none
// or it is no object), without decoding the rest.
bool ReadName(json::od::value& object, std::string* name, std::string* error,
              std::string* spec = nullptr) {
  DecodeError decode;
  bool ok = json::ForEachField(
      object, nullptr, &decode, [&](std::string_view key, json::od::value& v, const json::Path* p) {
        if (spec != nullptr && json::KeyIs(key, "spec")) {
          json::od::object as_object;
          std::string_view raw;
          if (v.get_object().get(as_object) == simdjson::SUCCESS &&
              as_object.raw_json().get(raw) == simdjson::SUCCESS) {
            spec->assign(raw);
          }
          return true;
        }
        if (!json::KeyIs(key, "metadata")) return true;
        return json::ForEachField(
            v, p, &decode, [&](std::string_view k, json::od::value& m, const json::Path* mp) {
              if (!json::KeyIs(k, "name")) return true;
              return json::ReadString(m, mp, name, &decode);
            });
      });
  if (!ok) *error = decode.message;
  if (ok && name->empty()) *error = "metadata.name missing";
  return ok && !name->empty();
}

}  // namespace

bool PodSink::Apply(kube::EventType type, json::od::value& object, std::string* error) {
  PodInfo pod;
  DecodeError decode;
  if (!DecodePodObject(object, nullptr, &pod, &decode)) {
    *error = decode.message;
    return false;
  }
  if (pod.uid.empty()) {
    *error = "metadata.uid missing";
    return false;
  }
  std::unique_lock<std::mutex> dra_lock;
  if (dra_ != nullptr) {
    dra_lock = dra_->apply_lock();
    dra_->IndexPod(type == kube::EventType::kDeleted, pod);
  }
  if (enricher_ != nullptr) enricher_->Enrich(&pod);
  if (type == kube::EventType::kDeleted) {
    state_->DeletePod(pod.uid);
  } else {
    state_->UpsertPod(pod);
  }
  if (observer_ != nullptr) observer_->ObservePod(type == kube::EventType::kDeleted, pod);
  if (on_release_ && type == kube::EventType::kDeleted && !pod.node_name.empty()) on_release_();
  return true;
}

bool NodeSink::Apply(kube::EventType type, json::od::value& object, std::string* error) {
  NodeInfo node;
  DecodeError decode;
  if (!DecodeNodeObject(object, nullptr, &node, &decode)) {
    *error = decode.message;
    return false;
  }
  if (observer_ != nullptr) observer_->ObserveNode(type == kube::EventType::kDeleted, node);
  if (type == kube::EventType::kDeleted) {
    state_->DeleteNode(node.name);
  } else if (state_->UpsertNode(std::move(node)) && on_release_) {
    on_release_();  // joined, or changed in what decides placement
  }
  return true;
}

bool QuotaTreeSink::Compile(std::string_view object_json,
                            std::shared_ptr<const quota::QuotaTree>* tree, std::string* errors) {
  config::ConfigErrors found;
  quota::QuotaNodeSpec spec;
  if (!config::LoadQuotaTree(object_json, "ElasticQuotaTree", &spec, &found)) {
    *errors = config::FormatErrors(found);
    return false;
  }
  *tree = quota::QuotaTree::Build(spec);
  return true;
}

void QuotaTreeSink::BeginList() {
  listing_ = true;
  objects_.clear();
}

bool QuotaTreeSink::Apply(kube::EventType type, json::od::value& object, std::string* error) {
  std::string_view raw;
  json::od::object as_object;
  if (auto code = object.get_object().get(as_object); code != simdjson::SUCCESS) {
    *error = simdjson::error_message(code);
    return false;
  }
  if (auto code = as_object.raw_json().get(raw); code != simdjson::SUCCESS) {
    *error = simdjson::error_message(code);
    return false;
  }
  std::string text(raw);  // raw_json() consumed the value: read the name from a copy
  simdjson::padded_string padded(text);
  json::od::parser parser;
  json::od::document doc;
  json::od::value root;
  std::string name;
  std::string spec;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS ||
      doc.get_value().get(root) != simdjson::SUCCESS || !ReadName(root, &name, error, &spec)) {
    if (error->empty()) *error = "not a JSON object";
    return false;
  }
  if (type == kube::EventType::kDeleted) {
    objects_.erase(name);
  } else {
    objects_[name] = TreeObject{std::move(text), std::move(spec)};
  }
  if (!listing_) Publish();
  return true;
}

void QuotaTreeSink::EndList() {
  listing_ = false;
  Publish();
}

void QuotaTreeSink::Publish() {
  const TreeObject* chosen = nullptr;
  std::string chosen_name;
  if (!tree_name_.empty()) {
    if (auto it = objects_.find(tree_name_); it != objects_.end()) {
      chosen = &it->second;
      chosen_name = it->first;
    }
  } else if (!objects_.empty()) {
    chosen = &objects_.begin()->second;
    chosen_name = objects_.begin()->first;
    if (objects_.size() > 1) {
      Log(spdlog::level::warn, "several ElasticQuotaTrees in kube-system; using the first",
          {{"using", chosen_name}, {"hint", "set quota.treeName to choose one"}});
    }
  }
  if (chosen == nullptr) {
    rejected_.reset();  // an object created again is examined (and reported) again
    if (published_) {
      Log(spdlog::level::warn, "ElasticQuotaTree gone; keeping the last good tree",
          {{"name", tree_name_.empty() ? "(any)" : tree_name_}});
    } else {
      SetMissing(tree_name_.empty()
                     ? std::string("no ElasticQuotaTree in kube-system")
                     : fmt::format("no ElasticQuotaTree named {} in kube-system", tree_name_),
                 "");
    }
    return;
  }
  if (chosen->spec == published_) {
    if (rejected_) {
      // Put back to the tree in force after a refused edit: nothing to reload, but the
      // object is good again (quotient_config_last_reload_successful returns to 1).
      rejected_.reset();
      metrics_->CountReload(std::string(kTreeSource), true, UnixNow());
      Log(spdlog::level::info, "ElasticQuotaTree back to the tree in force",
          {{"name", chosen_name}});
    }
    return;
  }
  if (chosen->spec == rejected_) return;
  std::shared_ptr<const quota::QuotaTree> tree;
  std::string errors;
  if (!Compile(chosen->json, &tree, &errors)) {
    rejected_ = chosen->spec;
    metrics_->CountReload(std::string(kTreeSource), false, UnixNow());
    if (!published_) {
      const std::string_view first_error = std::string_view(errors).substr(0, errors.find('\n'));
      SetMissing(fmt::format("ElasticQuotaTree {} is invalid: {}", chosen_name, first_error),
                 errors);
    } else {
      Log(spdlog::level::err, "ElasticQuotaTree rejected; keeping the last good tree",
          {{"name", chosen_name}, {"detail", errors}});
    }
    return;
  }
  ledger_->Reload(tree, quota::Clock::now());
  published_ = chosen->spec;
  rejected_.reset();
  {
    std::lock_guard lock(missing_mu_);
    missing_.clear();
  }
  has_tree_.store(true, std::memory_order_release);
  metrics_->CountReload(std::string(kTreeSource), true, UnixNow());
  Log(spdlog::level::info, "quota tree reloaded",
      {{"source", "ElasticQuotaTree"},
       {"name", chosen_name},
       {"quota_nodes", fmt::format_int(tree->size()).c_str()}});
}

std::string QuotaTreeSink::MissingTree() const {
  if (has_tree_.load(std::memory_order_acquire)) return {};  // every filter asks
  std::lock_guard lock(missing_mu_);
  return missing_;
}

void QuotaTreeSink::SetMissing(std::string why, const std::string& detail) {
  {
    std::lock_guard lock(missing_mu_);
    if (why == missing_) return;
    missing_ = why;
  }
  Log(spdlog::level::err, "no usable ElasticQuotaTree: not ready, no pod is admitted",
      {{"reason", why}, {"detail", detail}});
}

}  // namespace quotient::extender::state
