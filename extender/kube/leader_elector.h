// Leader election over a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it,
// plus a fence: MayWrite() says whether this replica may write to the API right now.
//
// The algorithm (one attempt every retry_period; followers jitter it by up to 20%):
//   GET the Lease. Missing: create it naming this replica (leading). Present: if its
//   resourceVersion changed since the last look, note the local time of the change. Held by
//   another replica whose lease has not run out (observed change + leaseDurationSeconds, on
//   this process's steady clock: no clock comparison across machines): follow, and stop
//   leading at once if this replica led. Otherwise (free, expired, or ours): PUT it with the
//   resourceVersion read, naming this replica (a takeover counts one more transition);
//   409 Conflict means another replica wrote first: not leading.
//
// The fence: a successful create or renew opens MayWrite() until the time the request was
// SENT plus renew_deadline, which is shorter than lease_duration, so this replica stops
// writing before any other may take the lease over. A process paused past that point (GC,
// SIGSTOP, a partition) finds the fence closed when it resumes, and writes nothing until a
// renew succeeds again. Another holder seen, or a 409 on renew, closes it at once.
// Stop() releases a held lease (holder "", one second), as client-go's ReleaseOnCancel does.
//
// Every Lease request times out at renew_deadline, as client-go bounds a renew by it: a
// renew that takes longer cannot keep the fence open, and the next attempt starts sooner.
// Give the elector a client it does not share with bulk traffic (LiveCluster does): on a
// shared client a renew waits behind a burst of other requests in the rate limiter and the
// connection line (ConnectionSlots), possibly past renew_deadline.
//
// The fence, the loop and the status are shared with the sidecar mode (lease_fence.h).
//
// Thread safety: MayWrite() and status() from any thread (MayWrite is one atomic load and a
// clock read); Start()/Stop() from one thread; the attempts run on the io_context.
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

struct LeaderElectionOptions {
  std::string lease_namespace = "kube-system";
  std::string lease_name = "quotient";
  std::string identity;  // unique per replica: "<hostname>_<random>"
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
};

// client-go's rules: lease_duration > renew_deadline > 1.2 x retry_period, whole seconds of
// lease duration (it is written as leaseDurationSeconds), names and identity non-empty.
// (config::ValidateSettings checks the operator's leaderElection block by the same rules.)
bool ValidateLeaderElection(const LeaderElectionOptions& options, std::string* error);

// "<hostname>_<16 random hex digits>", as kube-scheduler names its replicas: unique even for
// two processes on one host.
std::string DefaultLeaderIdentity();

// This machine's hostname ("quotient" when it has none), as kube-scheduler reads its own.
std::string Hostname();

class LeaderElector : public Leadership {
 public:
  using Clock = LeaseFence::Clock;
  using Now = LeaseFence::Now;

  // `on_change(leading)` is called from the io_context when leadership starts or ends (not
  // for the fence closing by time alone: MayWrite() is the authority). REQUIRES: options
  // validated; client outlives the elector.
  LeaderElector(boost::asio::io_context& ioc, ApiClient* client, LeaderElectionOptions options,
                std::function<void(bool leading)> on_change = {}, Now now = Clock::now);
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Start/Stop as Leadership says; a held lease is released by the loop on its way out,
  // before `on_stopped`. The destructor calls Stop() and waits for the loop to end (at most
  // renew_deadline + 1 s) unless the io_context is stopped. REQUIRES: the destructor does not
  // run on one of its threads.
  void Start() override { loop_.Start(); }
  void Stop(std::function<void()> on_stopped = {}) override { loop_.Stop(std::move(on_stopped)); }

  bool MayWrite() const override { return fence_.MayWrite(); }
  std::string Why() const override { return fence_.Why(); }
  LeaderStatus status() const override { return fence_.status(); }
  std::string lease() const override { return fence_.lease(); }
  const LeaderElectionOptions& options() const { return options_; }

  // One attempt (the loop calls it every retry_period; exposed for tests).
  boost::asio::awaitable<void> TryAcquireOrRenew();
  // Writes holder "" if this replica leads (exposed for tests).
  boost::asio::awaitable<void> Release();

 private:
  void Lead(Clock::time_point sent, const LeaseRecord& written);
  RequestOptions LeaseRequestOptions() const;  // the timeout of every Lease request

  ApiClient* const client_;
  const LeaderElectionOptions options_;
  LeaseFence fence_;

  // Confined to the attempts (one at a time, on the io_context).
  std::string observed_version_;
  Clock::time_point observed_at_{};

  LeaseLoop loop_;  // last: its destructor waits for the attempts that use the members above
};

}  // namespace quotient::extender::kube
