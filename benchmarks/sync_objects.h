// The cluster bench_sync lists and watches: Node and Pod JSON as a production API server
// serves it (labels, annotations, managedFields, a sidecar, owner references, images), the
// pod watch events and a quota tree over the pods' namespaces. Deterministic: the same
// cluster every run.
//
// Thread safety: free functions of their arguments, no shared state.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "quota/quota_tree.h"

namespace quotient::benchmarks::sync {

// kube-scheduler's pod informer filter, as state::LiveCluster watches pods.
constexpr std::string_view kActivePods = "status.phase!=Succeeded,status.phase!=Failed";
constexpr int64_t kListResourceVersion = 1'000'000;

// bench_sync's flags; the cluster's shape is pods, nodes, namespaces and page_size.
struct Flags {
  int64_t pods = 150'000;
  int64_t nodes = 15'000;
  int64_t events = 200'000;
  int64_t namespaces = 500;
  int64_t page_size = 2000;  // state::LiveCluster's kListPageSize
  int64_t io_threads = std::max(1u, std::thread::hardware_concurrency());  // as serve
  double qps = 50;  // ClientConfig / server_config defaults
  int64_t burst = 100;
  bool breakdown = false;
  bool print_objects = false;  // print a list pod, a node and one event of each kind, exit
  double timeout_s = 300;
};

// Appends node `n` (every tenth is an 8-GPU node, tainted for GPUs).
void AppendNode(std::string* out, int64_t n);

// Appends pod `id` as the pod list serves it: running and bound to node id % f.nodes.
void AppendListPod(std::string* out, int64_t id, const Flags& f);

// The watch events: per 20, event 0 ADDS a new pending pod, 1 binds it (MODIFIED with
// nodeName), 2 DELETES a pod of the list, the other 17 change the status of a bound pod.
struct EventPlan {
  int64_t added = 0, bound = 0, deleted = 0;  // new pods, their bindings, list pods deleted
};
EventPlan PlanOf(int64_t events);

// Calls `on_event` with each of the first `events` watch event lines (JSON and '\n') of a
// cluster of `pods` list pods, in order. The line is reused: copy what must outlive a call.
void ForEachEvent(const Flags& f, int64_t pods, int64_t events,
                  const std::function<void(const std::string&)>& on_event);

// 25 departments under root; one leaf per two namespaces (team-000, team-001 -> leaf-000),
// with room for every pod. *leaves: how many leaves.
std::shared_ptr<const quota::QuotaTree> QuotaTreeFor(const Flags& f, int64_t* leaves);

}  // namespace quotient::benchmarks::sync
