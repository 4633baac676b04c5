// What the two ways of leading over a coordination.k8s.io/v1 Lease share: electing a leader
// among Quotient replicas (leader_elector.h) and following a kube-scheduler's own Lease as
// its sidecar (lease_follower.h).
//
//   Leadership  the interface the service uses: the write fence (write_fence.h), Start/Stop
//               and the status behind /debug and quotient_leader.
//   LeaseFence  the fence itself: open until a steady-clock instant the lease loop sets, and
//               closed at once when the loop says so; logs and reports every start and end
//               of leadership once (on_change).
//   LeaseLoop   one attempt every retry period on the io_context (followers spread theirs by
//               up to 20%, as client-go's JitterUntil), a last step on the way out (the
//               elector releases the Lease), and a stop that waits for both.
//
// Thread safety: LeaseFence's MayWrite(), Why() and status() from any thread (MayWrite is
// one atomic load and a clock read); its Lead/Follow/Observe/SetError only from the loop.
// LeaseLoop: Start()/Stop() from one thread; the attempts run on the io_context.
#pragma once

#include <spdlog/common.h>

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <mutex>
#include <string>

#include "extender/kube/api_client.h"
#include "extender/kube/write_fence.h"

namespace quotient::extender::kube {

struct LeaderStatus {
  bool leading = false;     // MayWrite() at the time of the call
  std::string holder;       // who holds the lease as last read ("" = nobody / unknown)
  int64_t transitions = 0;  // leaseTransitions as last read or written
  std::string last_error;   // of the last attempt; empty when it succeeded
};

// The API paths of a Lease and of the Leases of a namespace.
std::string LeasePath(const std::string& ns, const std::string& name);
std::string LeaseCollectionPath(const std::string& ns);
// A failed Lease request for status().last_error: the client's error or "HTTP 409: <body>".
std::string DescribeLeaseFailure(const ApiResponse& response);

class Leadership : public WriteFence {
 public:
  virtual void Start() = 0;
  // Ends the loop; then `on_stopped` runs on the io_context (at once, on the caller's thread,
  // if the loop never started; never if the io_context stops first). Only the first call's
  // `on_stopped` runs.
  virtual void Stop(std::function<void()> on_stopped = {}) = 0;
  virtual LeaderStatus status() const = 0;
  // "namespace/name" of the Lease led or followed (the label of quotient_leader).
  virtual std::string lease() const = 0;
};

class LeaseFence : public WriteFence {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  // `lease` names the Lease in logs; `ours(holder)` says whether a holderIdentity is this
  // replica (or the scheduler it follows); `on_change(leading)` runs on the loop when
  // leadership starts or ends, not when the fence closes by time alone.
  LeaseFence(std::string lease, std::function<bool(const std::string&)> ours,
             std::function<void(bool leading)> on_change, Now now);

  bool MayWrite() const override;
  std::string Why() const override;
  LeaderStatus status() const;
  Clock::time_point now() const { return now_(); }
  const std::string& lease() const { return lease_; }

  // Loop only. Opens the fence until `until` (which may be in the past: closed), records
  // `holder` and `transitions`, and clears the last error.
  void Lead(Clock::time_point until, const std::string& holder, int64_t transitions);
  // Closes the fence at once; `why` is logged when this ends leadership, at `level`.
  void Follow(std::string holder, const std::string& why,
              spdlog::level::level_enum level = spdlog::level::warn);
  // Records what the last read saw, without touching the fence.
  void Observe(const std::string& holder, int64_t transitions);
  void SetError(std::string error);
  // Whether the loop last led (Lead without a Follow since); loop only.
  bool leading() const { return was_leading_; }

 private:
  const std::string lease_;
  const std::function<bool(const std::string&)> ours_;
  const std::function<void(bool)> on_change_;
  const Now now_;
  bool was_leading_ = false;             // confined to the loop
  std::atomic<int64_t> valid_until_{0};  // Clock ticks; MayWrite() while now < it
  mutable std::mutex mu_;
  LeaderStatus status_;  // guarded by mu_ (leading is filled in by status())
};

class LeaseLoop {
 public:
  using Step = std::function<boost::asio::awaitable<void>()>;

  // `attempt` runs every `retry_period` (times up to 1.2 while `fence` is closed), `last`
  // once on the way out, before `on_stopped`. `stop_bound` bounds the destructor's wait.
  // REQUIRES: the steps' owner outlives the loop (declare the loop last).
  LeaseLoop(boost::asio::io_context& ioc, std::chrono::milliseconds retry_period,
            std::chrono::milliseconds stop_bound, const WriteFence* fence, Step attempt, Step last);
  // Calls Stop() and waits for the loop to end (at most stop_bound) unless the io_context is
  // stopped. REQUIRES: not on one of the io_context's threads.
  ~LeaseLoop();
  LeaseLoop(const LeaseLoop&) = delete;
  LeaseLoop& operator=(const LeaseLoop&) = delete;

  void Start();
  void Stop(std::function<void()> on_stopped);

 private:
  boost::asio::awaitable<void> Run();

  boost::asio::io_context& ioc_;
  const std::chrono::milliseconds retry_period_;
  const std::chrono::milliseconds stop_bound_;
  const WriteFence* const fence_;
  const Step attempt_;
  const Step last_;
  boost::asio::steady_timer timer_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> started_{false};
  std::promise<void> loop_done_;
  std::promise<void> cancel_done_;    // set by the cancel Stop() posts
  std::function<void()> on_stopped_;  // written by Stop() before stopping_, read by the loop
};

}  // namespace quotient::extender::kube
