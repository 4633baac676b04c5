// The quota rules applied to kube-scheduler's own priority preemption (the extender's
// preempt verb): which of the victims and nodes the scheduler proposed may stay. Pure
// function of a usage snapshot and the proposal; the caller answers the scheduler.
// Rules (docs/quota.md, "Priority preemption"), with the notation of quota/reclaim.h:
// P the preemptor at leaf L, R the resources P requests (> 0) that the tree guarantees
// (QuotaTree::guaranteed), V a proposed victim at leaf M, A = LCA(L, M). Pods of
// namespaces on no leaf ("unquoted") form one more leaf outside the tree: for them A is
// above the root, so the whole of L's and M's paths lie below A.
//  1. Dropped, whatever the quotas: non-preemptible victims; victims the caller has no
//     record of (their quota cannot be checked).
//  2. Terminating victims stay (they leave anyway) and count as relief.
//  3. Same leaf (M == L, or both unquoted): V stays iff V.priority < P.priority (what
//     the scheduler proposes; re-checked).
//  4. Other quota: V stays iff
//     a. P is within its guarantee below A: for every level Q of L's path strictly below
//        A and every r in R: charged(Q,r) - own(r) + request(P,r) <= min(Q,r), where
//        own(r) = request(P,r) if P already holds a reservation (PreemptRequest::
//        already_charged), else 0. R empty or P unquoted: never within a guarantee, so
//        it may take only pods of its own leaf (rule 3);
//     b. evicting V keeps V's quotas at or above their min: for every level Q of M's
//        path strictly below A and every r in R with request(V,r) > 0:
//        charged(Q,r) - relief(Q,r) - request(V,r) >= min(Q,r), relief = the victims
//        kept so far on this node in Q's subtree (terminating ones included).
//     Victims are judged one at a time in a fixed order: terminating first, then lower
//     priority, then newer (larger creation_rank), then the scheduler's order; so when
//     two victims of one quota cannot both go, the less important one is the one taken.
//  5. A node stays iff, with the victims kept,
//     a. at least one victim is left (the scheduler rejects an empty list);
//     b. if any victim was dropped, or room on the node is held for other pods
//        (PreemptNode::held: invisible to the scheduler's dry run): P fits the node:
//        free[d] + Σ kept victims' node_amounts[d] >= node_request[d] for every dim d
//        (otherwise the scheduler's own fit holds for its full proposal; a node whose
//        free is empty is not checked);
//     c. P passes admission once they leave: for every level Q of L's path and every r
//        P requests with a finite bound there: charged(Q,r) - own(r) - relief(Q,r) +
//        request(P,r) <= bound, where the bound is max(Q,r), and for a non-preemptible P
//        also min(Q,r) for r guaranteed (quota_ledger.h, PodDemand::preemptible), and
//        relief counts every kept victim of Q's subtree. (Skipped for an unquoted P.)
//  6. PDB violations of a kept node: the scheduler's count if nothing was dropped, else
//     min(count, victims kept): the scheduler does not say which victims violate a
//     budget, so this is an upper bound (it can only make the node less attractive).
// Nothing is added here: the dry run that proved the pod fits is the scheduler's, over
// its own victims. The caller (extender/decide/quota_preemptor.h) may offer another set
// on a dropped node, planned by PlanReclaim's rules from the live node state; that set
// is proven for resources only (not for ports or pod affinity, which the scheduler's
// dry run would also have checked).
//
// With no usage snapshot (no quota tree) only rules 1, 2, 5a and 5b apply.
//
// Thread safety: pure; reads the usage snapshot with relaxed loads.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "quota/quota_usage.h"

namespace quotient::quota {

// A victim the scheduler proposed.
struct PreemptVictim {
  uint32_t id = 0;                    // caller's handle, returned in the verdicts
  QuotaId leaf = kNoQuota;            // kNoQuota: unquoted
  SparseAmounts quota_amounts;        // its charge in the tree (QuotaTree::ToSparse)
  std::vector<int64_t> node_amounts;  // over PreemptRequest::node_request's dims
  int32_t priority = 0;
  int64_t creation_rank = 0;  // larger = created later
  bool preemptible = true;
  bool terminating = false;
  bool known = true;  // false: the caller has no record of the pod
};

// One node of the proposal.
struct PreemptNode {
  uint32_t id = 0;
  std::vector<int64_t> free;               // free room per dim; empty: unknown, rule 5b not checked
  std::span<const PreemptVictim> victims;  // the scheduler's order
  int64_t pdb_violations = 0;              // the scheduler's count
  bool held = false;  // `free` excludes room held for other pods (rule 5b applies)
};

struct PreemptRequest {
  QuotaId leaf = kNoQuota;  // kNoQuota: unquoted
  SparseAmounts quota_amounts;
  std::vector<int64_t> node_request;
  int32_t priority = 0;
  bool preemptible = true;       // false: admitted only within min (rule 5c)
  bool already_charged = false;  // P holds a reservation: its charge is in the usage
};

enum class VictimVerdict {
  kKept,
  kNonPreemptible,    // rule 1
  kUnknown,           // rule 1
  kNotLowerPriority,  // rule 3
  kBeyondGuarantee,   // rule 4a
  kBelowMin,          // rule 4b
};

// A dropped victim and the numbers behind it.
struct DroppedVictim {
  uint32_t id = 0;
  VictimVerdict verdict = VictimVerdict::kKept;
  // kBeyondGuarantee: the level of L's path and resource P is beyond (charged excludes
  //   own; amount = request(P,r)); quota kNoQuota when P is unquoted or R is empty.
  // kBelowMin: the level of M's path and resource (charged minus relief before V;
  //   amount = request(V,r)).
  QuotaId quota = kNoQuota;
  int32_t resource = -1;
  int64_t charged = 0;
  int64_t amount = 0;
  int64_t min = 0;
};

enum class NodeVerdict {
  kUnchanged,     // every proposed victim stays
  kFiltered,      // some victims dropped; the rest still make room
  kNoVictimLeft,  // rule 5a
  kNoRoom,        // rule 5b
  kQuota,         // rule 5c
};

struct PreemptNodeCheck {
  uint32_t node_id = 0;
  NodeVerdict verdict = NodeVerdict::kUnchanged;
  std::vector<uint32_t> kept;  // victim ids, in the scheduler's order
  std::vector<DroppedVictim> dropped;
  int64_t pdb_violations = 0;  // rule 6 (kept nodes)
  // kNoRoom: the first short dim (available = free + kept victims).
  size_t dim = 0;
  int64_t available = 0;
  // kQuota: the level and resource P would still cross, as a ChargeRefusal whose `used`
  // holds charged - own - relief (what stays charged once the victims leave) and whose
  // `reserved` is 0.
  ChargeRefusal refusal;
  bool stays() const {
    return verdict == NodeVerdict::kUnchanged || verdict == NodeVerdict::kFiltered;
  }
};

// One verdict per node, in input order. `usage` may be null (no quota tree).
// Cost: O(victims × (depth × |R| + victims of the node)) per node; allocates per call
// and per node (see benchmarks/bench_preempt.cc).
std::vector<PreemptNodeCheck> CheckPreemption(const QuotaUsage* usage,
                                              const PreemptRequest& request,
                                              std::span<const PreemptNode> nodes);

}  // namespace quotient::quota
