#include "extender/kube/lease_fence.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>
#include <utility>

#include "extender/telemetry/logging.h"

namespace quotient::extender::kube {

namespace asio = boost::asio;

std::string LeasePath(const std::string& ns, const std::string& name) {
  return LeaseCollectionPath(ns) + "/" + name;
}

std::string LeaseCollectionPath(const std::string& ns) {
  return fmt::format("/apis/coordination.k8s.io/v1/namespaces/{}/leases", ns);
}

std::string DescribeLeaseFailure(const ApiResponse& r) {
  if (r.status == 0) return r.error;
  return fmt::format("HTTP {}: {}", r.status, r.body.view().substr(0, 200));
}

LeaseFence::LeaseFence(std::string lease, std::function<bool(const std::string&)> ours,
                       std::function<void(bool)> on_change, Now now)
    : lease_(std::move(lease)),
      ours_(std::move(ours)),
      on_change_(std::move(on_change)),
      now_(std::move(now)) {}

bool LeaseFence::MayWrite() const {
  return now_().time_since_epoch().count() < valid_until_.load(std::memory_order_acquire);
}

std::string LeaseFence::Why() const {
  std::lock_guard lock(mu_);
  if (status_.holder.empty() || ours_(status_.holder)) {
    return "not the leader: the lease is not held or not renewed in time";
  }
  return "not the leader: the lease is held by " + status_.holder;
}

LeaderStatus LeaseFence::status() const {
  std::lock_guard lock(mu_);
  LeaderStatus s = status_;
  s.leading = MayWrite();
  return s;
}

void LeaseFence::Lead(Clock::time_point until, const std::string& holder, int64_t transitions) {
  valid_until_.store(until.time_since_epoch().count(), std::memory_order_release);
  {
    std::lock_guard lock(mu_);
    status_.holder = holder;
    status_.transitions = transitions;
    status_.last_error.clear();
  }
  if (!was_leading_) {
    was_leading_ = true;
    Log(spdlog::level::info, "leader election: leading", {{"lease", lease_}, {"holder", holder}});
    if (on_change_) on_change_(true);
  }
}

void LeaseFence::Follow(std::string holder, const std::string& why,
                        spdlog::level::level_enum level) {
  valid_until_.store(0, std::memory_order_release);
  {
    std::lock_guard lock(mu_);
    status_.holder = std::move(holder);
  }
  if (was_leading_) {
    was_leading_ = false;
    Log(level, "leader election: stopped leading", {{"lease", lease_}, {"why", why}});
    if (on_change_) on_change_(false);
  }
}

void LeaseFence::Observe(const std::string& holder, int64_t transitions) {
  std::lock_guard lock(mu_);
  status_.holder = holder;
  status_.transitions = transitions;
}

void LeaseFence::SetError(std::string error) {
  std::lock_guard lock(mu_);
  status_.last_error = std::move(error);
}

LeaseLoop::LeaseLoop(asio::io_context& ioc, std::chrono::milliseconds retry_period,
                     std::chrono::milliseconds stop_bound, const WriteFence* fence, Step attempt,
                     Step last)
    : ioc_(ioc),
      retry_period_(retry_period),
      stop_bound_(stop_bound),
      fence_(fence),
      attempt_(std::move(attempt)),
      last_(std::move(last)),
      timer_(ioc) {}

LeaseLoop::~LeaseLoop() {
  Stop({});
  // The loop ends after its last step, and the posted cancel must have run before the timer
  // it names is freed; a stopped io_context runs neither any further.
  if (started_.load() && !ioc_.stopped()) {
    cancel_done_.get_future().wait_for(stop_bound_);
    loop_done_.get_future().wait_for(stop_bound_);
  }
}

void LeaseLoop::Start() {
  if (stopping_.load() || started_.exchange(true)) return;
  asio::co_spawn(ioc_, Run(), asio::detached);
}

void LeaseLoop::Stop(std::function<void()> on_stopped) {
  if (stopping_.load()) return;
  on_stopped_ = std::move(on_stopped);
  if (stopping_.exchange(true)) return;
  // Never started: no wait to end, and nothing may be posted that would outlive us.
  if (!started_.load()) {
    if (on_stopped_) on_stopped_();
    return;
  }
  asio::post(ioc_, [this] {
    timer_.cancel();
    cancel_done_.set_value();
  });
}

asio::awaitable<void> LeaseLoop::Run() {
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(1.0, 1.2);
  while (!stopping_.load()) {
    co_await attempt_();
    if (stopping_.load()) break;
    // The leader renews every retry period; followers spread their attempts (client-go's
    // JitterUntil with factor 1.2).
    const double factor = fence_->MayWrite() ? 1.0 : jitter(rng);
    timer_.expires_after(
        std::chrono::duration_cast<std::chrono::milliseconds>(retry_period_ * factor));
    co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (last_) co_await last_();
  // Before loop_done_: the destructor's wait ends with it, and the callback may use the
  // loop's owner.
  if (on_stopped_) on_stopped_();
  loop_done_.set_value();
}

}  // namespace quotient::extender::kube
