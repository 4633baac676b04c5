#include "extender/kube/operation.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

namespace quotient::extender::kube {

namespace asio = boost::asio;

Operation::Operation(asio::any_io_executor strand)
    : strand_(std::move(strand)), watchdog_(strand_), wait_timer_(strand_) {}

Operation::~Operation() = default;

void Operation::StopPoster::operator()() const {
  if (auto self = op.lock()) {
    asio::post(self->strand_, [self] { self->Cancel(CancelReason::kStopped); });
  }
}

void Operation::BindStop(std::stop_token client, std::stop_token caller) {
  // A stop_callback runs at once when the token is already stopped: that posts too.
  client_stop_.emplace(std::move(client), StopPoster{weak_from_this()});
  caller_stop_.emplace(std::move(caller), StopPoster{weak_from_this()});
}

void Operation::SetDeadline(Clock::time_point deadline) {
  deadline_ = deadline;
  // A later deadline is picked up when the armed wait fires; only an earlier one re-arms.
  if (!finished_ && deadline < armed_at_) Arm(deadline);
}

void Operation::Arm(Clock::time_point at) {
  armed_at_ = at;
  watchdog_.expires_at(at);  // cancels a pending wait: its handler sees operation_aborted
  watchdog_.async_wait(
      asio::bind_executor(strand_, [self = shared_from_this()](boost::system::error_code ec) {
        if (ec == asio::error::operation_aborted) return;
        self->OnWatchdog();
      }));
}

void Operation::OnWatchdog() {
  armed_at_ = Clock::time_point::max();
  if (finished_) return;
  if (Clock::now() >= deadline_) {
    Cancel(CancelReason::kTimeout);
  } else {
    Arm(deadline_);
  }
}

void Operation::Cancel(CancelReason reason) {
  if (finished_ || cancelled_ != CancelReason::kNone) return;
  cancelled_ = reason;
  boost::system::error_code ignored;
  if (socket_ != nullptr) socket_->close(ignored);
  if (resolver_ != nullptr) resolver_->cancel();
  wait_timer_.cancel();
}

void Operation::Finish() {
  finished_ = true;
  watchdog_.cancel();
  wait_timer_.cancel();
  client_stop_.reset();
  caller_stop_.reset();
  socket_ = nullptr;
  resolver_ = nullptr;
}

}  // namespace quotient::extender::kube
