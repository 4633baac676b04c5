// The preempt verb with quota rules: kube-scheduler's priority preemption proposes
// candidate nodes and victims (PreemptionArgs, by UID); QuotaPreemptor drops the victims
// and nodes that would break the quota rules of quota/preempt_check.h and answers the
// rest. It reads each victim from the ClusterState (FindPod: namespace, requests,
// priority, creation time, terminating, the quotient.io/preemptible label), the free
// room of each node from the live node state (allocatable - requested - room held for
// other reclaiming pods, over the resources the preemptor requests), and quota usage
// from the ledger's current snapshot.
//
// Outcome (bounded, for metrics): kPreemptPassed when every proposed node and victim
// stays; kPreemptQuotaFiltered when something was dropped, with result kRejected if no
// node is left (the scheduler then finds no candidate and the pod stays pending).
// `message` lists every dropped victim and node with its reason, for one log line:
//   "preempt namespace3/web-0: kept 1 of 2 nodes; victim namespace1/web-3 on node-1:
//    quota root.a.1 would fall below its min cpu 10 (cpu 10 - 5 < 10); node node-2
//    dropped: no victim left"
// A preemptor whose victims approved earlier, on the node the scheduler chose, are still in
// the cache, or have left while Quotient's filter refused it from a cache that still had
// them (it fits that node and its quota now), gets no new victim (kPreemptVictimsLeaving):
// kRejected, or, when the proposal names that node with only those victims, each being
// deleted, that node alone, kAccepted (preemptions_in_flight.h, docs/quota.md rule 7).
// Victims come back in the scheduler's order. A node whose proposed victims all break the
// rules (or no longer make room) gets other victims of that node when the reclaim
// planner finds a set under the same rules (quota/reclaim.h) that frees as much of every
// requested resource; their UIDs live in PreemptDecision::storage.
//
// Thread safety: thread-safe (const; the ledger and the cluster state are). The answer
// holds string_views into `args` (node names and victim UIDs), like the input.
#pragma once

#include <string>
#include <string_view>

#include "extender/decide/preemptions_in_flight.h"
#include "extender/state/cluster_state.h"
#include "extender/wire/decider.h"
#include "quota/quota_ledger.h"

namespace quotient::extender::state {

class DeviceFitCheck;  // reclaim_planner.h

class QuotaPreemptor {
 public:
  // `ledger` may be null (no quota tree: only non-preemptible victims and node fit are
  // checked). `devices` (may be null) checks swapped victim sets at device level (GPU
  // placement, reclaim_planner.h). REQUIRES: all outlive the preemptor.
  QuotaPreemptor(const quota::QuotaLedger* ledger, const ClusterState* state,
                 const DeviceFitCheck* devices = nullptr,
                 PreemptionsInFlight::Now now = PreemptionsInFlight::Clock::now);

  // The scheduler's proposal minus what the quota rules forbid. If `message` is not
  // null it receives the log line above (empty when nothing was dropped).
  PreemptDecision Preempt(const PreemptionArgs& args, std::string* message = nullptr) const;

  // Quotient's filter refused the pod for quota or for room on the nodes (node_fit), which
  // the departure of victims frees: a preempt call for it that
  // follows at once may come from a refusal that read the cache before its earlier
  // victims left (docs/quota.md rule 7). Cheap for a pod that was never a preemptor.
  void NoteFilterRefusal(std::string_view pod_uid) const;

 private:
  const quota::QuotaLedger* const ledger_;
  const ClusterState* const state_;
  const DeviceFitCheck* const devices_;
  // What was approved for each preemptor (preemptions_in_flight.h); recorded by the const
  // Preempt, hence mutable (it is thread-safe).
  mutable PreemptionsInFlight in_flight_;
};

}  // namespace quotient::extender::state
