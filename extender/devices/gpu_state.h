// Device-level GPU state of the live cluster: per node its GPU inventory (from the Node's
// labels, annotations and allocatable) and the placement of every pod holding GPUs on it
// (from the pods' annotations, gpu_annotations.h), plus the GPU request of every pod seen,
// so bind can find it by UID.
//
// Fed by the pod and node watches (UpsertPod/UpsertNode/Delete*) and by binds
// (Reserve/FinishBind).
// A pod bound to a node that has not arrived yet is placed when the node does (pods
// waiting for one node are placed in UID order), or when that node's inventory changes
// (its device plugin re-registered, its layout annotation changed). A pod whose whole GPUs a DRA
// claim holds (KEP-5004: kube-scheduler wrote status.extendedResourceClaimStatus) is not kept: the
// claim's devices are not modelled here.
//
// Cost (P pods with GPUs, k of them on or waiting for the node in question): UpsertPod
// parses the request and costs O(log k) plus its placement; UpsertNode builds the
// inventory, recomputes the node's use, and places the pods waiting for it; DeleteNode is
// O(k). An index by node name (pods counted on it, pods bound to it but not counted)
// keeps node arrivals and removals from scanning every pod, so an initial sync is linear
// in nodes + pods whatever order the lists arrive in. A relist's end is O(P + nodes).
//
// Exception safety: every update gives the strong guarantee (a throw, only std::bad_alloc,
// leaves the state as it was). Each does all of its allocation first (copies, the index
// entry, the NodeGpus assignment, which is itself strong) and then changes the state with
// moves, erasures and NodeGpus::Release, which cannot fail. UpsertNode is strong for the
// node; a waiting pod it cannot place stays waiting, with a warning (as when its
// annotations are unreadable), and if memory ran short it is tried again at the node's next
// update or re-list.
//
// Thread safety: thread-safe; one reader-writer lock. Read() runs its function under the
// shared lock: it must not call back into this object.
#pragma once

#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "extender/objects/node_decode.h"
#include "extender/objects/pod.h"
#include "extender/state/cluster_state.h"
#include "extender/state/object_observer.h"
#include "gpu/inventory.h"
#include "gpu/mig_catalog.h"
#include "gpu/node_gpus.h"
#include "gpu/placement.h"

namespace quotient::extender::state {

class GpuState : public DecodedObjectObserver {
 public:
  // REQUIRES: `catalog` outlives the state.
  GpuState(const gpu::MigCatalog* catalog, gpu::InventoryOptions options);

  // DecodedObjectObserver: the watches' pods and nodes.
  void ObservePod(bool deleted, const PodInfo& pod) override;
  void ObserveNode(bool deleted, const NodeInfo& node) override;
  // A relist drops the pods and nodes it did not contain (deleted while the watch was
  // away), except pods assumed at bind after it started.
  void ObservePodList(bool begin) override;
  void ObserveNodeList(bool begin) override;

  void UpsertNode(const NodeInfo& node);
  void DeleteNode(std::string_view name);
  // A pod as the watch sees it. Finished (Succeeded/Failed) pods release their devices.
  void UpsertPod(const PodInfo& pod);
  void DeletePod(std::string_view uid);

  // Bind: chooses the placement of `uid` on `node` and counts it at once, under one
  // exclusive lock, so that concurrent binds never choose the same devices. Fills
  // *annotations (gpu_annotations.h) with what to write on the pod. Every kReserved is
  // followed by one FinishBind. On refusal, *why says why:
  //  * kNoFit: the request does not fit the node (an earlier placement of the pod there
  //    is released: the pod is not bound);
  //  * kDuplicate: the pod is bound already, or another bind of it is in flight (the
  //    scheduler retried a bind that outlived its timeout); nothing changes, so a
  //    running pod's devices are never chosen again or released.
  enum class ReserveResult { kReserved, kNoFit, kDuplicate };
  ReserveResult Reserve(std::string_view uid, std::string_view node, const gpu::GpuRequest& request,
                        const gpu::FitOptions& options, int64_t now_ns, gpu::GpuAssignment* out,
                        StringPairs* annotations, std::string* why);
  // The bind of a kReserved pod ended: `bound` (the Binding succeeded) keeps the placement
  // and marks the pod bound; otherwise (the patch or the Binding failed) the placement is
  // released, unless the pod is bound by then (the watch saw it: a Binding that landed
  // although its answer was lost), whose devices stay counted.
  void FinishBind(std::string_view uid, bool bound);

  // True once the pod watch has completed a list: from then on a GPU pod unknown here is
  // one the watch has not delivered yet (bind: gpu_decider.h).
  bool PodsListed() const;

  // Filter saw `uid` ask for `request`: kept unless the watch already knows the pod, so
  // that bind finds it when the watch lags behind the scheduler (an unknown pod would be
  // bound without its device placement). Dropped by the next relist that lacks the pod.
  void NoteRequest(std::string_view uid, const gpu::GpuRequest& request);

  // The GPU request of a pod seen by the watch (or noted by filter); false when unknown
  // or without GPUs.
  bool FindRequest(std::string_view uid, gpu::GpuRequest* out) const;

  // fn(lookup): lookup(node name) returns the node's NodeGpus or nullptr.
  template <typename Fn>
  auto Read(Fn&& fn) const {
    std::shared_lock lock(mu_);
    auto lookup = [this](std::string_view name) -> const gpu::NodeGpus* {
      auto it = nodes_.find(name);  // heterogeneous: no string built per node
      return it == nodes_.end() ? nullptr : &it->second;
    };
    return fn(lookup);
  }

  // fn(name, node) for every node, under the shared lock (metrics at scrape time).
  template <typename Fn>
  void ForEachNode(Fn&& fn) const {
    std::shared_lock lock(mu_);
    for (const auto& [name, node] : nodes_) fn(name, node);
  }

  const gpu::MigCatalog& catalog() const { return *catalog_; }
  // Warnings from malformed node labels and annotations and from pod placements, newest
  // last (at most 64); each is also logged at warn level ("gpu state", detail=...).
  std::vector<std::string> warnings() const;

  // Tests: the whole state in one canonical text (pods, nodes' assignments and use, the
  // node index), and whether the node index matches the pods ("" when it does, else what
  // differs).
  std::string DebugString() const;
  std::string CheckIndex() const;

 private:
  struct PodGpu {
    gpu::GpuRequest request;
    std::string node;   // where its devices are counted; empty while pending
    PodInfo pod;        // kept while its node is unknown, to place it later
    uint64_t seen = 0;  // pod-list generation that last saw it
    // The API has it bound: the watch showed it with spec.nodeName, or a Binding of
    // Quotient's succeeded. Its devices are no longer a bind's to choose or undo.
    bool bound = false;
    bool binding = false;  // a bind holds a Reserve for it (Reserve .. FinishBind)
  };
  // The pods related to one node name, as views of pods_ keys (a pod leaves the index
  // before its entry is erased): `counted`, those whose devices are counted on it
  // (PodGpu::node); `waiting`, those bound to it (pod.node_name) but not counted.
  struct NodePods {
    std::set<std::string_view> counted;
    std::set<std::string_view> waiting;
    // A waiting pod could not be placed for lack of memory: the node's next update (or
    // re-list) tries its waiting pods again, not only its first arrival.
    bool retry = false;
  };
  // Every change of a PodGpu's `node` or `pod.node_name`, and its erasure, is bracketed by
  // Unindex (before) and Index (after); the index entry is made ahead by PrepareIndex, the
  // one step of the three that allocates. A pod is indexed under IndexName: `node` when
  // counted, else `pod.node_name`. `uid` must be the entry's key in pods_.
  // REQUIRES: mu_ held exclusively (for all of the below).
  class IndexSlot;
  IndexSlot PrepareIndex(const std::string& uid, std::string_view name);
  void Index(IndexSlot* slot, bool counted);  // cannot fail
  // Removes the pod from its index set and returns the entry's name (a view of the
  // by_node_ key, "" when it had none) for PruneIndex once the update is done.
  // Cannot fail.
  std::string_view Unindex(const std::string& uid, const PodGpu& pod);
  void PruneIndex(std::string_view name);  // erases the entry if it is empty; cannot fail
  // Releases the devices counted for `uid` on entry->node and clears it (between Unindex
  // and Index); cannot fail.
  void Uncount(std::string_view uid, PodGpu* entry);
  // Un-counts the pods counted on `name` (the node is gone; placed again if it returns);
  // cannot fail.
  void UncountNode(std::string_view name);
  // Forgets the pod: releases its devices, unindexes and erases it; cannot fail.
  void Forget(ClusterState::NameMap<PodGpu>::iterator it);
  // Places the waiting pod `uid` on its node `node` (UpsertNode); strong.
  void PlaceWaiting(std::string_view uid, const std::string& node_name, gpu::NodeGpus* node);
  // The assignment `pod`'s annotations record on `node` (gpu_annotations.h); false with
  // *warning when there is none or it cannot be computed.
  bool ComputePlacement(const PodInfo& pod, const gpu::GpuRequest& request,
                        const gpu::NodeGpus& node, gpu::GpuAssignment* out,
                        std::string* warning) const;
  // Records (and logs) the warning make_text() returns. Cannot fail: a warning that cannot
  // be built or recorded (out of memory) is dropped, so it may follow a committed change.
  template <typename MakeText>
  void Warn(MakeText&& make_text) noexcept;

  const gpu::MigCatalog* const catalog_;
  const gpu::InventoryOptions options_;
  mutable std::shared_mutex mu_;
  ClusterState::NameMap<gpu::NodeGpus> nodes_;  // guarded by mu_
  ClusterState::NameMap<PodGpu> pods_;          // by UID; guarded by mu_
  ClusterState::NameMap<NodePods> by_node_;     // guarded by mu_
  std::vector<std::string> warnings_;           // guarded by mu_
  // Relist bookkeeping, guarded by mu_.
  uint64_t pod_list_ = 0;
  uint64_t node_list_ = 0;
  bool pod_listing_ = false;
  bool node_listing_ = false;
  bool pods_listed_ = false;  // a pod list has completed
  ClusterState::NameMap<uint64_t> node_seen_;
};

}  // namespace quotient::extender::state
