#include "extender/service/housekeeping.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "extender/telemetry/logging.h"

namespace quotient::extender {

namespace asio = boost::asio;

Housekeeper::Housekeeper(quota::QuotaLedger* ledger, state::LiveCluster* live,
                         state::Reclaimer* reclaimer, Readiness* readiness)
    : ledger_(ledger),
      live_(live),
      reclaimer_(reclaimer),
      readiness_(readiness),
      last_tree_(ledger != nullptr ? ledger->tree() : nullptr) {}

void Housekeeper::Tick(quota::Clock::time_point now) {
  size_t expired = 0;
  if (ledger_ != nullptr) {
    if (expired = ledger_->ExpireReservations(now); expired > 0) {
      Log(spdlog::level::info, "reservations expired",
          {{"count", fmt::format_int(expired).c_str()}});
    }
  }
  if (live_ == nullptr) return;
  // A replica that does not lead neither reclaims nor nudges: the leader does.
  const bool leading = kube::MayWrite(live_->fence());
  if (expired > 0 && leading) {
    live_->requeuer()->NudgeAll(state::NudgeTrigger::kReservationExpiry);
  }
  if (reclaimer_ != nullptr && leading) reclaimer_->RunPass();
  // A reloaded tree may admit pods refused before: have the scheduler retry them.
  if (ledger_ != nullptr && ledger_->tree() != last_tree_) {
    last_tree_ = ledger_->tree();
    if (leading) live_->requeuer()->NudgeAll(state::NudgeTrigger::kQuotaReload);
  }
  if (leading) live_->requeuer()->NudgeStale();
  state::LiveHealth health = live_->health();
  readiness_->Set(health.synced, health.summary);
  std::string kind = !health.synced ? "syncing" : health.connected ? "synced" : "degraded";
  if (kind != last_summary_kind_) {
    Log(kind == "degraded" ? spdlog::level::warn : spdlog::level::info, "cluster state",
        {{"state", kind}, {"detail", health.summary}});
    last_summary_kind_ = kind;
  }
}

asio::awaitable<void> Housekeeper::Run(const std::atomic<bool>* stopping) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stopping->load()) {
    timer.expires_after(std::chrono::seconds(1));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || stopping->load()) break;
    Tick(quota::Clock::now());
  }
}

}  // namespace quotient::extender
