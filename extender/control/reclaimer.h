// Active reclaim: gives a quota its guaranteed `min` back by evicting borrowers.
//
// Why Quotient does it itself: kube-scheduler's preemption only looks for victims of
// lower priority, judges fit with its own plugins, and never calls an extender's preempt
// verb when it found no candidate. With equal priorities (scenario 1,
// examples/scenario-1-elastic-quota.yaml) it evicts nothing, so a quota below its min would wait
// forever behind borrowers.
//
// Each pass (RunPass, once a second from the service's housekeeping):
//  1. Settle the reclaims in flight. A reclaim is complete when its pod holds a node;
//     aborted when its pod is gone or terminating, when its deadline passes, or when an
//     eviction was refused (a disruption budget: that victim is skipped for
//     `budget_backoff`; or an API failure: the pod does not reclaim again for
//     kApiErrorBackoff). An aborted reclaim gives its reservation and its node hold back.
//  2. Plan new ones. Candidates are pods kube-scheduler gave up on (PodScheduled False,
//     reason Unschedulable) with no node, not terminating, holding no quota reservation
//     (one that filter admitted since is binding), scheduled by one of
//     `scheduler_names`, whose preemptionPolicy is not Never, on a quota leaf, with no
//     reclaim in flight, in order of priority (higher first) then age (older first).
//     A candidate is planned with quota::PlanReclaim (the victim rules of
//     quota/reclaim.h) over every node of its quota's node pool; a candidate whose plan
//     failed is not planned again until the cluster state changes (generation) and 5 s
//     have passed.
//  3. Start a reclaim for a plan with victims: reserve the pod's quota beyond max
//     (QuotaLedger::ReserveReclaimed: the victims' charges still count until they leave,
//     so nobody else can take the room), hold the pod's requests on the chosen node
//     (ClusterState::SetHold: filter refuses that room to other pods), then evict the
//     victims through the Eviction API, one after the other, and record an Event on
//     each victim naming the quota that reclaimed and one on the pod. Until every victim
//     is evicted, filter refuses the pod (AwaitingEvictions): its reservation beyond max
//     is only sound once the pods it replaces are on their way out; a pod that bound
//     first would leave its quota's parent over max if an eviction then failed.
//
// DRA devices (docs/dra.md, "Reclaim"): kube-scheduler cannot preempt for them, so a pod
// whose ResourceClaims find no free device is the Reclaimer's like any other. Its claims'
// charge is part of its guarantee check, its plan and its reservation; the device check
// (ReclaimerOptions::devices, DraReclaimFit) keeps a plan only if its claims can be
// allocated on the node once the victims' claims are deallocated, with the devices held for
// other reclaims served first; filter refuses those held devices to other pods with claims.
// The victims' devices are free only when the resourceclaim controller deallocates their
// claims; until the pod binds (which kube-scheduler does only then) the reservation and
// hold stay, and the status says what it waits for.
//
// No storms, no thrash: one reclaim per pod; victims already terminating count as freed
// (PlanReclaim's relief), so a pod whose room is on its way plans zero victims and waits;
// the room stays reserved for the pod until it binds, so a victim's replacement is
// refused by quota; pods beyond their guarantee never reclaim.
//
// Lifetime: evictions run as coroutines on the io_context and refer to the Reclaimer;
// it must outlive the io_context's run (the service destroys it after the io threads).
//
// Thread safety: thread-safe. RunPass may run on any thread but not concurrently with
// itself (the housekeeping coroutine calls it); StatusOf and counts are called by filter
// from any thread. Lock order: mu_ before ClusterState's lock; never call into the
// Reclaimer while holding ClusterState's lock. Coroutines (evictions, Events) are posted
// to the io_context, never started inline under mu_.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "extender/control/pod_evictor.h"
#include "extender/control/reclaim_planner.h"
#include "extender/state/cluster_state.h"
#include "extender/state/dra_state.h"
#include "extender/telemetry/metrics.h"
#include "extender/telemetry/quota_metrics.h"
#include "quota/quota_ledger.h"

namespace quotient::extender::state {

struct ReclaimerOptions {
  bool enabled = true;
  // A reclaim whose pod has not bound by then is aborted (and the pod backs off as long).
  std::chrono::milliseconds deadline{120'000};
  // A victim whose eviction a disruption budget refused is not chosen again for so long.
  std::chrono::milliseconds budget_backoff{30'000};
  // Pods of these schedulers are reclaimed for (the profiles that call Quotient).
  std::vector<std::string> scheduler_names{"default-scheduler"};
  // At most this many candidates are planned per pass: a plan costs O(pods of the node
  // pool) under the cluster state's shared lock (docs/benchmarks.md, bench_live_reclaim).
  size_t max_plans_per_pass = 4;
  // Device-level check of plans for GPU pods (gpu_reclaim_fit.h); null: resources only.
  // REQUIRES: outlives the reclaimer.
  const DeviceFitCheck* devices = nullptr;
  // The DRA objects (null without dra.deviceClasses): the status of a reclaim whose victims
  // are gone says whether their claims still hold devices. REQUIRES: outlives the reclaimer.
  const DraState* dra = nullptr;
};

// What filter and explain say of a pod's reclaim.
struct ReclaimStatus {
  bool active = false;
  // "reclaiming 1 pod from root.a.1 for quota root.b.1: " then "evicting", "waiting for the
  // evicted pods to leave" or, once they are gone but ResourceClaims of theirs are still
  // allocated, "waiting for the evicted pods' ResourceClaims to be deallocated".
  std::string text;
  std::string node;
};

class Reclaimer {
 public:
  using Clock = std::chrono::steady_clock;
  // `metrics` and `quota_metrics` may be null. `synced` says whether the caches are
  // complete (nothing is planned before).
  Reclaimer(boost::asio::io_context& ioc, quota::QuotaLedger* ledger, ClusterState* state,
            PodEvictor* evictor, metrics::Registry* metrics, QuotaMetrics* quota_metrics,
            std::function<bool()> synced, ReclaimerOptions options,
            std::function<Clock::time_point()> now = Clock::now);
  ~Reclaimer();
  Reclaimer(const Reclaimer&) = delete;
  Reclaimer& operator=(const Reclaimer&) = delete;

  // One pass (see above). Evictions are spawned on the io_context.
  void RunPass();

  ReclaimStatus StatusOf(const std::string& uid) const;
  // Whether pod `uid` is reclaiming and some of its victims have not been evicted yet
  // (the Eviction API has not accepted them). Filter refuses such a pod every node: its
  // reservation lets it past max only because its victims are on their way out, so it
  // must not bind before they are. Cheap when no reclaim is in flight (one atomic load).
  bool AwaitingEvictions(const std::string& uid) const;
  // Sentences about the reclaims that concern pod ns/name, as the reclaiming pod or as a
  // victim (for /debug/explain), e.g. "this pod is being evicted so that quota root.b.1
  // gets back its guaranteed min (for namespace3/web-0)". Empty if none.
  std::vector<std::string> Describe(std::string_view ns, std::string_view name) const;
  size_t in_flight() const;

 private:
  struct Victim {
    PodRef pod;
    std::string quota;  // the victim's leaf, by name
    bool evicted = false;
  };
  struct Reclaim {
    PodRef pod;
    std::string quota;  // the reclaiming pod's leaf
    std::string node;
    std::vector<Victim> victims;
    Clock::time_point started;
    Clock::time_point deadline;
    std::string abort_reason;  // set by an eviction that failed; settled by the next pass
  };

  void Settle(Clock::time_point now);  // REQUIRES: mu_ held
  // Every victim is gone from the watch, and some claim of theirs is still allocated.
  bool VictimsGoneButClaimsAllocated(const Reclaim& reclaim) const;  // REQUIRES: mu_ held
  void Finish(const std::string& uid, Reclaim& reclaim, const char* event, const char* reason,
              bool give_back);          // REQUIRES: mu_ held
  void PlanNew(Clock::time_point now);  // REQUIRES: mu_ held
  // `planned_on`: the tree the plan was made on (its IDs); nothing starts if the ledger's
  // tree is another one by the time the reservation is made.
  void Start(const ReclaimCandidate& candidate, const ReclaimChoice& choice,
             const quota::QuotaTree& planned_on, Clock::time_point now);  // REQUIRES: mu_ held
  boost::asio::awaitable<void> Evict(std::string uid);
  boost::asio::awaitable<void> Record(PodEvent event);
  void Post(PodEvent event);  // records the Event later, on the io_context
  void Count(const char* event, const char* reason);

  boost::asio::io_context& ioc_;
  quota::QuotaLedger* const ledger_;
  ClusterState* const state_;
  PodEvictor* const evictor_;
  QuotaMetrics* const quota_metrics_;
  const std::function<bool()> synced_;
  const ReclaimerOptions options_;
  const std::function<Clock::time_point()> now_;
  metrics::Family* reclaims_ = nullptr;   // {event, reason}
  metrics::Family* evictions_ = nullptr;  // {quota, result}
  metrics::Histogram* duration_ = nullptr;

  mutable std::mutex mu_;
  std::unordered_map<std::string, Reclaim> reclaims_by_pod_;  // guarded by mu_
  // reclaims_by_pod_.size(), written under mu_, read without it by AwaitingEvictions.
  std::atomic<size_t> in_flight_{0};
  std::unordered_map<std::string, Clock::time_point> blocked_victims_;  // guarded by mu_
  std::unordered_map<std::string, Clock::time_point> backoff_;          // guarded by mu_
  struct FailedPlan {
    uint64_t generation = 0;        // ClusterState generation of the failed plan
    Clock::time_point retry_after;  // not planned again before
  };
  static constexpr std::chrono::seconds kReplanAfter{5};
  // A pod whose reclaim an API failure aborted waits so long before it reclaims again.
  static constexpr std::chrono::seconds kApiErrorBackoff{10};
  std::unordered_map<std::string, FailedPlan> failed_at_;  // guarded by mu_
};

}  // namespace quotient::extender::state
