// The bound on the API client's request connections: a counting semaphore whose waiters
// queue first in, first out.
//
// A request holds one slot from before it takes a pooled connection (or opens one) until it
// has put that connection back in the idle pool (or closed it). Since a call that finds the
// idle pool empty holds a slot, idle + held connections never exceed the limit (an idle
// connection is one a former holder put back before releasing its slot), so the client never
// has more than `limit` request connections open, however many requests are in flight: the
// others wait here. Watches do not take slots (ApiClient::Watch).
//
// A waiter sleeps on its Operation's wait timer. Release() hands the slot to the first
// waiter directly (so a newcomer cannot overtake the queue) and wakes it by posting to its
// strand; a waiter cancelled meanwhile (deadline, Stop, its stop token) leaves the queue
// without a slot, or, if the slot reached it first, gives it back through the caller.
//
// Thread safety: thread-safe. Acquire() runs on the calling Operation's strand.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>

#include "extender/kube/operation.h"

namespace quotient::extender::kube {

class ConnectionSlots {
 public:
  // REQUIRES: limit >= 1.
  explicit ConnectionSlots(size_t limit);
  ConnectionSlots(const ConnectionSlots&) = delete;
  ConnectionSlots& operator=(const ConnectionSlots&) = delete;

  // Takes a slot, waiting in line behind earlier callers if none is free. Returns true with
  // a slot held (even if `op` was cancelled in the meantime: the caller checks
  // op.cancelled() and Release()s), false if `op` was cancelled while waiting (no slot).
  // REQUIRES: runs on op's strand; op is owned by a shared_ptr; nothing else waits on
  // op.wait_timer() meanwhile.
  boost::asio::awaitable<bool> Acquire(Operation& op);

  // Gives a slot back: to the first waiter whose Operation still exists, if any (the
  // others are dropped from the line).
  void Release();

  size_t limit() const { return limit_; }
  size_t in_use() const;
  size_t waiting() const;

 private:
  struct Waiter {
    std::weak_ptr<Operation> op;
    bool granted = false;  // guarded by mu_
  };

  const size_t limit_;
  mutable std::mutex mu_;
  size_t in_use_ = 0;                          // guarded by mu_
  std::deque<std::shared_ptr<Waiter>> queue_;  // guarded by mu_; first in, first out
};

}  // namespace quotient::extender::kube
