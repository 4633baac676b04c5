// Tells kube-scheduler to retry pods that Quotient refused, when they may now fit and
// the scheduler has no event of its own that would retry them.
//
// Why: kube-scheduler parks a pod whose filter failed in its unschedulable queue and
// retries it on a cluster event (a pod or node change) or after 5 minutes. A pod
// refused by an extender alone is retried on *any* such event. Two cases leave such a
// pod parked for those 5 minutes:
//  * room that only Quotient sees come free: a quota edit (file or ElasticQuotaTree), a
//    quota reservation that expired. NudgeAll() retries every refused pod;
//  * the watch race: a pod that held room leaves (or a node joins); kube-scheduler sees
//    it first and retries the waiting pod at once, and Quotient, whose own watch has
//    not delivered the change yet, refuses the pod from the state before it. The
//    scheduler's retry for that event is spent. NoteRelease() marks the pods refused in
//    the kLagWindow before the change (and kInFlightWindow after it) as suspect; NudgeStale() (once
//    a second) retries a suspect once its window has passed, unless a later change, which
//    kube-scheduler saw after the refusal and retried the pod for itself, made the nudge redundant.
//    In a busy cluster (a change every few seconds) that is nearly always the case, and no patch is
//    sent.
// A nudge is a merge patch of the annotation `quotient.io/requeued-at`: kube-scheduler
// sees an update of an unschedulable pod and retries it after its backoff.
//
// The refused set is bounded (kMaxTracked, oldest dropped); a nudged pod leaves it (a
// pod refused again is noted again). Patches go through the client's rate limit.
//
// Thread safety: every method may be called from any thread (a mutex guards the set);
// patches are spawned on the io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "extender/kube/api_client.h"
#include "extender/kube/write_fence.h"
#include "extender/telemetry/metrics.h"

namespace quotient::extender::state {

inline constexpr std::string_view kRequeueAnnotation = "quotient.io/requeued-at";

// Why a nudge was sent: the `trigger` label of quotient_requeue_nudges_total.
enum class NudgeTrigger { kQuotaReload, kReservationExpiry, kWatchRace };
std::string_view NudgeTriggerName(NudgeTrigger trigger);

class Requeuer {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kMaxTracked = 10'000;
  // How far kube-scheduler's watch may be ahead of Quotient's: a refusal up to this long
  // before Quotient saw a change may have been the scheduler's retry for that change.
  static constexpr Clock::duration kLagWindow = std::chrono::seconds(3);
  // A refusal noted this soon after a release may have read the state before it (a
  // filter in flight while the watch applied the change): a suspect too.
  static constexpr Clock::duration kInFlightWindow = std::chrono::seconds(1);

  // `still_pending(uid)` says whether the pod still waits (not bound, not deleted).
  // `fence` (may be null: always open) is checked before each patch (write_fence.h): a
  // replica that does not lead nudges nothing.
  Requeuer(boost::asio::io_context& ioc, kube::ApiClient* client, metrics::Registry* registry,
           std::function<bool(const std::string& uid)> still_pending,
           const kube::WriteFence* fence = nullptr);

  // Filter refused the pod on every node (called once per refusal; the latest counts).
  void NoteRefused(const std::string& uid, const std::string& ns, const std::string& name,
                   Clock::time_point at = Clock::now());
  // Quotient applied a change that kube-scheduler also watches and that may make room:
  // a pod that held a node left, a node joined or changed (watch_sinks.h), a re-list.
  void NoteRelease(Clock::time_point at = Clock::now());
  // Patches every noted pod that still waits; returns how many patches were started.
  size_t NudgeAll(NudgeTrigger trigger);
  // Patches the suspects of the watch race whose window has passed by `now` (see the
  // file comment); returns how many patches were started.
  size_t NudgeStale(Clock::time_point now = Clock::now());

  size_t tracked() const;
  size_t suspects() const;

  // The merge-patch body (exposed for tests).
  static std::string PatchBody(std::string_view timestamp);

 private:
  struct Pod {
    std::string uid, ns, name;
  };
  struct Entry {
    std::string ns, name;
    Clock::time_point refused_at;
    bool suspect = false;
  };
  // One refusal in time order; stale once the pod was refused again (time differs) or
  // left the set.
  struct Refusal {
    Clock::time_point at;
    std::string uid;
  };

  bool CurrentLocked(const Refusal& r) const;
  void Patch(std::vector<Pod> pods, NudgeTrigger trigger);

  boost::asio::io_context& ioc_;
  kube::ApiClient* const client_;
  const std::function<bool(const std::string&)> still_pending_;
  const kube::WriteFence* const fence_;
  metrics::Family* nudges_;

  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> pods_;  // guarded by mu_; by uid
  std::deque<Refusal> refusals_;                 // guarded by mu_; oldest first
  std::vector<Refusal> suspects_;                // guarded by mu_
  Clock::time_point last_release_{};             // guarded by mu_
};

}  // namespace quotient::extender::state
