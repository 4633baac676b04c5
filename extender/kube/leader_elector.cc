#include "extender/kube/leader_elector.h"

#include <fmt/format.h>
#include <unistd.h>

#include <boost/asio/use_awaitable.hpp>
#include <random>
#include <utility>

#include "extender/telemetry/logging.h"

namespace quotient::extender::kube {

namespace asio = boost::asio;

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
    : client_(client),
      options_(std::move(options)),
      fence_(
          options_.lease_namespace + "/" + options_.lease_name,
          [this](const std::string& holder) { return holder == options_.identity; },
          std::move(on_change), std::move(now)),
      loop_(
          ioc, options_.retry_period, options_.renew_deadline + std::chrono::seconds(1), &fence_,
          [this] { return TryAcquireOrRenew(); }, [this] { return Release(); }) {}

std::string Hostname() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "quotient";
  return host;
}

std::string DefaultLeaderIdentity() {
  std::mt19937_64 rng(std::random_device{}());
  return fmt::format("{}_{:016x}", Hostname(), rng());
}

RequestOptions LeaderElector::LeaseRequestOptions() const {
  // A renew that outlasts renew_deadline could not keep the fence open anyway; the client's
  // default (30 s) would hold the loop past lease_duration on a hung connection.
  RequestOptions options;
  options.timeout = options_.renew_deadline;
  return options;
}

void LeaderElector::Lead(Clock::time_point sent, const LeaseRecord& written) {
  fence_.Lead(sent + options_.renew_deadline, options_.identity, written.transitions);
  observed_version_ = written.resource_version;
  observed_at_ = fence_.now();
}

asio::awaitable<void> LeaderElector::TryAcquireOrRenew() {
  const int64_t seconds = options_.lease_duration.count() / 1000;
  const std::string micro_now = FormatMicroTime(std::chrono::system_clock::now());
  // Named arguments, not temporaries inside co_await: GCC 12 destroys those twice (bug 99576).
  std::string get_path = LeasePath(options_.lease_namespace, options_.lease_name);
  std::string no_body;
  RequestOptions get_options = LeaseRequestOptions();
  ApiResponse got = co_await client_->Request(Method::kGet, std::move(get_path), std::move(no_body),
                                              std::move(get_options));
  if (got.status == 404) {
    LeaseRecord fresh{options_.identity, seconds, micro_now, micro_now, 0, ""};
    const Clock::time_point sent = fence_.now();
    std::string post_path = LeaseCollectionPath(options_.lease_namespace);
    std::string post_body = EncodeLease(options_.lease_namespace, options_.lease_name, fresh);
    RequestOptions post_options = LeaseRequestOptions();
    ApiResponse created = co_await client_->Request(Method::kPost, std::move(post_path),
                                                    std::move(post_body), std::move(post_options));
    LeaseRecord written;
    std::string error;
    if (created.ok() && DecodeLease(created.body, &written, &error)) {
      Lead(sent, written);
    } else {
      fence_.SetError("create lease: " + (created.ok() ? error : DescribeLeaseFailure(created)));
      if (created.status == 409) fence_.Follow("", "another replica created the lease first");
    }
    co_return;
  }
  if (!got.ok()) {
    fence_.SetError("get lease: " + DescribeLeaseFailure(got));
    if (!fence_.MayWrite()) fence_.Follow("", "renew deadline passed without a successful renew");
    co_return;
  }
  LeaseRecord current;
  std::string error;
  if (!DecodeLease(got.body, &current, &error)) {
    fence_.SetError(error);
    co_return;
  }
  if (current.resource_version != observed_version_) {
    observed_version_ = current.resource_version;
    observed_at_ = fence_.now();
  }
  fence_.Observe(current.holder, current.transitions);
  const bool ours = current.holder == options_.identity;
  const bool held_by_other =
      !current.holder.empty() && !ours &&
      observed_at_ + std::chrono::seconds(current.duration_seconds) > fence_.now();
  if (held_by_other) {
    fence_.Follow(current.holder, "the lease is held by " + current.holder);
    fence_.SetError("");
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
  const Clock::time_point sent = fence_.now();
  std::string put_path = LeasePath(options_.lease_namespace, options_.lease_name);
  std::string put_body = EncodeLease(options_.lease_namespace, options_.lease_name, next);
  RequestOptions put_options = LeaseRequestOptions();
  ApiResponse put = co_await client_->Request(Method::kPut, std::move(put_path),
                                              std::move(put_body), std::move(put_options));
  LeaseRecord written;
  if (put.ok() && DecodeLease(put.body, &written, &error)) {
    Lead(sent, written);
    co_return;
  }
  fence_.SetError("update lease: " + (put.ok() ? error : DescribeLeaseFailure(put)));
  if (put.status == 409) {
    fence_.Follow("", "another replica wrote the lease first (409 Conflict)");
  } else if (!fence_.MayWrite()) {
    fence_.Follow("", "renew deadline passed without a successful renew");
  }
}

asio::awaitable<void> LeaderElector::Release() {
  if (!fence_.leading()) co_return;
  fence_.Follow("", "released the lease", spdlog::level::info);  // no write from here on
  LeaseRecord released;
  released.holder = "";
  released.duration_seconds = 1;
  released.renew_time = FormatMicroTime(std::chrono::system_clock::now());
  released.resource_version = observed_version_;
  released.transitions = fence_.status().transitions;
  RequestOptions request_options = LeaseRequestOptions();
  std::string path = LeasePath(options_.lease_namespace, options_.lease_name);
  std::string body = EncodeLease(options_.lease_namespace, options_.lease_name, released);
  ApiResponse put = co_await client_->Request(Method::kPut, std::move(path), std::move(body),
                                              std::move(request_options));
  if (!put.ok()) fence_.SetError("release lease: " + DescribeLeaseFailure(put));
  Log(spdlog::level::info, "leader election: released the lease", {{"lease", fence_.lease()}});
}

}  // namespace quotient::extender::kube
