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

#include "extender/state/cluster_state.h"
#include "extender/state/pod_evictor.h"
#include "quota/quota_usage.h"
#include "quota/reclaim.h"

namespace quotient::extender::state {

using NodeMap = ClusterState::NameMap<NodeEntry>;
using PodMap = ClusterState::NameMap<PodRecord>;

struct ReclaimCandidate {
  PodRef pod;
  quota::QuotaId leaf = quota::kNoQuota;
  quota::ResourceList requests;
  int32_t priority = 0;
  std::string creation_timestamp;
};

struct ReclaimChoice {
  quota::ReclaimOutcome outcome = quota::ReclaimOutcome::kNoEligibleVictims;
  std::string node;                 // kPlanned only
  std::vector<PodRef> victims;      // kPlanned only; empty: wait for terminating pods
  std::vector<std::string> victim_quotas;  // each victim's leaf, by name
};

// Pending pods that kube-scheduler marked Unschedulable, of the given schedulers, not
// preemptionPolicy Never, not terminating, not nominated to a node (the scheduler's own
// preemption, checked by the preempt verb, is under way), on a quota leaf, and within
// their guarantee at their leaf (every guaranteed resource they request:
// charged + request <= min).
// Sorted by priority (higher first), then creation time (older first), then UID.
// `skip(uid)` drops pods the caller is already handling.
// `waiting` names the pods to look at (ClusterState::ReadForReclaim: those marked
// Unschedulable with no node), so the cost is theirs, not the pod table's.
std::vector<ReclaimCandidate> FindReclaimCandidates(
    const quota::QuotaUsage& usage, const PodMap& pods,
    const std::unordered_set<std::string>& waiting,
    const std::vector<std::string>& scheduler_names,
    const std::function<bool(const std::string& uid)>& skip);

// What the caller knows of pods beyond the cluster state.
struct VictimFilter {
  // Not an eligible victim (e.g. a disruption budget refused its eviction recently).
  std::function<bool(const std::string& uid)> blocked;
  // Already leaving although the watch has not said so yet (an eviction of a reclaim in
  // flight): counted as terminating, i.e. as relief, never chosen twice.
  std::function<bool(const std::string& uid)> leaving;
};

// Plans victims for `candidate` over every known node of its quota's node pool (or only
// `only_node`, when not empty). Free room subtracts other pods' holds.
ReclaimChoice PlanReclaimFor(const quota::QuotaUsage& usage, const ReclaimCandidate& candidate,
                             const NodeMap& nodes, const PodMap& pods, const VictimFilter& filter,
                             std::string_view only_node = {});

// Seconds since the epoch of an RFC 3339 UTC timestamp ("2026-12-02T07:50:00Z", with
// optional fraction); 0 when empty or malformed (sorts as oldest).
int64_t ParseTimestampSeconds(std::string_view rfc3339);

}  // namespace quotient::extender::state
