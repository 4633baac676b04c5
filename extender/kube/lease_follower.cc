#include "extender/kube/lease_follower.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <utility>

namespace quotient::extender::kube {

namespace asio = boost::asio;

namespace {

// A MicroTime cut to whole seconds: "2026-12-05T21:34:39.123456Z" -> "2026-12-05T21:34:39".
std::string_view WholeSeconds(std::string_view micro_time) {
  return micro_time.substr(0, micro_time.find_first_of(".Z+"));
}

}  // namespace

std::string LeaseChangeKey(const LeaseRecord& r) {
  return fmt::format("{}|{}|{}|{}|{}", r.holder, r.duration_seconds, WholeSeconds(r.acquire_time),
                     WholeSeconds(r.renew_time), r.transitions);
}

LeaseFollower::LeaseFollower(asio::io_context& ioc, ApiClient* client, LeaseFollowOptions options,
                             std::function<void(bool)> on_change, Now now)
    : client_(client),
      options_(std::move(options)),
      fence_(
          options_.lease_namespace + "/" + options_.lease_name,
          [this](const std::string& holder) { return Ours(holder); }, std::move(on_change),
          std::move(now)),
      loop_(ioc, options_.retry_period, 2 * options_.retry_period + std::chrono::seconds(1),
            &fence_, [this] { return Observe(); }, {}) {}

bool LeaseFollower::Ours(const std::string& holder) const {
  return holder.starts_with(options_.identity_prefix);
}

std::string LeaseFollower::Why() const {
  const LeaderStatus s = fence_.status();
  if (!s.holder.empty() && !Ours(s.holder)) {
    return fmt::format(
        "not the leader: the scheduler this replica follows ({}*) does not hold {}; "
        "{} does",
        options_.identity_prefix, fence_.lease(), s.holder);
  }
  return fmt::format(
      "not the leader: {} is not held by the scheduler this replica follows ({}*), "
      "or not renewed in time",
      fence_.lease(), options_.identity_prefix);
}

asio::awaitable<void> LeaseFollower::Observe() {
  RequestOptions get_options;
  // A late answer is still sound (its send time is what counts), but the next GET waits for it.
  get_options.timeout =
      std::max<std::chrono::milliseconds>(std::chrono::seconds(1), 2 * options_.retry_period);
  // Before the request waits in the client's line: an earlier send time only shortens the fence.
  const Clock::time_point sent = fence_.now();
  std::string path = LeasePath(options_.lease_namespace, options_.lease_name);
  std::string no_body;
  ApiResponse got = co_await client_->Request(Method::kGet, std::move(path), std::move(no_body),
                                              std::move(get_options));
  if (got.status == 404) {
    seen_ = false;
    fence_.SetError("get lease: " + DescribeLeaseFailure(got));
    fence_.Follow("", "the followed lease does not exist");
    co_return;
  }
  LeaseRecord current;
  std::string error;
  if (!got.ok() || !DecodeLease(got.body, &current, &error)) {
    // Nothing learnt: the fence keeps the time it had and closes by it.
    fence_.SetError("get lease: " + (got.ok() ? error : DescribeLeaseFailure(got)));
    co_return;
  }
  const std::string key = LeaseChangeKey(current);
  const bool changed = seen_ && key != last_key_;
  // The record read now was written after the previous successful GET was sent (that one
  // still read an older record).
  const Clock::time_point written_after = last_sent_;
  seen_ = true;
  last_key_ = key;
  last_sent_ = sent;
  fence_.SetError("");
  fence_.Observe(current.holder, current.transitions);
  if (current.holder.empty() || !Ours(current.holder)) {
    fence_.Follow(current.holder, current.holder.empty()
                                      ? "the scheduler released the lease"
                                      : "the lease is held by " + current.holder);
    co_return;
  }
  if (!changed) co_return;  // the fence keeps its time
  const Clock::time_point until =
      written_after + std::chrono::seconds(current.duration_seconds) - options_.margin;
  if (until <= fence_.now()) {
    // Too late already (a pause, a slow answer, or a lease no longer than the margin).
    fence_.Follow(current.holder, "the scheduler's renew was seen too late to lead on it");
    fence_.SetError(fmt::format(
        "the renew seen cannot open the fence: sent {} ms before a "
        "{} s lease minus a {} ms margin ran out",
        std::chrono::duration_cast<std::chrono::milliseconds>(fence_.now() - written_after).count(),
        current.duration_seconds, options_.margin.count()));
    co_return;
  }
  fence_.Lead(until, current.holder, current.transitions);
}

}  // namespace quotient::extender::kube
