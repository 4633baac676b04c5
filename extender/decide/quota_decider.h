// The live decider: quota admission over the QuotaLedger, node checks over the
// ClusterState, and binding through the API server.
//
// filter     1. Not synced yet -> Error naming why (the scheduler retries the pod later). A pod
//               whose DRA claims cannot be charged (docs/dra.md: a claim not there yet,
//               or its charge refused) fails every node, unresolvable, naming the claim.
//            2. Quota check of the pod's requests on its namespace's path: a refusal
//               fails every node with the same readable reason (so the FailedScheduling
//               event reads "0/N nodes are available: N quota ..."), as FailedNodes when
//               a lower-priority preemptible pod of the pod's own quota holds a node
//               (priority preemption, checked by the preempt verb, may fix it), else as
//               FailedAndUnresolvableNodes (no preemption can: the scheduler must not
//               evict by priority for it; a pod within its guarantee is the Reclaimer's).
//            3. Per node: in the cache (else failed, retried), in the node pool of the
//               pod's quota (`quotient.io/node-selector`, else unresolvable), room for
//               every fit resource (else failed), room left by the holds of pods that
//               are reclaiming their guarantee (Reclaimer; else failed): their requests
//               and, for a pod with DRA claims, the devices their claims need (the
//               claims' device fit, DraReclaimFit, with the holders served first). A pod that is
//               reclaiming itself is told so ("reclaiming 1 pod from root.a.1 ...").
//               A pod that none of these concern (its quota has no node pool, it requests
//               no fit resource, no pod holds room anywhere) passes every candidate without
//               a lookup, known to the cache or not: nothing per node can refuse it, and
//               kube-scheduler checked the nodes themselves (the common CPU pod; the
//               lookups were the filter's main cost under load, docs/benchmarks.md).
//            4. If some node passed: reserve the quota until now + reservation TTL (a
//               retry of the same pod extends it) and answer the passing nodes.
// prioritize 0..10 per node: how full the node's fit resources are after placing the
//            pod (bin-packing); 0 for all when no fit resource is requested.
// preempt    the scheduler's priority-preemption proposal minus the nodes and victims
//            that break the quota rules (QuotaPreemptor, quota/preempt_check.h); before
//            the first sync an Error (every victim would be unknown).
// bind       the pod's reservation (or, if Quotient holds none, e.g. after a restart,
//            a fresh quota check from the pod read through the API), then the Binding;
//            accepted -> the pod counts on its node and quota at once; refused -> its
//            reservation is dropped and the API's reason is answered; no answer, or 409
//            (the pod is bound already) -> the reservation stays until the watch shows
//            the pod bound or the TTL lapses (the Binding may have landed).
//
// Thread safety: thread-safe; all state lives in the ledger and the cluster state.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "extender/control/pod_binder.h"
#include "extender/decide/quota_preemptor.h"
#include "extender/devices/dra_reclaim_fit.h"
#include "extender/objects/pod_enricher.h"
#include "extender/state/cluster_state.h"
#include "extender/telemetry/quota_metrics.h"
#include "extender/wire/decider.h"
#include "quota/quota_ledger.h"

namespace quotient::extender::state {

struct QuotaDeciderOptions {
  std::chrono::milliseconds reservation_ttl{30'000};
  // Resources whose node fit Quotient checks itself (those the scheduler is told to
  // ignore through managedResources/ignoredByScheduler). Empty: the scheduler's own
  // NodeResourcesFit covers everything.
  std::vector<std::string> fit_resources;
  // Adds derived requests to a pod bind reads from the API (pod_enricher.h); may be null.
  // REQUIRES: outlives the decider.
  const PodEnricher* enricher = nullptr;
  // Checks the preempt verb's swapped victim sets at device level (GPU placement,
  // reclaim_planner.h); may be null. REQUIRES: outlives the decider.
  const DeviceFitCheck* devices = nullptr;
  // The DRA claims' device fit: a pod with claims is refused a node whose devices are held
  // for reclaiming pods (their claims served first); may be null (no DRA mapping).
  // REQUIRES: outlives the decider.
  const DraReclaimFit* claims = nullptr;
};

class Reclaimer;

class QuotaDecider : public Decider {
 public:
  using Clock = std::chrono::steady_clock;
  // `ledger` may be null (no quota tree configured: node checks only). `binder` may be
  // null (bind refused). `not_synced` says why decisions cannot be made yet (the watch
  // caches are not complete, or the quota tree is not there yet), empty once they can.
  // `metrics` (may be null) counts admissions (quotient_quota_admissions_total).
  QuotaDecider(quota::QuotaLedger* ledger, ClusterState* state, PodBinder* binder,
               std::function<std::string()> not_synced, QuotaDeciderOptions options,
               QuotaMetrics* metrics = nullptr,
               std::function<Clock::time_point()> now = Clock::now);

  // Filter reports the pod's own reclaim through `reclaimer` (may be null), and refuses
  // a reclaiming pod every node until its victims are evicted. Call before serving (not
  // synchronised).
  void AttachReclaimer(const Reclaimer* reclaimer) { reclaimer_ = reclaimer; }

  std::string Describe() const override;
  FilterDecision Filter(const ExtenderArgs& args) override;
  PrioritizeDecision Prioritize(const ExtenderArgs& args) override;
  PreemptDecision Preempt(const PreemptionArgs& args) override;
  boost::asio::awaitable<BindDecision> Bind(BindingArgs args) override;

 private:
  // Quota verdict for a demand; fills reason and text on refusal. With `pod`, a max
  // refusal of a resource its DRA claims are charged names the claims (quota_max_claim).
  // With `admit`, the ledger's decision (its leaf is of admit->tree).
  bool AdmitQuota(const quota::PodDemand& demand, bool reserve, FilterDecision* decision,
                  const PodInfo* pod = nullptr, quota::AdmitDecision* admit = nullptr) const;
  // `leaf` is of `tree` (null: no quota tree, no node pool).
  void CheckNodes(const ExtenderArgs& args, const quota::QuotaTree* tree, quota::QuotaId leaf,
                  FilterDecision* decision) const;
  // Whether the pod requests one of options_.fit_resources.
  bool RequestsFitResource(const PodInfo& pod) const;
  // Whether the pod's DRA claims fit `node` beside the devices held there for other
  // reclaiming pods (true without a claims check, claims or holds).
  // REQUIRES: ClusterState's shared lock held (CheckNodes' ReadNodes).
  bool ClaimsFitBesideHolds(const NodeEntry& node, const ExtenderArgs& args) const;
  // Fails every node for the quota refusal in `decision` (see the filter contract).
  void RefuseForQuota(const ExtenderArgs& args, FilterDecision* decision) const;
  // A pod whose DRA claims cannot be charged (a claim not there yet, or its charge
  // refused) fails every node, unresolvable (claim_pending, claim_refused).
  void RefuseForClaims(const ExtenderArgs& args, FilterDecision* decision) const;
  // A reclaiming pod whose victims are not all evicted fails every node, unresolvable,
  // with its reclaim's status (reason reclaiming).
  void RefuseWhileEvicting(const ExtenderArgs& args, FilterDecision* decision) const;
  // A pod whose own reclaim is under way is told so on every node that failed.
  void ReportOwnReclaim(const ExtenderArgs& args, FilterDecision* decision) const;

  quota::QuotaLedger* const ledger_;
  ClusterState* const state_;
  PodBinder* const binder_;
  QuotaMetrics* const metrics_;
  const std::function<std::string()> not_synced_;
  const QuotaDeciderOptions options_;
  const std::function<Clock::time_point()> now_;
  const QuotaPreemptor preemptor_{ledger_, state_, options_.devices};
  const Reclaimer* reclaimer_ = nullptr;
};

}  // namespace quotient::extender::state
