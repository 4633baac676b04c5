#include "extender/kube/connection_slots.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace quotient::extender::kube {

namespace asio = boost::asio;

ConnectionSlots::ConnectionSlots(size_t limit) : limit_(std::max<size_t>(limit, 1)) {}

asio::awaitable<bool> ConnectionSlots::Acquire(Operation& op) {
  auto waiter = std::make_shared<Waiter>();
  {
    std::lock_guard lock(mu_);
    if (queue_.empty() && in_use_ < limit_) {
      ++in_use_;
      co_return true;
    }
    waiter->op = op.weak_from_this();
    queue_.push_back(waiter);
  }
  // Release() posts the wake-up to op's strand, so it cannot run before this wait starts:
  // the coroutine does not yield between the unlock above and async_wait.
  if (op.cancelled() == Operation::CancelReason::kNone) {
    op.wait_timer().expires_at(Operation::Clock::time_point::max());
    co_await op.wait_timer().async_wait(asio::as_tuple(asio::use_awaitable));
  }
  std::lock_guard lock(mu_);
  if (waiter->granted) co_return true;
  // Still in line, unless Release() dropped it for its Operation being gone (a caller that
  // let go of the Operation while this coroutine still ran).
  if (auto it = std::find(queue_.begin(), queue_.end(), waiter); it != queue_.end()) {
    queue_.erase(it);
  }
  co_return false;
}

void ConnectionSlots::Release() {
  std::lock_guard lock(mu_);
  // The slot passes to the first waiter whose Operation is alive; in_use_ stays. A waiter
  // whose Operation is gone (its coroutine destroyed unresumed, as when its io_context is
  // torn down) would never give a slot back: it leaves the line without one.
  while (!queue_.empty()) {
    std::shared_ptr<Waiter> next = std::move(queue_.front());
    queue_.pop_front();
    if (std::shared_ptr<Operation> op = next->op.lock()) {
      next->granted = true;
      asio::post(op->executor(), [op] { op->wait_timer().cancel(); });
      return;
    }
  }
  --in_use_;
}

size_t ConnectionSlots::in_use() const {
  std::lock_guard lock(mu_);
  return in_use_;
}

size_t ConnectionSlots::waiting() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace quotient::extender::kube
