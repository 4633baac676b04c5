#include "extender/control/reclaimer.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <unordered_set>

#include "extender/telemetry/logging.h"

namespace quotient::extender::state {
namespace {

// Buckets of quotient_reclaim_duration_seconds: from the first eviction to the bind.
const std::vector<double> kDurationBuckets = {0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300};

std::string Plural(size_t n, std::string_view one) {
  return fmt::format("{} {}{}", n, one, n == 1 ? "" : "s");
}

// "1 pod from root.a.1" / "2 pods from root.a.1 and root.a.2"
std::string VictimSummary(const std::vector<std::string>& quotas) {
  std::vector<std::string> distinct;
  for (const std::string& q : quotas) {
    if (std::find(distinct.begin(), distinct.end(), q) == distinct.end()) distinct.push_back(q);
  }
  std::string from;
  for (size_t i = 0; i < distinct.size(); ++i) {
    from += i == 0 ? "" : (i + 1 == distinct.size() ? " and " : ", ");
    from += distinct[i];
  }
  return fmt::format("{} from {}", Plural(quotas.size(), "pod"), from);
}

}  // namespace

Reclaimer::Reclaimer(boost::asio::io_context& ioc, quota::QuotaLedger* ledger, ClusterState* state,
                     PodEvictor* evictor, metrics::Registry* metrics, QuotaMetrics* quota_metrics,
                     std::function<bool()> synced, ReclaimerOptions options,
                     std::function<Clock::time_point()> now)
    : ioc_(ioc),
      ledger_(ledger),
      state_(state),
      evictor_(evictor),
      quota_metrics_(quota_metrics),
      synced_(std::move(synced)),
      options_(std::move(options)),
      now_(std::move(now)) {
  if (metrics == nullptr) return;
  reclaims_ = metrics->AddCounter(
      "quotient_reclaims_total",
      "Reclaims of guaranteed quota: started (victims chosen), completed (the pod bound), "
      "aborted (pod gone, deadline, disruption budget, API failure).",
      {"event", "reason"});
  for (auto [event, reason] : {std::pair{"started", "planned"},
                               {"completed", "bound"},
                               {"aborted", "pod_gone"},
                               {"aborted", "deadline"},
                               {"aborted", "disruption_budget"},
                               {"aborted", "api_error"}}) {
    reclaims_->CounterWith({event, reason});
  }
  evictions_ = metrics->AddCounter(
      "quotient_reclaim_evictions_total",
      "Eviction requests made for reclaim, by the victim's quota and the API's answer "
      "(evicted, disruption_budget, gone, failed).",
      {"quota", "result"});
  duration_ = metrics
                  ->AddHistogram("quotient_reclaim_duration_seconds",
                                 "Time from the start of a reclaim to its pod's binding.", {},
                                 kDurationBuckets)
                  ->HistogramWith({});
  metrics->AddCollectedGauge(
      "quotient_reclaims_in_flight", "Reclaims started whose pod has not bound yet.", {},
      [this](const metrics::Emit& emit) { emit({}, static_cast<double>(in_flight())); });
}

Reclaimer::~Reclaimer() = default;

void Reclaimer::Count(const char* event, const char* reason) {
  if (reclaims_ != nullptr) reclaims_->CounterWith({event, reason})->Inc();
}

size_t Reclaimer::in_flight() const {
  std::lock_guard lock(mu_);
  return reclaims_by_pod_.size();
}

bool Reclaimer::AwaitingEvictions(const std::string& uid) const {
  if (in_flight_.load(std::memory_order_acquire) == 0) return false;
  std::lock_guard lock(mu_);
  auto it = reclaims_by_pod_.find(uid);
  if (it == reclaims_by_pod_.end()) return false;
  return std::ranges::any_of(it->second.victims, [](const Victim& v) { return !v.evicted; });
}

bool Reclaimer::VictimsGoneButClaimsAllocated(const Reclaim& reclaim) const {
  if (options_.dra == nullptr) return false;
  std::vector<std::string> uids;
  for (const Victim& v : reclaim.victims) {
    PodRecord record;
    if (state_->FindPod(v.pod.uid, &record)) return false;  // still there
    uids.push_back(v.pod.uid);
  }
  return options_.dra->AllocatedClaimsOf(uids) > 0;
}

ReclaimStatus Reclaimer::StatusOf(const std::string& uid) const {
  std::lock_guard lock(mu_);
  auto it = reclaims_by_pod_.find(uid);
  if (it == reclaims_by_pod_.end()) return {};
  const Reclaim& r = it->second;
  std::vector<std::string> quotas;
  size_t evicted = 0;
  for (const Victim& v : r.victims) {
    quotas.push_back(v.quota);
    evicted += v.evicted ? 1 : 0;
  }
  std::string text = fmt::format("reclaiming {} for quota {}: ", VictimSummary(quotas), r.quota);
  if (evicted < r.victims.size()) {
    text += "evicting";
  } else if (VictimsGoneButClaimsAllocated(r)) {
    // Their DRA devices are free only once the resourceclaim controller deallocates them.
    text += "waiting for the evicted pods' ResourceClaims to be deallocated";
  } else {
    text += "waiting for the evicted pods to leave";
  }
  return ReclaimStatus{true, std::move(text), r.node};
}

std::vector<std::string> Reclaimer::Describe(std::string_view ns, std::string_view name) const {
  std::vector<std::string> out;
  std::string uid;
  {
    std::lock_guard lock(mu_);
    for (const auto& [pod_uid, r] : reclaims_by_pod_) {
      if (r.pod.ns == ns && r.pod.name == name) uid = pod_uid;
      for (const Victim& v : r.victims) {
        if (v.pod.ns != ns || v.pod.name != name) continue;
        out.push_back(fmt::format(
            "this pod {} so that quota {} gets back its guaranteed min (for {}/{}); quota {} "
            "uses more than its min",
            v.evicted ? "was evicted" : "is being evicted", r.quota, r.pod.ns, r.pod.name,
            v.quota));
      }
    }
  }
  if (!uid.empty()) {
    ReclaimStatus status = StatusOf(uid);
    if (status.active) out.push_back(fmt::format("{} on node {}", status.text, status.node));
  }
  return out;
}

void Reclaimer::RunPass() {
  if (!options_.enabled || ledger_ == nullptr || !synced_()) return;
  std::lock_guard lock(mu_);
  const Clock::time_point now = now_();
  Settle(now);
  PlanNew(now);
}

void Reclaimer::Finish(const std::string& uid, Reclaim& reclaim, const char* event,
                       const char* reason, bool give_back) {
  state_->DropHold(uid);
  if (give_back) ledger_->CancelReservation(uid);
  Count(event, reason);
  Log(std::string_view(event) == "completed" ? spdlog::level::info : spdlog::level::warn,
      std::string_view(event) == "completed" ? "reclaim completed" : "reclaim aborted",
      {{"pod", reclaim.pod.ns + "/" + reclaim.pod.name},
       {"quota", reclaim.quota},
       {"node", reclaim.node},
       {"reason", reason}});
}

void Reclaimer::Settle(Clock::time_point now) {
  for (auto it = blocked_victims_.begin(); it != blocked_victims_.end();) {
    it = it->second <= now ? blocked_victims_.erase(it) : std::next(it);
  }
  for (auto it = backoff_.begin(); it != backoff_.end();) {
    it = it->second <= now ? backoff_.erase(it) : std::next(it);
  }
  for (auto it = reclaims_by_pod_.begin(); it != reclaims_by_pod_.end();) {
    const std::string& uid = it->first;
    Reclaim& reclaim = it->second;
    PodRecord pod;
    const bool present = state_->FindPod(uid, &pod);
    if (present && pod.holds_node()) {
      if (duration_ != nullptr) {
        duration_->Observe(std::chrono::duration<double>(now - reclaim.started).count());
      }
      Finish(uid, reclaim, "completed", "bound", /*give_back=*/false);
    } else if (!present || pod.terminating || pod.terminal) {
      ledger_->Release(uid);  // a deleted pod's reservation is gone already: idempotent
      Finish(uid, reclaim, "aborted", "pod_gone", /*give_back=*/false);
    } else if (!reclaim.abort_reason.empty()) {
      // Not planned again at once: an eviction the API keeps failing (an outage, a webhook
      // denying it) would restart this reclaim every pass, ahead of every other pod.
      if (reclaim.abort_reason == "api_error") backoff_[uid] = now + kApiErrorBackoff;
      Finish(uid, reclaim, "aborted", reclaim.abort_reason.c_str(), /*give_back=*/true);
    } else if (now >= reclaim.deadline) {
      backoff_[uid] = now + options_.deadline;  // do not evict again for it at once
      Finish(uid, reclaim, "aborted", "deadline", /*give_back=*/true);
    } else {
      ++it;
      continue;
    }
    it = reclaims_by_pod_.erase(it);
  }
  in_flight_.store(reclaims_by_pod_.size(), std::memory_order_release);
}

void Reclaimer::PlanNew(Clock::time_point now) {
  const uint64_t generation = state_->generation();
  auto skip = [&](const std::string& uid) {
    if (reclaims_by_pod_.contains(uid) || backoff_.contains(uid)) return true;
    // Admitted by filter since it was marked Unschedulable: it is binding, nothing to take.
    if (ledger_->Holds(uid)) return true;
    auto failed = failed_at_.find(uid);
    return failed != failed_at_.end() &&
           (failed->second.generation == generation || now < failed->second.retry_after);
  };
  std::unordered_set<std::string> leaving;  // victims of reclaims in flight
  for (const auto& [uid, reclaim] : reclaims_by_pod_) {
    for (const Victim& v : reclaim.victims) leaving.insert(v.pod.uid);
  }
  const VictimFilter filter{[&](const std::string& uid) { return blocked_victims_.contains(uid); },
                            [&](const std::string& uid) { return leaving.contains(uid); },
                            options_.devices};
  std::vector<std::pair<ReclaimCandidate, ReclaimChoice>> started;
  const quota::QuotaTree* planned_on = nullptr;  // the tree the plans' IDs are of
  state_->ReadForReclaim([&](const NodeMap& nodes, const PodMap& pods, const auto& waiting) {
    // Forget failures of pods that are gone (bounded by the pod table).
    std::erase_if(failed_at_, [&](const auto& entry) { return !pods.contains(entry.first); });
    const quota::QuotaUsage& usage = ledger_->usage();
    planned_on = &usage.tree();
    std::vector<ReclaimCandidate> candidates =
        FindReclaimCandidates(usage, pods, waiting, options_.scheduler_names, skip);
    size_t planned = 0;
    for (ReclaimCandidate& candidate : candidates) {
      if (planned++ == options_.max_plans_per_pass) break;
      ReclaimChoice choice = PlanReclaimFor(usage, candidate, nodes, pods, filter);
      if (choice.outcome != quota::ReclaimOutcome::kPlanned || choice.victims.empty()) {
        // Or: waiting for terminating pods. Planned again once the cluster changed, and
        // not before kReplanAfter: a plan costs O(pods of the pool) under the lock.
        failed_at_[candidate.pod.uid] = FailedPlan{generation, now + kReplanAfter};
        continue;
      }
      started.emplace_back(std::move(candidate), std::move(choice));
      // The next candidates are planned against the room this one takes: one plan per
      // pass keeps it simple (their usage changes once its reservation is made).
      break;
    }
    return 0;
  });
  for (auto& [candidate, choice] : started) Start(candidate, choice, *planned_on, now);
}

void Reclaimer::Start(const ReclaimCandidate& candidate, const ReclaimChoice& choice,
                      const quota::QuotaTree& planned_on, Clock::time_point now) {
  const std::string& uid = candidate.pod.uid;
  // The claims' charge too: the reservation becomes the pod's charge when it binds.
  quota::PodDemand demand{uid, candidate.pod.ns, candidate.quota_requests()};
  const quota::AdmitDecision reserved = ledger_->ReserveReclaimed(demand, now + options_.deadline);
  if (reserved.code != quota::AdmitCode::kAdmitted) {
    // Filter admitted it since the plan (it is binding, its room found), or its namespace
    // left the tree: nothing to reclaim, and no reservation of ours to give back later.
    return;
  }
  if (reserved.tree != &planned_on) {
    // The tree was reloaded since the plan: its guarantee, its quotas and their IDs may
    // have changed. Evict nothing on the old tree's word; the next pass plans again.
    ledger_->CancelReservation(uid);
    Log(spdlog::level::info, "reclaim not started: the quota tree was reloaded since its plan",
        {{"pod", candidate.pod.ns + "/" + candidate.pod.name}});
    return;
  }
  const quota::QuotaTree& tree = planned_on;
  state_->SetHold(choice.node, uid, candidate.requests);
  Reclaim reclaim;
  reclaim.pod = candidate.pod;
  reclaim.quota = tree.name(candidate.leaf);
  reclaim.node = choice.node;
  reclaim.started = now;
  reclaim.deadline = now + options_.deadline;
  for (size_t i = 0; i < choice.victims.size(); ++i) {
    reclaim.victims.push_back({choice.victims[i], choice.victim_quotas[i], false});
  }
  const std::string summary = VictimSummary(choice.victim_quotas);
  std::string names;
  for (const PodRef& v : choice.victims) names += (names.empty() ? "" : ", ") + v.ns + "/" + v.name;
  Log(spdlog::level::info, "reclaim started",
      {{"pod", candidate.pod.ns + "/" + candidate.pod.name},
       {"quota", reclaim.quota},
       {"node", choice.node},
       {"victims", names}});
  Count("started", "planned");
  Post(PodEvent{candidate.pod, "Normal", "QuotaReclaiming",
                fmt::format("Quotient is evicting {} ({}) on node {} to give quota {} its "
                            "guaranteed min back",
                            summary, names, choice.node, reclaim.quota)});
  reclaims_by_pod_.emplace(uid, std::move(reclaim));
  in_flight_.store(reclaims_by_pod_.size(), std::memory_order_release);
  // Posted, never started inline: co_spawn may run the coroutine at once on an io
  // thread, and it takes mu_, which the caller holds.
  boost::asio::post(
      ioc_, [this, uid] { boost::asio::co_spawn(ioc_, Evict(uid), boost::asio::detached); });
}

boost::asio::awaitable<void> Reclaimer::Record(PodEvent event) {
  auto post = evictor_->PostEvent(event);
  ApiOutcome outcome = co_await std::move(post);
  if (outcome.kind != ApiOutcome::Kind::kOk) {
    Log(spdlog::level::warn, "event not recorded",
        {{"pod", event.pod.ns + "/" + event.pod.name},
         {"reason", event.reason},
         {"error", outcome.message}});
  }
}

void Reclaimer::Post(PodEvent event) {
  boost::asio::post(ioc_, [this, event = std::move(event)]() mutable {
    boost::asio::co_spawn(ioc_, Record(std::move(event)), boost::asio::detached);
  });
}

boost::asio::awaitable<void> Reclaimer::Evict(std::string uid) {
  for (size_t i = 0;; ++i) {
    PodRef victim, by;
    std::string quota, victim_quota;
    {
      std::lock_guard lock(mu_);
      auto it = reclaims_by_pod_.find(uid);
      if (it == reclaims_by_pod_.end() || i >= it->second.victims.size()) co_return;
      victim = it->second.victims[i].pod;
      victim_quota = it->second.victims[i].quota;
      by = it->second.pod;
      quota = it->second.quota;
    }
    auto evict = evictor_->Evict(victim);
    ApiOutcome outcome = co_await std::move(evict);
    const EvictResult result = ClassifyEviction(outcome);
    static constexpr const char* kResultNames[] = {"evicted", "disruption_budget", "gone",
                                                   "failed"};
    const char* result_name = kResultNames[static_cast<int>(result)];
    if (evictions_ != nullptr) evictions_->CounterWith({victim_quota, result_name})->Inc();
    Log(result == EvictResult::kEvicted || result == EvictResult::kGone ? spdlog::level::info
                                                                        : spdlog::level::warn,
        "reclaim eviction",
        {{"victim", victim.ns + "/" + victim.name},
         {"victim_quota", victim_quota},
         {"for", by.ns + "/" + by.name},
         {"quota", quota},
         {"result", result_name},
         {"detail", outcome.message}});
    std::lock_guard lock(mu_);
    auto it = reclaims_by_pod_.find(uid);
    if (it == reclaims_by_pod_.end()) co_return;
    Reclaim& reclaim = it->second;
    switch (result) {
      case EvictResult::kEvicted:
        reclaim.victims[i].evicted = true;
        if (quota_metrics_ != nullptr) quota_metrics_->CountEviction(victim_quota);
        Post(PodEvent{victim, "Normal", "QuotaReclaim",
                      fmt::format("Evicted by Quotient: quota {} reclaims its guaranteed min for "
                                  "pod {}/{}; quota {} was using more than its min",
                                  quota, by.ns, by.name, victim_quota)});
        break;
      case EvictResult::kGone:
        reclaim.victims[i].evicted = true;  // its room is free (or on its way) anyway
        break;
      case EvictResult::kBudgetRefused:
        blocked_victims_[victim.uid] = now_() + options_.budget_backoff;
        reclaim.abort_reason = "disruption_budget";
        co_return;
      case EvictResult::kFailed: reclaim.abort_reason = "api_error"; co_return;
    }
  }
}

}  // namespace quotient::extender::state
