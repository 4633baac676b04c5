// What the preempt verb approved for each preemptor, so that kube-scheduler does not take a
// second set of victims for a pod while the first set is still leaving.
//
// kube-scheduler's preemption deletes the victims of the node it chose, records that node in
// the preemptor's status.nominatedNodeName, and retries the pod. Its informer may see the
// victims gone before Quotient's watch does: Quotient's filter then still counts their quota
// and refuses the pod, and kube-scheduler, seeing no victim terminating on the nominated
// node, preempts again elsewhere: one set of victims too many (seen on the real control
// plane: test_reclaim.py's priority preemption evicted two pods for one). So for `ttl`
// after this verb approved victims for a preemptor, on the node the scheduler chose, it
// approves no victim at all (reason preempt_victims_leaving) while some of them are still in
// Quotient's cache, or once they have left if the pod fits there and within its quota (the
// refusal read the cache a moment before they left). The pod waits; when the victims'
// deletions reach Quotient's watch, the Requeuer has kube-scheduler retry it (requeuer.h),
// and it fits. The rules are QuotaPreemptor's (quota_preemptor.cc); this class remembers.
// After `ttl` (victims that never leave) preemption goes on as usual.
//
// Bounded: entries older than `ttl` are dropped at each Record; at most kMaxEntries
// preemptors are remembered (the oldest go first).
//
// Thread safety: thread-safe (one mutex; preempt calls are rare).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "extender/wire/decider.h"

namespace quotient::extender::state {

class PreemptionsInFlight {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;
  static constexpr size_t kMaxEntries = 4096;

  explicit PreemptionsInFlight(std::chrono::milliseconds ttl = std::chrono::seconds(30),
                               Now now = Clock::now);

  // The victims approved for `preemptor_uid`, node by node (replaces an earlier record).
  // A decision without victims records nothing.
  void Record(std::string_view preemptor_uid, const PreemptDecision& decision);

  // Quotient's filter refused the preemptor just now. Remembered only for a preemptor with
  // a record (its refusals before its first preemption do not matter).
  void NoteRefusal(std::string_view preemptor_uid);

  // How recent a refusal must be to be the one behind a preempt call: kube-scheduler runs
  // preemption right after the filters of the same cycle (milliseconds), this is generous.
  static constexpr std::chrono::seconds kRecentRefusal{3};
  using NodeVictimUids = std::map<std::string, std::vector<std::string>, std::less<>>;
  struct Approval {
    NodeVictimUids victims;         // node -> UIDs; empty if none less than ttl ago
    bool refused_recently = false;  // NoteRefusal less than kRecentRefusal ago
  };
  // What was approved for the preemptor less than ttl ago.
  Approval Approved(std::string_view preemptor_uid) const;

  size_t size() const;

 private:
  struct Entry {
    Clock::time_point at;
    NodeVictimUids victims;                       // node -> UIDs
    std::optional<Clock::time_point> refused_at;  // the last NoteRefusal
  };
  void Prune(Clock::time_point now);  // REQUIRES: mu_ held

  const std::chrono::milliseconds ttl_;
  const Now now_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // by preemptor UID; guarded by mu_
};

}  // namespace quotient::extender::state
