// The live view of the cluster that decisions need, fed by the pod and node watches
// and by Quotient's own bindings:
//  * nodes: allocatable resources, labels, and the summed requests of the pods that
//    hold resources on them (bound, not terminal);
//  * pods: one record per UID (pending or bound) with what quota and fit need;
//  * the quota ledger: every pod holding a node is Bound in it; a pod that leaves
//    (deleted, Succeeded, Failed) is Released. Reservations made by filter stay the
//    ledger's business until the pod binds or they expire.
//
// Binding is "assumed" at once (AssumeBound) so that the next decision sees it before
// the watch does; the watch event for the same UID later confirms it without counting
// it twice. A relist (BeginList/EndList) drops records the list no longer contains,
// except pods assumed after the list started (the list may predate their binding).
//
// Exception safety: every update gives the strong guarantee (a throw, only std::bad_alloc,
// leaves the state and the ledger as they were). Each makes everything it allocates first
// (the new record, the node entry, the node's summed requests, room in its pod list, the
// preemptible count), then makes its one ledger call (strong, quota_ledger.h), then
// commits with moves and in-place updates that cannot fail. DeletePod, EndPodList,
// DeleteNode, EndNodeList and DropHold's removals allocate nothing.
//
// Thread safety: thread-safe. One reader-writer lock guards nodes and pods: watch
// events and bindings take it exclusively for a few map operations; decisions read
// under the shared lock (ReadNodes). Ledger calls are made under the exclusive lock so
// that node usage and quota usage change together.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "extender/objects/node_decode.h"
#include "extender/objects/pod.h"
#include "quota/quota_ledger.h"

namespace quotient::extender::state {

// Room on a node held for a pod that is reclaiming its guaranteed quota (Reclaimer):
// the pod's requests, kept from other pods until it binds or the reclaim ends.
struct NodeHold {
  std::string uid;
  quota::ResourceList requests;
};

// What is kept of a pod.
struct PodRecord {
  std::string ns;
  std::string name;
  std::string node;              // empty while pending
  quota::ResourceList requests;  // effective requests incl. pods: 1
  // The quota charge of the pod's DRA claims (PodInfo::claim_charge): charged to its
  // quota with `requests`, never to its node.
  quota::ResourceList claim_charge;
  int32_t priority = 0;
  bool preemption_never = false;  // spec.preemptionPolicy Never: never reclaims
  bool preemptible = true;        // false: label quotient.io/preemptible=false, never a victim
  bool unschedulable = false;     // PodScheduled=False/Unschedulable: kube-scheduler gave up
  bool nominated = false;         // status.nominatedNodeName: the scheduler's preemption acts
  std::string scheduler_name;
  bool terminal = false;     // phase Succeeded or Failed
  bool terminating = false;  // deletionTimestamp set
  bool assumed = false;      // bound by Quotient, not yet confirmed by the watch
  std::string creation_timestamp;
  int64_t creation_seconds = 0;  // ParseTimestampSeconds(creation_timestamp), parsed once
  uint64_t first_seen = 0;       // order in which Quotient learnt of the pod (ties of timestamps)
  uint64_t seen = 0;             // pod-list generation (relist bookkeeping)
  std::chrono::steady_clock::time_point assumed_at{};
  bool holds_node() const { return !node.empty() && !terminal; }
  // requests + claim_charge: what the pod charges to its quota.
  quota::ResourceList quota_requests() const;
};

// A pod's entry in ClusterState's pod map (UID, record). Its address is stable while the
// pod is in the map (an unordered_map node), which is how nodes list their pods.
using PodEntry = std::pair<const std::string, PodRecord>;

// A node as decisions see it. `known` is false for a node that pods name but whose
// Node object has not arrived (or was deleted while pods remain on it).
struct NodeEntry {
  NodeInfo info;
  quota::ResourceList requested;  // sum of requests of the pods holding the node
  int32_t pods = 0;
  // The pods holding the node (unordered), pointing into the pod map: a pod is removed
  // here before it leaves the map or stops holding the node.
  std::vector<const PodEntry*> held_by;
  std::vector<NodeHold> holds;  // room held for reclaiming pods
  bool known = false;
  uint64_t seen = 0;  // node-list generation that last saw it (relist bookkeeping)

  // allocatable - requested - holds of pods other than `except_uid`, for `resource`.
  int64_t FreeFor(std::string_view resource, std::string_view except_uid) const;
};

struct ClusterCounts {
  size_t nodes = 0;       // known nodes
  size_t pods = 0;        // all pod records
  size_t bound_pods = 0;  // holding a node
  size_t assumed_pods = 0;
};

class ClusterState {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ClusterState(quota::QuotaLedger* ledger,
                        std::function<Clock::time_point()> now = Clock::now);
  ClusterState(const ClusterState&) = delete;

  // Lookups by string_view without building a std::string.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename V>
  using NameMap = std::unordered_map<std::string, V, NameHash, std::equal_to<>>;

  ClusterState& operator=(const ClusterState&) = delete;

  // Pod watch. UpsertPod takes the decoded pod (REQUIRES: uid non-empty).
  void BeginPodList();
  void UpsertPod(const PodInfo& pod);
  void DeletePod(std::string_view uid);
  void EndPodList();

  // Node watch.
  void BeginNodeList();
  // Returns whether the node is new to the cache or changed in what decides placement
  // (allocatable, labels, annotations, unschedulable): kube-scheduler retries waiting
  // pods on such a change too (the Requeuer's releases, requeuer.h).
  bool UpsertNode(NodeInfo node);
  void DeleteNode(std::string_view name);
  void EndNodeList();

  // Quotient bound the pod to `node` (the API accepted the Binding). Charges the
  // ledger (converting its reservation) and the node at once. No-op if the pod is
  // already known to hold a node. `pod.requests` is its quota charge; when the watch knows
  // the pod, the part beyond its own requests is its claim charge (quota only, not the
  // node's).
  void AssumeBound(const quota::PodDemand& pod, std::string_view name, std::string_view node);

  // The DRA claim charge of pod `uid` changed (a claim was allocated, its reservedFor
  // moved, or it was deleted: state::ClaimSink). A pod holding a node is charged again in
  // the ledger at once; a pending pod's record keeps it for its binding. No-op for an
  // unknown pod or an unchanged charge.
  void SetClaimCharge(std::string_view uid, const quota::ResourceList& charge);

  // Calls fn(lookup) under the shared lock; lookup(name) returns the NodeEntry or
  // nullptr. REQUIRES: fn does not call back into this object.
  template <typename Fn>
  auto ReadNodes(Fn&& fn) const {
    std::shared_lock lock(mu_);
    auto lookup = [this](std::string_view name) -> const NodeEntry* {
      auto it = nodes_.find(name);  // heterogeneous: no string built per node
      return it == nodes_.end() ? nullptr : &it->second;
    };
    return fn(lookup);
  }

  // Calls fn(nodes, pods) under the shared lock with the whole maps (reclaim planning).
  // REQUIRES: fn does not call back into this object.
  template <typename Fn>
  auto ReadAll(Fn&& fn) const {
    std::shared_lock lock(mu_);
    return fn(nodes_, pods_);
  }
  // Likewise with the UIDs of the pods waiting with no node that kube-scheduler marked
  // Unschedulable (the reclaim candidates to consider), as a third argument.
  template <typename Fn>
  auto ReadForReclaim(Fn&& fn) const {
    std::shared_lock lock(mu_);
    return fn(nodes_, pods_, unschedulable_);
  }

  // Holds room on `node` for the reclaiming pod `uid` (replacing a hold it had
  // anywhere); DropHold releases it. Holds are not charged to `requested`: decisions
  // subtract them (NodeEntry::FreeFor).
  void SetHold(std::string_view node, const std::string& uid, const quota::ResourceList& requests);
  void DropHold(std::string_view uid);
  // Whether some reclaiming pod holds room (a SetHold not yet dropped; conservative: a hold
  // on a node that was deleted counts until its DropHold). Lock-free: the filter's fast
  // path reads it per request.
  bool HasHolds() const { return holders_count_.load(std::memory_order_acquire) > 0; }

  // Bumped by every change of nodes, pods or holds: a reclaim plan that failed at one
  // generation fails again until it moves.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // True if some pod holding a node in one of `namespaces` is preemptible and has a
  // priority below `priority`: priority preemption could free room there.
  bool HasPreemptiblePodBelow(const std::vector<std::string>& namespaces, int32_t priority) const;

  // A copy of one pod's record; false if unknown.
  bool FindPod(std::string_view uid, PodRecord* out) const;
  ClusterCounts counts() const;
  // Tests: the whole state in one canonical text (nodes, pods, holds and the indexes), and
  // whether what is derived from the pods matches them ("" when it does, else what
  // differs): each node's summed requests, pod count and pod list, the preemptible counts,
  // the Unschedulable index, and the ledger holding every pod that holds a node for its
  // quota requests.
  std::string DebugString() const;
  std::string CheckInvariants() const;

 private:
  // A hold made ahead (PrepareHold): everything it allocates; CommitHold cannot fail.
  // Dropped uncommitted, it undoes its preparation (a node entry it created, a
  // preemptible count left at zero).
  class PreparedHold;
  // REQUIRES: mu_ held exclusively (for all of the below).
  // Prepares `record`'s hold on record.node; `releasing` is the pod's current entry when
  // its hold on the same node is released in the same update (its requests leave the sum).
  void PrepareHold(PreparedHold* out, const PodRecord& record, const PodEntry* releasing);
  void CommitHold(PreparedHold* hold, const PodEntry& entry);  // cannot fail
  // A count of preemptible_by_ns_: a view of its namespace key (valid until the count is
  // dropped) and the priority; ns "" for none.
  struct PreemptibleSlot {
    std::string_view ns;
    int32_t priority = 0;
  };
  // Takes `entry` off its node (sum, count, pod list, preemptible count); returns the
  // node's name (a view of the nodes_ key, "" if none) for DropIfGhost, and the count it
  // lowered in *uncounted for DropEmptyPreemptible: both are dropped by the caller once
  // the update is in (a new hold may count in the same place). Cannot fail.
  std::string_view UnholdNode(const PodEntry& entry, PreemptibleSlot* uncounted);
  // UnholdNode, the ledger's Release and DropIfGhost. Cannot fail.
  void Unhold(const PodEntry& entry);
  // Erases the node if it is unknown and holds nothing (no pods, no holds). Cannot fail.
  void DropIfGhost(std::string_view name);
  // The node entry of `name`, made if absent (second: made now). Strong.
  std::pair<NodeEntry*, bool> NodeFor(std::string_view name);
  // -1 on a preemptible pod's count, returning it (cannot fail; +1 goes through
  // PrepareHold).
  PreemptibleSlot UncountPreemptible(const PodRecord& record);
  // Erases the count of (ns, priority) if it is zero, and the namespace's map if empty
  // (nothing for ns ""). Cannot fail.
  void DropEmptyPreemptible(std::string_view ns, int32_t priority);
  // Whether the pod belongs in unschedulable_ (a reclaim candidate).
  static bool IsWaiting(const PodRecord& record);

  quota::QuotaLedger* const ledger_;
  const std::function<Clock::time_point()> now_;

  mutable std::shared_mutex mu_;
  NameMap<NodeEntry> nodes_;  // guarded by mu_
  NameMap<PodRecord> pods_;   // by UID; guarded by mu_
  // Per namespace: priority -> number of preemptible pods holding a node. Guarded by mu_.
  NameMap<std::map<int32_t, int32_t>> preemptible_by_ns_;
  // Pods with no node that kube-scheduler marked Unschedulable. Guarded by mu_.
  std::unordered_set<std::string> unschedulable_;
  // UIDs of the pods holding room through SetHold. Guarded by mu_; its size mirrored in
  // holders_count_ (written under mu_, exclusive). Found by string_view.
  std::unordered_set<std::string, NameHash, std::equal_to<>> holders_;
  std::atomic<size_t> holders_count_{0};
  // Relist bookkeeping, guarded by mu_.
  uint64_t pod_generation_ = 0;
  uint64_t node_generation_ = 0;
  uint64_t pods_seen_ = 0;  // PodRecord::first_seen counter
  Clock::time_point pod_list_start_{};
  std::atomic<uint64_t> generation_{0};  // written under mu_ (exclusive)
};

}  // namespace quotient::extender::state
