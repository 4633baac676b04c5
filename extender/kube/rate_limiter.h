// A token bucket like client-go's QPS/Burst limiter (golang.org/x/time/rate): `burst`
// tokens, refilled at `qps` per second. Reserve() takes a token now and says how long the
// caller must wait before using it; tokens may go negative, so concurrent callers queue
// up in order with increasing delays and nobody waits for a token another caller takes.
//
// Time is injected: every call passes `now`, so tests drive the bucket without sleeping.
//
// Thread safety: thread-safe (one mutex, held for a few arithmetic operations).
#pragma once

#include <chrono>
#include <mutex>

namespace quotient::extender::kube {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // qps <= 0: unlimited (Reserve always answers 0). burst < 1 is treated as 1.
  TokenBucket(double qps, int burst);

  // Takes one token at `now`; returns how long to wait before sending (0: at once).
  // REQUIRES: `now` does not go backwards between calls (a steady clock).
  Clock::duration Reserve(Clock::time_point now);

 private:
  const double qps_;
  const double burst_;

  std::mutex mu_;
  double tokens_;             // guarded by mu_; negative when callers are queued
  Clock::time_point last_{};  // guarded by mu_; when tokens_ was last brought up to date
  bool started_ = false;      // guarded by mu_
};

}  // namespace quotient::extender::kube
