#include "extender/state/gpu_state.h"

#include "extender/state/gpu_annotations.h"

namespace quotient::extender::state {

GpuState::GpuState(const gpu::MigCatalog* catalog, gpu::InventoryOptions options)
    : catalog_(catalog), options_(std::move(options)) {}

void GpuState::Warn(std::string text) {
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
  auto [it, added] = nodes_.try_emplace(node.name);
  it->second.SetInventory(std::move(inventory));
  if (!added) return;
  for (auto& [uid, pod] : pods_) {
    if (pod.node.empty() && pod.pod.node_name == node.name) Place(uid, &pod);
  }
}

void GpuState::DeleteNode(std::string_view name) {
  std::unique_lock lock(mu_);
  nodes_.erase(std::string(name));
  for (auto& [uid, pod] : pods_) {
    if (pod.node == name) pod.node.clear();  // placed again if the node comes back
  }
}

void GpuState::Place(const std::string& uid, PodGpu* pod) {
  auto node = nodes_.find(pod->pod.node_name);
  if (node == nodes_.end()) return;
  gpu::GpuAssignment assignment;
  std::string why;
  if (!AssignmentFromPod(pod->pod, pod->request, node->second, &assignment, &why)) {
    Warn("pod " + pod->pod.ns + "/" + pod->pod.name + ": devices not counted: " + why);
    return;
  }
  if (!node->second.Assign(uid, assignment)) {
    Warn("pod " + pod->pod.ns + "/" + pod->pod.name + " overlaps devices on node " +
         node->first + " (counted anyway)");
  }
  pod->node = node->first;
}

void GpuState::UpsertPod(const PodInfo& pod) {
  gpu::GpuRequest request;
  std::string error;
  if (!gpu::ParseGpuRequest(pod.requests, pod.labels, pod.annotations, *catalog_, &request,
                            &error) ||
      !request.any()) {
    DeletePod(pod.uid);
    return;
  }
  const bool finished = pod.phase == "Succeeded" || pod.phase == "Failed";
  std::unique_lock lock(mu_);
  PodGpu& entry = pods_[pod.uid];
  if (finished) {
    if (!entry.node.empty()) {
      auto node = nodes_.find(entry.node);
      if (node != nodes_.end()) node->second.Release(pod.uid);
    }
    pods_.erase(pod.uid);
    return;
  }
  entry.request = request;
  if (!entry.node.empty() && entry.node == pod.node_name) {
    // Already counted (assumed at bind or seen before); annotations written at bind are
    // the same placement.
    return;
  }
  entry.pod = pod;
  if (!pod.node_name.empty()) Place(pod.uid, &entry);
}

void GpuState::DeletePod(std::string_view uid) {
  std::unique_lock lock(mu_);
  auto it = pods_.find(std::string(uid));
  if (it == pods_.end()) return;
  if (!it->second.node.empty()) {
    auto node = nodes_.find(it->second.node);
    if (node != nodes_.end()) node->second.Release(uid);
  }
  pods_.erase(it);
}

void GpuState::Assume(std::string_view uid, std::string_view node,
                      const gpu::GpuAssignment& assignment) {
  std::unique_lock lock(mu_);
  auto n = nodes_.find(std::string(node));
  if (n == nodes_.end()) return;
  n->second.Assign(uid, assignment);
  PodGpu& entry = pods_[std::string(uid)];
  entry.node = n->first;
  entry.pod.node_name = n->first;
}

bool GpuState::FindRequest(std::string_view uid, gpu::GpuRequest* out) const {
  std::shared_lock lock(mu_);
  auto it = pods_.find(std::string(uid));
  if (it == pods_.end()) return false;
  *out = it->second.request;
  return true;
}

}  // namespace quotient::extender::state
