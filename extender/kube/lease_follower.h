// Sidecar mode: Quotient beside each kube-scheduler follows that scheduler's own Lease
// (kube-system/kube-scheduler by default) and leads exactly while its scheduler does, so the
// active scheduler calls a warm Quotient that decides and writes, and a standby scheduler's
// Quotient answers `not_leader` like any follower. It never writes the Lease.
//
// Whose scheduler: kube-scheduler names itself "<hostname>_<uuid>" (os.Hostname(), no flag
// sets it), so the holder is this Quotient's scheduler when holderIdentity starts with
// `identity_prefix`, by default "<this hostname>_": a container of the scheduler's pod shares
// its hostname (the node's, in a hostNetwork static pod). The "_" keeps cp-1 from matching
// cp-10_... Two schedulers with one hostname sharing the Lease cannot be told apart: give
// them distinct hostnames (pods do have distinct ones).
//
// The fence. Another scheduler takes the Lease over only after it saw the record unchanged
// for leaseDurationSeconds on its own clock (client-go), counting from when it first saw the
// record, which was after the record was written. The follower GETs the Lease every
// retry_period; when a GET shows a changed record, that record was written after the
// previous successful GET (which still returned the older one) was sent. So no takeover can
// happen before that send time + leaseDurationSeconds of the new record, and the fence opens
// until then minus `margin` (clock rate differences, and the time a write checked at the
// fence takes to reach the API server). Unchanged records move nothing: the fence closes by
// time when the scheduler stops renewing, when GETs fail, or while the process is paused
// (SIGSTOP, a GC pause: it finds the fence closed when it resumes). A record that names
// another holder, or none, or a Lease that is gone, closes it at once. The first GET opens
// nothing: how old its record is, is unknown.
//
// "Changed" is judged as client-go judges it, or more coarsely: holder, leaseDurationSeconds,
// leaseTransitions, and acquire and renew times in whole seconds (client-go compares the
// record serialised at whole seconds). A resourceVersion change alone (a label on the Lease,
// a second renew in the same second) is not a change: the other scheduler's expiry clock did
// not restart for it either, so it must not extend the fence.
//
// Thread safety: as LeaderElector (lease_fence.h).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "extender/kube/api_client.h"
#include "extender/kube/lease.h"
#include "extender/kube/lease_fence.h"

namespace quotient::extender::kube {

struct LeaseFollowOptions {
  std::string lease_namespace = "kube-system";
  std::string lease_name = "kube-scheduler";
  std::string identity_prefix;  // holders that are this Quotient's scheduler: "<hostname>_"
  std::chrono::milliseconds retry_period{2'000};  // between GETs
  std::chrono::milliseconds margin{1'000};        // the fence closes this long before takeover
};

// The record as client-go compares it (see above): equal keys, no change.
std::string LeaseChangeKey(const LeaseRecord& record);

class LeaseFollower : public Leadership {
 public:
  using Clock = LeaseFence::Clock;
  using Now = LeaseFence::Now;

  // REQUIRES: identity_prefix and the lease's names non-empty, retry_period and margin
  // positive; client outlives the follower.
  LeaseFollower(boost::asio::io_context& ioc, ApiClient* client, LeaseFollowOptions options,
                std::function<void(bool leading)> on_change = {}, Now now = Clock::now);
  LeaseFollower(const LeaseFollower&) = delete;
  LeaseFollower& operator=(const LeaseFollower&) = delete;

  void Start() override { loop_.Start(); }
  void Stop(std::function<void()> on_stopped = {}) override { loop_.Stop(std::move(on_stopped)); }
  bool MayWrite() const override { return fence_.MayWrite(); }
  std::string Why() const override;
  LeaderStatus status() const override { return fence_.status(); }
  std::string lease() const override { return fence_.lease(); }
  const LeaseFollowOptions& options() const { return options_; }

  // One GET of the Lease (the loop calls it every retry_period; exposed for tests).
  boost::asio::awaitable<void> Observe();

 private:
  bool Ours(const std::string& holder) const;

  ApiClient* const client_;
  const LeaseFollowOptions options_;
  LeaseFence fence_;

  // Confined to the attempts (one at a time, on the io_context).
  bool seen_ = false;            // a GET succeeded
  std::string last_key_;         // LeaseChangeKey of the record the last successful GET read
  Clock::time_point last_sent_;  // when that GET was sent

  LeaseLoop loop_;  // last: its destructor waits for the attempts that use the members above
};

}  // namespace quotient::extender::kube
