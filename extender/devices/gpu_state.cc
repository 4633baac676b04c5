#include "extender/devices/gpu_state.h"

#include "extender/devices/gpu_annotations.h"
#include "extender/telemetry/logging.h"

namespace quotient::extender::state {

GpuState::GpuState(const gpu::MigCatalog* catalog, gpu::InventoryOptions options)
    : catalog_(catalog), options_(std::move(options)) {}

void GpuState::ObservePod(bool deleted, const PodInfo& pod) {
  if (deleted) {
    DeletePod(pod.uid);
  } else {
    UpsertPod(pod);
  }
}

void GpuState::ObserveNode(bool deleted, const NodeInfo& node) {
  if (deleted) {
    DeleteNode(node.name);
  } else {
    UpsertNode(node);
  }
}

void GpuState::ObservePodList(bool begin) {
  std::unique_lock lock(mu_);
  if (begin) {
    ++pod_list_;
    pod_listing_ = true;
    return;
  }
  pod_listing_ = false;
  for (auto it = pods_.begin(); it != pods_.end();) {
    if (it->second.seen != pod_list_) {
      if (!it->second.node.empty()) {
        auto node = nodes_.find(it->second.node);
        if (node != nodes_.end()) node->second.Release(it->first);
      }
      Unindex(it->first, it->second);
      it = pods_.erase(it);
    } else {
      ++it;
    }
  }
}

void GpuState::ObserveNodeList(bool begin) {
  std::unique_lock lock(mu_);
  if (begin) {
    ++node_list_;
    node_listing_ = true;
    return;
  }
  node_listing_ = false;
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    if (node_seen_[it->first] != node_list_) {
      UncountNode(it->first);
      node_seen_.erase(it->first);
      it = nodes_.erase(it);
    } else {
      ++it;
    }
  }
}

void GpuState::Index(const std::string& uid, const PodGpu& pod) {
  if (!pod.node.empty()) {
    by_node_[pod.node].counted.insert(uid);
  } else if (!pod.pod.node_name.empty()) {
    by_node_[pod.pod.node_name].waiting.insert(uid);
  }
}

void GpuState::Unindex(const std::string& uid, const PodGpu& pod) {
  const std::string& name = pod.node.empty() ? pod.pod.node_name : pod.node;
  if (name.empty()) return;
  auto it = by_node_.find(name);
  if (it == by_node_.end()) return;
  (pod.node.empty() ? it->second.waiting : it->second.counted).erase(uid);
  if (it->second.counted.empty() && it->second.waiting.empty()) by_node_.erase(it);
}

void GpuState::UncountNode(std::string_view name) {
  auto it = by_node_.find(name);
  if (it == by_node_.end()) return;
  // Index() below may insert into (and rehash) by_node_: take the set out first.
  const std::set<std::string_view> counted = std::move(it->second.counted);
  it->second.counted.clear();
  if (it->second.waiting.empty()) by_node_.erase(it);
  for (std::string_view uid : counted) {
    auto pod = pods_.find(uid);
    pod->second.node.clear();
    Index(pod->first, pod->second);
  }
}

void GpuState::Warn(std::string text) {
  Log(spdlog::level::warn, "gpu state", {{"detail", text}});
  if (warnings_.size() >= 64) warnings_.erase(warnings_.begin());
  warnings_.push_back(std::move(text));
}

std::vector<std::string> GpuState::warnings() const {
  std::shared_lock lock(mu_);
  return warnings_;
}

void GpuState::UpsertNode(const NodeInfo& node) {
  std::vector<std::string> warnings;
  gpu::NodeGpuInventory inventory = gpu::BuildNodeInventory(
      node.labels, node.annotations, node.allocatable, *catalog_, options_, &warnings);
  std::unique_lock lock(mu_);
  for (std::string& w : warnings) Warn("node " + node.name + ": " + std::move(w));
  node_seen_[node.name] = node_list_;
  auto [it, added] = nodes_.try_emplace(node.name);
  it->second.SetInventory(std::move(inventory));
  if (!added) return;
  auto waiting = by_node_.find(node.name);
  if (waiting == by_node_.end()) return;
  const std::set<std::string_view> uids = waiting->second.waiting;  // Place re-indexes
  for (std::string_view uid : uids) {
    auto pod = pods_.find(uid);
    Unindex(pod->first, pod->second);
    Place(pod->first, &pod->second);
    Index(pod->first, pod->second);
  }
}

void GpuState::DeleteNode(std::string_view name) {
  std::unique_lock lock(mu_);
  nodes_.erase(std::string(name));
  node_seen_.erase(std::string(name));
  UncountNode(name);  // placed again if the node comes back
}

void GpuState::Place(const std::string& uid, PodGpu* pod) {
  auto node = nodes_.find(pod->pod.node_name);
  if (node == nodes_.end()) return;
  gpu::GpuAssignment assignment;
  std::string why;
  bool known = false;
  // The indexes are between Unindex and Index here: nothing may escape, or they would be
  // left inconsistent. A placement that cannot be computed leaves the pod uncounted.
  try {
    known = AssignmentFromPod(pod->pod, pod->request, node->second, &assignment, &why);
  } catch (const std::exception& e) {
    why = std::string("internal error: ") + e.what();
  }
  if (!known) {
    Warn("pod " + pod->pod.ns + "/" + pod->pod.name + ": devices not counted: " + why);
    return;
  }
  if (!node->second.Assign(uid, assignment)) {
    Warn("pod " + pod->pod.ns + "/" + pod->pod.name + " overlaps devices on node " + node->first +
         " (counted anyway)");
  }
  pod->node = node->first;
}

void GpuState::UpsertPod(const PodInfo& pod) {
  gpu::GpuRequest request;
  std::string error;
  if (!gpu::ParseGpuRequest(pod.requests, pod.labels, pod.annotations, *catalog_, &request,
                            &error) ||
      !request.any()) {
    {
      // Most pods have no GPUs: do not take the exclusive lock for them.
      std::shared_lock lock(mu_);
      if (pods_.find(pod.uid) == pods_.end()) return;
    }
    DeletePod(pod.uid);
    return;
  }
  const bool finished = pod.phase == "Succeeded" || pod.phase == "Failed";
  std::unique_lock lock(mu_);
  auto [it, added] = pods_.try_emplace(pod.uid);
  const std::string& uid = it->first;
  PodGpu& entry = it->second;
  entry.seen = pod_list_;
  if (finished) {
    if (!entry.node.empty()) {
      auto node = nodes_.find(entry.node);
      if (node != nodes_.end()) node->second.Release(pod.uid);
    }
    Unindex(uid, entry);
    pods_.erase(it);
    return;
  }
  entry.request = request;
  if (!entry.node.empty() && entry.node == pod.node_name) {
    // Already counted (assumed at bind or seen before); annotations written at bind are
    // the same placement.
    return;
  }
  Unindex(uid, entry);
  // Counted on another node than the API now says (a bind assumed elsewhere): the API's
  // word wins. A pod the watch still shows unbound keeps a placement reserved at bind.
  if (!entry.node.empty() && !pod.node_name.empty()) Uncount(uid, &entry);
  entry.pod = pod;
  if (!pod.node_name.empty()) Place(uid, &entry);
  Index(uid, entry);
}

void GpuState::DeletePod(std::string_view uid) {
  std::unique_lock lock(mu_);
  auto it = pods_.find(uid);
  if (it == pods_.end()) return;
  if (!it->second.node.empty()) {
    auto node = nodes_.find(it->second.node);
    if (node != nodes_.end()) node->second.Release(uid);
  }
  Unindex(it->first, it->second);
  pods_.erase(it);
}

void GpuState::Uncount(std::string_view uid, PodGpu* entry) {
  auto node = nodes_.find(entry->node);
  if (node != nodes_.end()) node->second.Release(uid);
  entry->node.clear();
}

void GpuState::Assume(std::string_view uid, std::string_view node,
                      const gpu::GpuAssignment& assignment) {
  std::unique_lock lock(mu_);
  auto n = nodes_.find(std::string(node));
  if (n == nodes_.end()) return;
  auto it = pods_.try_emplace(std::string(uid)).first;
  PodGpu& entry = it->second;
  entry.seen = pod_list_;  // survives a relist that started before the bind
  Unindex(it->first, entry);
  if (entry.node != n->first) Uncount(uid, &entry);
  n->second.Assign(uid, assignment);
  entry.node = n->first;
  entry.pod.node_name = n->first;
  Index(it->first, entry);
}

bool GpuState::Reserve(std::string_view uid, std::string_view node, const gpu::GpuRequest& request,
                       const gpu::FitOptions& options, int64_t now_ns, gpu::GpuAssignment* out,
                       StringPairs* annotations, std::string* why) {
  std::unique_lock lock(mu_);
  auto n = nodes_.find(std::string(node));
  if (n == nodes_.end()) {
    *why = "gpu: node " + std::string(node) + " is not in Quotient's GPU cache";
    return false;
  }
  auto [it, added] = pods_.try_emplace(std::string(uid));
  PodGpu& entry = it->second;
  Unindex(it->first, entry);
  // A retried bind places afresh, on this node or another: its earlier placement goes.
  if (!entry.node.empty()) Uncount(uid, &entry);
  n->second.Release(uid);
  const gpu::GpuFit fit = gpu::FitGpuRequest(n->second, request, options);
  if (!fit.fits()) {
    if (added) {
      pods_.erase(it);
    } else {
      Index(it->first, entry);
    }
    *why = gpu::FormatGpuFit(fit, request, n->second, node);
    return false;
  }
  n->second.Assign(uid, fit.assignment);
  *out = fit.assignment;
  *annotations = BindAnnotations(fit.assignment, n->second, now_ns);
  entry.request = request;
  entry.seen = pod_list_;
  entry.node = n->first;
  entry.pod.node_name = n->first;
  Index(it->first, entry);
  return true;
}

void GpuState::Unreserve(std::string_view uid) {
  std::unique_lock lock(mu_);
  auto it = pods_.find(uid);
  if (it == pods_.end() || it->second.node.empty()) return;
  auto n = nodes_.find(it->second.node);
  if (n != nodes_.end()) n->second.Release(uid);
  Unindex(it->first, it->second);
  it->second.node.clear();
  it->second.pod.node_name.clear();
}

void GpuState::NoteRequest(std::string_view uid, const gpu::GpuRequest& request) {
  std::unique_lock lock(mu_);
  auto [it, added] = pods_.try_emplace(std::string(uid));
  if (!added) return;  // the watch's view wins
  it->second.request = request;
  it->second.seen = pod_list_;
}

bool GpuState::FindRequest(std::string_view uid, gpu::GpuRequest* out) const {
  std::shared_lock lock(mu_);
  auto it = pods_.find(uid);
  if (it == pods_.end()) return false;
  *out = it->second.request;
  return true;
}

}  // namespace quotient::extender::state
