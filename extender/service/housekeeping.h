// The once-a-second housekeeping of `quotient serve`: expire quota reservations whose
// pods never bound, run a reclaim pass, have the scheduler retry refused pods that may fit
// now (after a quota reload or expired reservations, and the watch race of requeuer.h),
// and publish the watch health to /readyz, logging each change of state once. With leader
// election only the leader reclaims and nudges; readiness does not depend on leadership.
//
// Thread safety: confined to one coroutine (Run) or one caller (Tick); the targets are
// thread-safe themselves.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>

#include "extender/control/reclaimer.h"
#include "extender/http/readiness.h"
#include "extender/service/live_cluster.h"
#include "quota/quota_ledger.h"

namespace quotient::extender {

class Housekeeper {
 public:
  // Any pointer may be null (no quota, no API connection, no reclaim); `readiness` is
  // written only with a live cluster. REQUIRES: the targets outlive the housekeeper.
  Housekeeper(quota::QuotaLedger* ledger, state::LiveCluster* live, state::Reclaimer* reclaimer,
              Readiness* readiness);

  // One pass, at `now`.
  void Tick(quota::Clock::time_point now);

  // Ticks once a second until *stopping is set. Runs on the io_context it is spawned on.
  boost::asio::awaitable<void> Run(const std::atomic<bool>* stopping);

 private:
  quota::QuotaLedger* const ledger_;
  state::LiveCluster* const live_;
  state::Reclaimer* const reclaimer_;
  Readiness* const readiness_;
  std::string last_summary_kind_;
  // Held, so that a new tree can never reuse the address of the one compared with.
  std::shared_ptr<const quota::QuotaTree> last_tree_;
};

}  // namespace quotient::extender
