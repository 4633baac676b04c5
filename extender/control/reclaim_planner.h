// The translation between the live cluster state and quota::PlanReclaim: which pending
// pods may reclaim, and on which node, with which victims (see reclaimer.h for the whole
// flow and quota/reclaim.h for the victim rules).
//
// Thread safety: pure functions over the maps ClusterState::ReadAll hands out; call them
// under that lock.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "extender/objects/pod_ref.h"
#include "extender/objects/timestamp.h"  // ParseTimestampSeconds, for callers
#include "extender/state/cluster_state.h"
#include "quota/quota_usage.h"
#include "quota/reclaim.h"

namespace quotient::extender::state {

using NodeMap = ClusterState::NameMap<NodeEntry>;
using PodMap = ClusterState::NameMap<PodRecord>;

struct ReclaimCandidate {
  PodRef pod;
  quota::QuotaId leaf = quota::kNoQuota;
  quota::ResourceList requests;      // what the node must fit
  quota::ResourceList claim_charge;  // its DRA claims' charge: quota only, on no node
  // requests + claim_charge: what it charges to its quota (guarantee, plan, reservation).
  quota::ResourceList quota_requests() const;
  int32_t priority = 0;
  std::string creation_timestamp;
};

struct ReclaimChoice {
  quota::ReclaimOutcome outcome = quota::ReclaimOutcome::kNoEligibleVictims;
  std::string node;                        // kPlanned only
  std::vector<PodRef> victims;             // kPlanned only; empty: wait for terminating pods
  std::vector<std::string> victim_quotas;  // each victim's leaf, by name
};

// Pending pods that kube-scheduler marked Unschedulable, of the given schedulers, not
// preemptionPolicy Never, not terminating, not nominated to a node (the scheduler's own
// preemption, checked by the preempt verb, is under way), on a quota leaf, and within
// their guarantee at their leaf (every guaranteed resource they request or their DRA
// claims are charged: charged + request <= min).
// Sorted by priority (higher first), then creation time (older first), then UID.
// `skip(uid)` drops pods the caller is already handling.
// `waiting` names the pods to look at (ClusterState::ReadForReclaim: those marked
// Unschedulable with no node), so the cost is theirs, not the pod table's.
std::vector<ReclaimCandidate> FindReclaimCandidates(
    const quota::QuotaUsage& usage, const PodMap& pods,
    const std::unordered_set<std::string>& waiting, const std::vector<std::string>& scheduler_names,
    const std::function<bool(const std::string& uid)>& skip);

// A device-level check of reclaim plans (GPU placement, gpu_reclaim_fit.h): whether the
// pod fits a node once some pods have left, which counting resources cannot say (which
// GPU's memory or which MIG slices an eviction frees). Called under ClusterState's
// shared lock: implementations must not call into ClusterState, and must be thread-safe.
class DeviceFitCheck {
 public:
  virtual ~DeviceFitCheck() = default;
  // Whether pod `uid` has a request this check decides (else it is never asked about it).
  virtual bool Applies(std::string_view uid) const = 0;
  // Whether `resource`, for such a pod, is decided at device level rather than counted in
  // the node room (MIG devices: a partitionable node advertises none before they exist).
  virtual bool DecidesResource(std::string_view resource) const = 0;
  // Whether pod `uid` fits `node` at device level once the pods `leaving` (UIDs) are gone,
  // beside the room held on it for the reclaiming pods `holders` (UIDs, not `uid`), which
  // an implementation serves first (DRA claims and GPU placements both do).
  virtual bool FitsAfter(std::string_view uid, std::string_view node,
                         const std::vector<std::string_view>& leaving,
                         const std::vector<std::string_view>& holders) const = 0;
};

// What the caller knows of pods beyond the cluster state.
struct VictimFilter {
  // Not an eligible victim (e.g. a disruption budget refused its eviction recently).
  std::function<bool(const std::string& uid)> blocked;
  // Already leaving although the watch has not said so yet (an eviction of a reclaim in
  // flight): counted as terminating, i.e. as relief, never chosen twice.
  std::function<bool(const std::string& uid)> leaving;
  // Device-level check of the plans of pods it applies to; null: resources only.
  const DeviceFitCheck* devices = nullptr;
};

// Plans victims for `candidate` over every known node of its quota's node pool (or only
// `only_node`, when not empty). Free room subtracts other pods' holds. With a device check
// that applies to the pod, a node where the pod would not fit at device level even if all
// its possible victims and leaving pods left is no candidate, and on the others the device
// check is rule 4c of quota/reclaim.h: victims are taken in preference order until the pod
// fits at device level too (then reprieved while it still does), so the victims chosen
// are the ones whose GPU memory or MIG slices make room.
ReclaimChoice PlanReclaimFor(const quota::QuotaUsage& usage, const ReclaimCandidate& candidate,
                             const NodeMap& nodes, const PodMap& pods, const VictimFilter& filter,
                             std::string_view only_node = {});

}  // namespace quotient::extender::state
