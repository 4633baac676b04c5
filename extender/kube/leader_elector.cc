#include "extender/kube/leader_elector.h"

#include <fmt/format.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>
#include <random>
#include <utility>

#include "extender/telemetry/logging.h"

namespace quotient::extender::kube {

namespace asio = boost::asio;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

std::string Describe(const ApiResponse& r) {
  if (r.status == 0) return r.error;
  return fmt::format("HTTP {}: {}", r.status, r.body.view().substr(0, 200));
}

}  // namespace

bool ValidateLeaderElection(const LeaderElectionOptions& o, std::string* error) {
  if (o.lease_namespace.empty() || o.lease_name.empty()) {
    *error = "leaderElection: the lease namespace and name must be set";
    return false;
  }
  if (o.identity.empty()) {
    *error = "leaderElection: the identity must be set";
    return false;
  }
  if (o.lease_duration.count() % 1000 != 0 || o.lease_duration.count() <= 0) {
    *error = "leaderElection.leaseDuration must be a positive whole number of seconds";
    return false;
  }
  if (o.lease_duration <= o.renew_deadline) {
    *error = "leaderElection.leaseDuration must be longer than renewDeadline";
    return false;
  }
  if (o.renew_deadline.count() * 10 <= o.retry_period.count() * 12) {
    *error = "leaderElection.renewDeadline must be longer than 1.2 x retryPeriod";
    return false;
  }
  return true;
}

LeaderElector::LeaderElector(asio::io_context& ioc, ApiClient* client,
                             LeaderElectionOptions options, std::function<void(bool)> on_change,
                             Now now)
    : ioc_(ioc),
      client_(client),
      options_(std::move(options)),
      on_change_(std::move(on_change)),
      now_(std::move(now)),
      timer_(ioc) {}

LeaderElector::~LeaderElector() {
  Stop();
  // The loop ends after its release, and the posted cancel must have run before the timer
  // it names is freed; a stopped io_context runs neither any further.
  if (started_.load() && !ioc_.stopped()) {
    const auto bound = options_.renew_deadline + std::chrono::seconds(1);
    cancel_done_.get_future().wait_for(bound);
    loop_done_.get_future().wait_for(bound);
  }
}

void LeaderElector::Start() {
  if (stopping_.load() || started_.exchange(true)) return;
  asio::co_spawn(ioc_, Loop(), asio::detached);
}

void LeaderElector::Stop(std::function<void()> on_stopped) {
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

bool LeaderElector::MayWrite() const {
  return now_().time_since_epoch().count() < valid_until_.load(std::memory_order_acquire);
}

std::string LeaderElector::Why() const {
  std::lock_guard lock(mu_);
  if (status_.holder.empty() || status_.holder == options_.identity) {
    return "not the leader: the lease is not held or not renewed in time";
  }
  return "not the leader: the lease is held by " + status_.holder;
}

std::string DefaultLeaderIdentity() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::strcpy(host, "quotient");
  std::mt19937_64 rng(std::random_device{}());
  return fmt::format("{}_{:016x}", host, rng());
}

LeaderStatus LeaderElector::status() const {
  std::lock_guard lock(mu_);
  LeaderStatus s = status_;
  s.leading = MayWrite();
  return s;
}

std::string LeaderElector::CollectionPath() const {
  return fmt::format("/apis/coordination.k8s.io/v1/namespaces/{}/leases", options_.lease_namespace);
}

RequestOptions LeaderElector::LeaseRequestOptions() const {
  // A renew that outlasts renew_deadline could not keep the fence open anyway; the client's
  // default (30 s) would hold the loop past lease_duration on a hung connection.
  RequestOptions options;
  options.timeout = options_.renew_deadline;
  return options;
}

std::string LeaderElector::LeasePath() const {
  return CollectionPath() + "/" + options_.lease_name;
}

void LeaderElector::SetError(std::string error) {
  std::lock_guard lock(mu_);
  status_.last_error = std::move(error);
}

void LeaderElector::Lead(Clock::time_point sent, const LeaseRecord& written) {
  valid_until_.store((sent + options_.renew_deadline).time_since_epoch().count(),
                     std::memory_order_release);
  observed_version_ = written.resource_version;
  observed_at_ = now_();
  {
    std::lock_guard lock(mu_);
    status_.holder = options_.identity;
    status_.transitions = written.transitions;
    status_.last_error.clear();
  }
  if (!was_leading_) {
    was_leading_ = true;
    Log(spdlog::level::info, "leader election: leading",
        {{"lease", options_.lease_namespace + "/" + options_.lease_name},
         {"identity", options_.identity}});
    if (on_change_) on_change_(true);
  }
}

void LeaderElector::Follow(std::string holder, std::string why) {
  valid_until_.store(0, std::memory_order_release);
  {
    std::lock_guard lock(mu_);
    status_.holder = std::move(holder);
  }
  if (was_leading_) {
    was_leading_ = false;
    Log(spdlog::level::warn, "leader election: stopped leading",
        {{"lease", options_.lease_namespace + "/" + options_.lease_name}, {"why", why}});
    if (on_change_) on_change_(false);
  }
}

asio::awaitable<void> LeaderElector::TryAcquireOrRenew() {
  const int64_t seconds = options_.lease_duration.count() / 1000;
  const std::string micro_now = FormatMicroTime(std::chrono::system_clock::now());
  // Named arguments, not temporaries inside co_await: GCC 12 destroys those twice (bug 99576).
  std::string get_path = LeasePath();
  std::string no_body;
  RequestOptions get_options = LeaseRequestOptions();
  ApiResponse got = co_await client_->Request(Method::kGet, std::move(get_path), std::move(no_body),
                                              std::move(get_options));
  if (got.status == 404) {
    LeaseRecord fresh{options_.identity, seconds, micro_now, micro_now, 0, ""};
    const Clock::time_point sent = now_();
    std::string post_path = CollectionPath();
    std::string post_body = EncodeLease(options_.lease_namespace, options_.lease_name, fresh);
    RequestOptions post_options = LeaseRequestOptions();
    ApiResponse created = co_await client_->Request(Method::kPost, std::move(post_path),
                                                    std::move(post_body), std::move(post_options));
    LeaseRecord written;
    std::string error;
    if (created.ok() && DecodeLease(created.body, &written, &error)) {
      Lead(sent, written);
    } else {
      SetError("create lease: " + (created.ok() ? error : Describe(created)));
      if (created.status == 409) Follow("", "another replica created the lease first");
    }
    co_return;
  }
  if (!got.ok()) {
    SetError("get lease: " + Describe(got));
    if (!MayWrite()) Follow("", "renew deadline passed without a successful renew");
    co_return;
  }
  LeaseRecord current;
  std::string error;
  if (!DecodeLease(got.body, &current, &error)) {
    SetError(error);
    co_return;
  }
  if (current.resource_version != observed_version_) {
    observed_version_ = current.resource_version;
    observed_at_ = now_();
  }
  {
    std::lock_guard lock(mu_);
    status_.holder = current.holder;
    status_.transitions = current.transitions;
  }
  const bool ours = current.holder == options_.identity;
  const bool held_by_other = !current.holder.empty() && !ours &&
                             observed_at_ + std::chrono::seconds(current.duration_seconds) > now_();
  if (held_by_other) {
    Follow(current.holder, "the lease is held by " + current.holder);
    SetError("");
    co_return;
  }
  LeaseRecord next = current;
  next.holder = options_.identity;
  next.duration_seconds = seconds;
  next.renew_time = micro_now;
  if (!ours) {
    next.acquire_time = micro_now;
    next.transitions = current.transitions + 1;
  }
  const Clock::time_point sent = now_();
  std::string put_path = LeasePath();
  std::string put_body = EncodeLease(options_.lease_namespace, options_.lease_name, next);
  RequestOptions put_options = LeaseRequestOptions();
  ApiResponse put = co_await client_->Request(Method::kPut, std::move(put_path),
                                              std::move(put_body), std::move(put_options));
  LeaseRecord written;
  if (put.ok() && DecodeLease(put.body, &written, &error)) {
    Lead(sent, written);
    co_return;
  }
  SetError("update lease: " + (put.ok() ? error : Describe(put)));
  if (put.status == 409) {
    Follow("", "another replica wrote the lease first (409 Conflict)");
  } else if (!MayWrite()) {
    Follow("", "renew deadline passed without a successful renew");
  }
}

asio::awaitable<void> LeaderElector::Release() {
  if (!was_leading_) co_return;
  valid_until_.store(0, std::memory_order_release);  // no write from here on
  LeaseRecord released;
  released.holder = "";
  released.duration_seconds = 1;
  released.renew_time = FormatMicroTime(std::chrono::system_clock::now());
  released.resource_version = observed_version_;
  {
    std::lock_guard lock(mu_);
    released.transitions = status_.transitions;
  }
  RequestOptions request_options = LeaseRequestOptions();
  std::string path = LeasePath();
  std::string body = EncodeLease(options_.lease_namespace, options_.lease_name, released);
  ApiResponse put = co_await client_->Request(Method::kPut, std::move(path), std::move(body),
                                              std::move(request_options));
  if (!put.ok()) SetError("release lease: " + Describe(put));
  {
    std::lock_guard lock(mu_);
    status_.holder.clear();
  }
  was_leading_ = false;
  Log(spdlog::level::info, "leader election: released the lease",
      {{"lease", options_.lease_namespace + "/" + options_.lease_name}});
  if (on_change_) on_change_(false);
}

asio::awaitable<void> LeaderElector::Loop() {
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(1.0, 1.2);
  while (!stopping_.load()) {
    co_await TryAcquireOrRenew();
    if (stopping_.load()) break;
    // The leader renews every retry period; followers spread their attempts (client-go's
    // JitterUntil with factor 1.2).
    const double factor = MayWrite() ? 1.0 : jitter(rng);
    timer_.expires_after(
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.retry_period * factor));
    co_await timer_.async_wait(kUseTuple);
  }
  co_await Release();
  // Before loop_done_: the destructor's wait ends with it, and the callback may use the
  // elector's owner.
  if (on_stopped_) on_stopped_();
  loop_done_.set_value();
}

}  // namespace quotient::extender::kube
