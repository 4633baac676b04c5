// GpuState's test introspection: DebugString and CheckIndex (gpu_state.h).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>
#include <type_traits>

#include "extender/devices/gpu_state.h"

namespace quotient::extender::state {

std::string GpuState::DebugString() const {
  std::shared_lock lock(mu_);
  std::string out = fmt::format("lists pod={} node={}\n", pod_list_, node_list_);
  // Hash maps in key order, so that two equal states print the same text.
  auto sorted = [](const auto& map) {
    std::map<std::string_view, const typename std::decay_t<decltype(map)>::mapped_type*> keys;
    for (const auto& [key, value] : map) keys.emplace(key, &value);
    return keys;
  };
  for (const auto& [uid, pod] : sorted(pods_)) {
    const gpu::GpuRequest& r = pod->request;
    out +=
        fmt::format("pod {} request={}/{}/{}/{}/{}/{} node={} bound={} seen={} phase={}\n", uid,
                    static_cast<int>(r.kind), r.count, r.share_units, r.profile, r.fraction_milli,
                    r.model, pod->node, pod->pod.node_name, pod->seen, pod->pod.phase);
  }
  for (const auto& [name, node] : sorted(nodes_)) {
    out += fmt::format("node {} {}", name, node->DebugString());
  }
  for (const auto& [name, pods] : sorted(by_node_)) {
    out += fmt::format("index {} counted={} waiting={}\n", name, fmt::join(pods->counted, ","),
                       fmt::join(pods->waiting, ","));
  }
  for (const auto& [name, seen] : sorted(node_seen_)) {
    out += fmt::format("seen {} {}\n", name, *seen);
  }
  return out;
}

std::string GpuState::CheckIndex() const {
  std::shared_lock lock(mu_);
  ClusterState::NameMap<NodePods> want;
  for (const auto& [uid, pod] : pods_) {
    if (!pod.node.empty()) {
      want[pod.node].counted.insert(uid);
    } else if (!pod.pod.node_name.empty()) {
      want[pod.pod.node_name].waiting.insert(uid);
    }
  }
  std::string problems;
  for (const auto& [name, pods] : want) {
    auto it = by_node_.find(name);
    if (it == by_node_.end() || it->second.counted != pods.counted ||
        it->second.waiting != pods.waiting) {
      problems += "index of " + name + " differs from the pods; ";
    }
  }
  for (const auto& [name, pods] : by_node_) {
    if (!want.contains(name)) problems += "index of " + name + " names no pod; ";
  }
  for (const auto& [uid, pod] : pods_) {
    if (pod.node.empty()) continue;
    auto node = nodes_.find(pod.node);
    if (node == nodes_.end() || !node->second.assignments().contains(uid)) {
      problems += "pod " + uid + " is counted on " + pod.node + " without an assignment; ";
    }
  }
  for (const auto& [name, node] : nodes_) {
    for (const auto& [owner, a] : node.assignments()) {
      auto pod = pods_.find(owner);
      if (pod == pods_.end() || pod->second.node != name) {
        problems += "node " + name + " holds an assignment of " + owner + " not counted there; ";
      }
    }
  }
  return problems;
}

}  // namespace quotient::extender::state
