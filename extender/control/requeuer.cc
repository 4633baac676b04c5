#include "extender/control/requeuer.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "extender/control/api_outcome.h"
#include "extender/telemetry/logging.h"

namespace quotient::extender::state {

namespace {

// Per NudgeTrigger, in enum order: the metric label and the log's reason.
struct TriggerInfo {
  NudgeTrigger trigger;
  std::string_view name;
  std::string_view text;
};
constexpr std::array<TriggerInfo, 3> kTriggers = {{
    {NudgeTrigger::kQuotaReload, "quota_reload", "the quota tree was reloaded"},
    {NudgeTrigger::kReservationExpiry, "reservation_expiry", "quota reservations expired"},
    {NudgeTrigger::kWatchRace, "watch_race",
     "room came free right after they were refused (the scheduler may have heard first)"},
}};

static_assert(kTriggers[0].trigger == NudgeTrigger::kQuotaReload &&
              kTriggers[1].trigger == NudgeTrigger::kReservationExpiry &&
              kTriggers[2].trigger == NudgeTrigger::kWatchRace);

const TriggerInfo& InfoOf(NudgeTrigger trigger) {
  return kTriggers[static_cast<size_t>(trigger)];
}

}  // namespace

std::string_view NudgeTriggerName(NudgeTrigger trigger) {
  return InfoOf(trigger).name;
}

Requeuer::Requeuer(boost::asio::io_context& ioc, kube::ApiClient* client,
                   metrics::Registry* registry,
                   std::function<bool(const std::string& uid)> still_pending,
                   const kube::WriteFence* fence)
    : ioc_(ioc),
      client_(client),
      still_pending_(std::move(still_pending)),
      fence_(fence),
      nudges_(registry->AddCounter(
          "quotient_requeue_nudges_total",
          "Pods refused by Quotient that it asked kube-scheduler to retry (docs/operations.md, "
          "\"Requeue\"), by trigger and by result of the annotation patch.",
          {"trigger", "result"})) {
  for (const TriggerInfo& info : kTriggers) {
    for (const char* result : {"patched", "gone", "failed"}) {
      nudges_->CounterWith({std::string(info.name), result});
    }
  }
}

std::string Requeuer::PatchBody(std::string_view timestamp) {
  return fmt::format(R"({{"metadata":{{"annotations":{{"{}":"{}"}}}}}})", kRequeueAnnotation,
                     timestamp);
}

bool Requeuer::CurrentLocked(const Refusal& r) const {
  auto it = pods_.find(r.uid);
  return it != pods_.end() && it->second.refused_at == r.at;
}

void Requeuer::NoteRefused(const std::string& uid, const std::string& ns, const std::string& name,
                           Clock::time_point at) {
  std::lock_guard lock(mu_);
  Entry& entry = pods_[uid];
  entry.ns = ns;
  entry.name = name;
  entry.refused_at = at;
  entry.suspect = last_release_ != Clock::time_point{} && at >= last_release_ &&
                  at - last_release_ <= kInFlightWindow;
  refusals_.push_back({at, uid});
  if (entry.suspect) suspects_.push_back({at, uid});
  // Bound the set: drop the oldest pods; then drop refusals made stale by later ones
  // once they outnumber the pods (each pod has exactly one current refusal).
  while (pods_.size() > kMaxTracked) {
    const Refusal oldest = std::move(refusals_.front());
    refusals_.pop_front();
    if (CurrentLocked(oldest)) pods_.erase(oldest.uid);
  }
  if (refusals_.size() > 2 * pods_.size() + 64) {
    std::deque<Refusal> kept;
    for (Refusal& r : refusals_) {
      if (CurrentLocked(r)) kept.push_back(std::move(r));
    }
    refusals_.swap(kept);
  }
}

void Requeuer::NoteRelease(Clock::time_point at) {
  std::lock_guard lock(mu_);
  last_release_ = std::max(last_release_, at);
  // Newest first: every refusal since `at - kLagWindow`.
  for (auto it = refusals_.rbegin(); it != refusals_.rend() && it->at >= at - kLagWindow; ++it) {
    auto entry = pods_.find(it->uid);
    if (entry == pods_.end() || entry->second.refused_at != it->at || entry->second.suspect) {
      continue;
    }
    entry->second.suspect = true;
    suspects_.push_back(*it);
  }
}

size_t Requeuer::NudgeStale(Clock::time_point now) {
  std::vector<Pod> due;
  {
    std::lock_guard lock(mu_);
    std::vector<Refusal> waiting;
    for (Refusal& r : suspects_) {
      if (!CurrentLocked(r)) continue;  // refused again since, or nudged
      if (now < r.at + kLagWindow) {
        waiting.push_back(std::move(r));
        continue;
      }
      Entry& entry = pods_.at(r.uid);
      if (last_release_ > r.at + kLagWindow) {
        entry.suspect = false;  // a change kube-scheduler saw after the refusal retried it
        continue;
      }
      due.push_back({r.uid, std::move(entry.ns), std::move(entry.name)});
      pods_.erase(r.uid);
    }
    suspects_.swap(waiting);
  }
  std::erase_if(due, [this](const Pod& pod) { return !still_pending_(pod.uid); });
  const size_t n = due.size();
  if (n > 0) Patch(std::move(due), NudgeTrigger::kWatchRace);
  return n;
}

size_t Requeuer::tracked() const {
  std::lock_guard lock(mu_);
  return pods_.size();
}

size_t Requeuer::suspects() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const Refusal& r : suspects_) n += CurrentLocked(r) ? 1 : 0;
  return n;
}

size_t Requeuer::NudgeAll(NudgeTrigger trigger) {
  std::unordered_map<std::string, Entry> pods;
  {
    std::lock_guard lock(mu_);
    pods.swap(pods_);
    refusals_.clear();
    suspects_.clear();
  }
  std::vector<Pod> waiting;
  for (auto& [uid, entry] : pods) {
    if (still_pending_(uid)) waiting.push_back({uid, std::move(entry.ns), std::move(entry.name)});
  }
  const size_t n = waiting.size();
  if (n > 0) Patch(std::move(waiting), trigger);
  return n;
}

void Requeuer::Patch(std::vector<Pod> pods, NudgeTrigger trigger) {
  Log(spdlog::level::info, "asking the scheduler to retry pods Quotient refused",
      {{"pods", fmt::format_int(pods.size()).c_str()}, {"why", InfoOf(trigger).text}});
  const std::string stamp = fmt::format(
      "{:%FT%TZ}", std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
  const std::string trigger_name(NudgeTriggerName(trigger));
  for (Pod& pod : pods) {
    boost::asio::co_spawn(
        ioc_,
        [this, pod = std::move(pod), stamp, trigger_name]() -> boost::asio::awaitable<void> {
          if (!kube::MayWrite(fence_)) co_return;  // not the leader: the leader nudges
          std::string target = fmt::format("/api/v1/namespaces/{}/pods/{}", pod.ns, pod.name);
          std::string body = PatchBody(stamp);
          kube::RequestOptions options;
          options.content_type = "application/merge-patch+json";
          auto write = FencedWrite(client_, fence_, kube::Method::kPatch, std::move(target),
                                   std::move(body), std::move(options));
          kube::ApiResponse response = co_await std::move(write);
          // 404: the pod went away meanwhile, which is as good as a retry.
          const char* result = response.ok()            ? "patched"
                               : response.status == 404 ? "gone"
                                                        : "failed";
          nudges_->CounterWith({trigger_name, result})->Inc();
          if (!response.ok() && response.status != 404) {
            Log(spdlog::level::warn, "requeue patch failed",
                {{"pod", pod.ns + "/" + pod.name},
                 {"status", fmt::format_int(response.status).c_str()},
                 {"error", response.error}});
          }
        },
        boost::asio::detached);
  }
}

}  // namespace quotient::extender::state
