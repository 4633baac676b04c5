// Victim selection for reclaim: which running pods to evict so that a pending pod gets
// its guaranteed quota back and fits on one node. Pure function of a usage snapshot and
// the candidate nodes; the caller evicts. Rules (docs/quota.md, "Guarantee and reclaim"):
//
// Let P be the pending pod at leaf L, R the resources P requests (> 0) that the tree
// guarantees (QuotaTree::guaranteed: some node has a min > 0 for it; max-only limits such
// as a pod-count cap take part in admission, rule 4b, not in reclaim), V a candidate
// victim at leaf M, A = LCA(L, M).
//  1. Never a victim: non-preemptible pods, pods already terminating (they count as freed
//     instead: their node amounts are relief on their node, their quota charges are relief
//     in every node's plan, since they leave wherever they run), unquoted pods (leaf
//     kNoQuota or outside the tree).
//  2. Same leaf (M == L): V is eligible iff V.priority < P.priority.
//  3. Other quota (M != L), "reclaim within guarantee": eligible iff
//     a. P is within its guarantee below A: for every level Q on L's path strictly below
//        A and every r in R: charged(Q,r) + request(P,r) <= min(Q,r) (no relief here);
//        and
//     b. evicting V keeps V's quotas at or above their min: for every level Q on M's
//        path strictly below A and every r in R with request(V,r) > 0:
//        charged(Q,r) - relief(Q,r) - request(V,r) >= min(Q,r), where relief counts the
//        victims already chosen on this node and the terminating pods (all nodes passed
//        in) in Q's subtree.
//     Priority does not matter here: a guarantee outranks priority. A resource P does not
//     request (request(P,r) = 0) or that the tree does not constrain is not in R: it
//     neither grants nor protects a guarantee. With R empty (or P unquoted) P is within no
//     guarantee, so only rule 2 can give it victims.
//  4. The plan on a node is feasible when, after the victims leave,
//     a. the pod fits the node: free + Σ terminating pods' and victims' node amounts >=
//        P's node request, per node dimension; and
//     b. P passes admission: charged(Q,r) - relief(Q,r) + request(P,r) <= max(Q,r) for
//        every level Q on L's path to the root and every r P requests with a finite max
//        there (guaranteed or not), relief as in 3b.
//     c. (optional) the caller's device fit holds: ReclaimRequest::device_fit(node, the
//        chosen victims' ids) — what counting cannot say, such as which GPU's memory or
//        which MIG slices the victims free. Checked only once 4a and 4b hold, so the
//        greedy of rule 6 keeps taking victims in key order until it also holds, and the
//        reprieve keeps it.
//  5. Order of preference for victims (a static key, computed once per candidate):
//     a. pods whose disruption budget allows eviction first (pdb_allows);
//     b. other-quota victims before same-leaf victims;
//     c. fairness: the victim whose sibling subtree is most above its min first —
//        compare, from the child of A on M's path down to M, the excess
//        e(S) = min over r in R of (charged(S,r) - relief(S,r) - min(S,r)) / request(P,r)
//        (relief: terminating pods only), larger first, lexicographically; a sequence that
//        is a proper prefix of another comes first;
//     d. lower priority first; e. newer first (larger creation_rank); f. input order.
//  6. Per node: take eligible victims in key order until 4 holds (re-checking 3b with the
//     relief so far; a candidate failing it is skipped), then reprieve: walk the chosen
//     victims from the last to the first and drop each one whose removal keeps 4 true.
//     The result is minimal on that node. If 4 already holds with no victim (the pod fits
//     once terminating pods leave), the plan has no victims: the caller waits.
//  7. Among nodes with a feasible plan choose: fewest victims, then fewest PDB
//     violations, then the better key of the first victim, then the lower highest victim
//     priority, then the earlier node in input order.
//
// Outcome when no node has a feasible plan: kNoNodeFits if some pod passed rules 1-3
// (3b with terminating relief only); else kNotWithinGuarantee if P is not within its
// guarantee at its own leaf (3a at L fails, R is empty or P is unquoted) or some
// other-quota pod was refused by 3a; else kNoEligibleVictims.
//
// The caller must pass every node that holds a terminating pod (their quota relief is
// taken from the nodes passed in) and must count pods already nominated to a node (a
// preemptor waiting for its victims to leave) in `free` and as charged, or the next
// pending pod reclaims the same room again.
//
// Thread safety: pure; reads the usage snapshot with relaxed loads (a concurrent change
// may make the plan stale; callers re-check admission when they act on it).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "quota/quota_usage.h"

namespace quotient::quota {

// A pod bound to a candidate node.
struct ReclaimPod {
  uint32_t id = 0;                    // caller's handle, returned in the plan
  QuotaId leaf = kNoQuota;            // kNoQuota: unquoted namespace (never a victim)
  SparseAmounts quota_amounts;        // its charge in the tree (QuotaTree::ToSparse)
  std::vector<int64_t> node_amounts;  // its requests over ReclaimRequest::node_request's
                                      // dims (a missing trailing dim counts as 0)
  int32_t priority = 0;
  int64_t creation_rank = 0;  // larger = created later
  bool preemptible = true;
  bool pdb_allows = true;    // evicting it violates no disruption budget
  bool terminating = false;  // already leaving
};

struct ReclaimNode {
  uint32_t id = 0;                   // caller's handle
  std::vector<int64_t> free;         // allocatable minus everything charged to the node,
                                     // terminating pods included (missing dims count as 0)
  std::span<const ReclaimPod> pods;  // pods bound to it
};

struct ReclaimRequest {
  QuotaId leaf = kNoQuota;
  SparseAmounts quota_amounts;        // the pending pod's charge (QuotaTree::ToSparse)
  std::vector<int64_t> node_request;  // the dims the node must fit (e.g. cpu, memory, gpu)
  int32_t priority = 0;
  // Rule 4c: whether the pod fits node `node_id` (ReclaimNode::id) once `victim_ids`
  // (ReclaimPod::id) and the node's terminating pods leave. Empty: rules 4a/4b only. Called
  // synchronously, possibly many times per node; must be deterministic within one call.
  std::function<bool(uint32_t node_id, std::span<const uint32_t> victim_ids)> device_fit;
};

enum class ReclaimOutcome {
  kPlanned,             // victims chosen on one node (possibly none: wait for terminating)
  kNotWithinGuarantee,  // beyond min and no lower-priority pod of its own quota helps
  kNoEligibleVictims,   // no pod on any node may be evicted for it
  kNoNodeFits,          // eligible victims exist but on no node do they make room (4a/4b)
};

struct ReclaimPlan {
  ReclaimOutcome outcome = ReclaimOutcome::kNoEligibleVictims;
  uint32_t node_id = 0;
  std::vector<uint32_t> victim_ids;  // in preference order
  int pdb_violations = 0;            // victims with pdb_allows == false
};

// Cost: one pass over every pod, O(tree size + victim leaves × depth), then per node one
// pass over its eligible pods and, only for a node that can still beat the best plan so
// far, O(eligible × victims taken). Allocates per call, never per node or pod (see
// benchmarks/bench_reclaim.cc).
ReclaimPlan PlanReclaim(const QuotaUsage& usage, const ReclaimRequest& request,
                        std::span<const ReclaimNode> nodes);

}  // namespace quotient::quota
