// One API call in flight (a request or a watch), as the client's cancellation point.
//
// Each call runs as a coroutine on its own strand. The Operation records which socket
// (or resolver, or wait timer) the call is currently blocked on, so that a deadline, the
// client's Stop() or the caller's stop token can end the call by closing it. Closing
// happens on the call's strand, never concurrently with the coroutine's own use of the
// socket.
//
// Deadlines: SetDeadline() moves the single deadline (earlier or later) cheaply; the
// watchdog timer re-arms itself lazily, so resetting an idle deadline on every read
// costs one store.
//
// Thread safety: confined to its strand, except BindStop() (at start, on the strand) whose
// stop callbacks may run on any thread: they only post to the strand.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>

namespace quotient::extender::kube {

class Operation : public std::enable_shared_from_this<Operation> {
 public:
  using Clock = std::chrono::steady_clock;
  enum class CancelReason { kNone, kStopped, kTimeout };

  // REQUIRES: `strand` is a strand executor the call's coroutine runs on.
  explicit Operation(boost::asio::any_io_executor strand);
  ~Operation();
  Operation(const Operation&) = delete;
  Operation& operator=(const Operation&) = delete;

  // Either token's stop request cancels the call with kStopped (at once if already
  // requested).
  void BindStop(std::stop_token client, std::stop_token caller);

  void SetDeadline(Clock::time_point deadline);
  // What Cancel() interrupts; pass nullptr when the call stops using it.
  void Attach(boost::asio::ip::tcp::socket* socket) { socket_ = socket; }
  void AttachResolver(boost::asio::ip::tcp::resolver* resolver) { resolver_ = resolver; }
  // A timer the call waits on (e.g. for the rate limiter); cancelled by Cancel().
  boost::asio::steady_timer& wait_timer() { return wait_timer_; }

  // Ends the call: closes the attached socket, cancels the resolver and the wait timer.
  // The first reason sticks. No effect after Finish().
  void Cancel(CancelReason reason);
  CancelReason cancelled() const { return cancelled_; }

  // The call is over: the watchdog stops, stop callbacks are removed, Cancel() is a no-op.
  void Finish();

  const boost::asio::any_io_executor& executor() const { return strand_; }

 private:
  struct StopPoster {
    std::weak_ptr<Operation> op;
    void operator()() const;
  };

  void Arm(Clock::time_point at);
  void OnWatchdog();

  const boost::asio::any_io_executor strand_;
  boost::asio::steady_timer watchdog_;
  boost::asio::steady_timer wait_timer_;
  boost::asio::ip::tcp::socket* socket_ = nullptr;
  boost::asio::ip::tcp::resolver* resolver_ = nullptr;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point armed_at_ = Clock::time_point::max();  // max: watchdog not armed
  CancelReason cancelled_ = CancelReason::kNone;
  bool finished_ = false;
  std::optional<std::stop_callback<StopPoster>> client_stop_;
  std::optional<std::stop_callback<StopPoster>> caller_stop_;
};

}  // namespace quotient::extender::kube
