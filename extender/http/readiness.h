// Whether Quotient is ready to decide, and why not (served on /readyz).
//
// Thread safety: thread-safe. ready() is one atomic load; Set() and Describe() take a
// mutex (state changes are rare).
#pragma once

#include <atomic>
#include <mutex>
#include <string>

namespace quotient::extender {

class Readiness {
 public:
  void Set(bool ready, std::string reason) {
    std::lock_guard lock(mu_);
    reason_ = std::move(reason);
    ready_.store(ready, std::memory_order_release);
  }
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  std::string reason() const {
    std::lock_guard lock(mu_);
    return reason_;
  }

 private:
  std::atomic<bool> ready_{false};
  mutable std::mutex mu_;
  std::string reason_ = "starting";  // guarded by mu_
};

}  // namespace quotient::extender
