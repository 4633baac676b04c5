#include "extender/kube/reflector.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "extender/kube/list_watch_decode.h"
#include "extender/kube/query.h"
#include "extender/kube/reflector_impl.h"
#include "extender/telemetry/logging.h"

namespace quotient::extender::kube {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kSkipLogInterval = std::chrono::seconds(1);
constexpr auto kListPageTimeout = std::chrono::seconds(60);

}  // namespace

std::string_view SkipReasonName(SkipReason reason) {
  switch (reason) {
    case SkipReason::kRefused: return "refused";
    case SkipReason::kApplyFailed: return "apply_failed";
    case SkipReason::kBadEvent: return "bad_event";
  }
  return "unknown";
}

bool Reflector::Impl::Apply(EventType type, json::od::value& object, std::string* error,
                            SkipReason* reason, bool* out_of_memory) {
  try {
    if (sink->Apply(type, object, error)) return true;
    *reason = SkipReason::kRefused;
  } catch (const std::bad_alloc& e) {
    *error = fmt::format("applying the object failed: {} (relisting)", e.what());
    *reason = SkipReason::kApplyFailed;
    *out_of_memory = true;
  } catch (const std::exception& e) {
    *error = fmt::format("applying the object failed: {}", e.what());
    *reason = SkipReason::kApplyFailed;
  }
  return false;
}

void Reflector::Impl::Skipped(std::string_view what, std::string_view error, SkipReason reason) {
  std::unique_lock lock(mu);
  ++status.skipped_objects;
  ++status.skipped_by_reason[static_cast<size_t>(reason)];
  const auto now = Clock::now();
  if (now - last_skip_log < kSkipLogInterval) {
    ++unlogged_skips;
    return;
  }
  last_skip_log = now;
  const uint64_t unlogged = std::exchange(unlogged_skips, 0);
  lock.unlock();
  Log(reason == SkipReason::kApplyFailed ? spdlog::level::err : spdlog::level::warn,
      "kube: object skipped",
      {{"reflector", options.name},
       {"what", what},
       {"reason", SkipReasonName(reason)},
       {"error", error},
       {"skipped_since_last_log", fmt::format_int(unlogged).c_str()}});
}

void Reflector::Impl::Failed(std::string error) {
  Log(spdlog::level::warn, "kube: list/watch failed",
      {{"reflector", options.name}, {"error", error}});
  std::lock_guard lock(mu);
  ++status.failures;
  status.connected = false;
  status.last_error = std::move(error);
}

std::string Reflector::Impl::ListTarget(const std::string& continue_token, bool paginate) const {
  Query query(options.list_path);
  if (paginate && options.page_size > 0) query.Add("limit", std::to_string(options.page_size));
  if (!continue_token.empty()) query.Add("continue", continue_token);
  if (!options.field_selector.empty()) query.Add("fieldSelector", options.field_selector);
  return query.target();
}

std::string Reflector::Impl::WatchTarget() {
  Query query(options.list_path);
  query.Add("watch", "1");
  query.Add("allowWatchBookmarks", "true");
  if (!resource_version.empty()) query.Add("resourceVersion", resource_version);
  if (const int64_t base = options.watch_timeout.count(); base > 0) {
    std::uniform_int_distribution<int64_t> spread(base, 2 * base - 1);
    query.Add("timeoutSeconds", std::to_string(spread(rng)));
  }
  if (!options.field_selector.empty()) query.Add("fieldSelector", options.field_selector);
  return query.target();
}

asio::awaitable<void> Reflector::Impl::Run() {
  auto self = shared_from_this();
  while (!stopping()) {
    std::string failure;
    try {
      co_await Loop();
    } catch (const std::exception& e) {  // a bug: keep watching, and say so
      failure = e.what();
    }
    if (failure.empty()) break;
    Log(spdlog::level::err, "kube: reflector loop failed; relisting after a backoff",
        {{"reflector", options.name}, {"error", failure}});
    {
      std::lock_guard lock(mu);
      ++status.loop_restarts;
      ++status.failures;
      status.connected = false;
      status.last_error = "internal error: " + failure;
    }
    co_await Backoff();
  }
  {
    std::lock_guard lock(mu);
    finished = true;
  }
  finished_cv.notify_all();
}

asio::awaitable<void> Reflector::Impl::Loop() {
  Next next = Next::kRelist;
  Clock::time_point resync_at = Clock::time_point::max();
  while (!stopping()) {
    switch (next) {
      case Next::kRelistAfterBackoff: co_await Backoff(); [[fallthrough]];
      case Next::kRelist:
        if (stopping()) co_return;
        next = co_await ListAll();
        if (next == Next::kWatch && options.resync_interval.count() > 0) {
          resync_at = Clock::now() + options.resync_interval;
        }
        break;
      case Next::kRewatchAfterBackoff: co_await Backoff(); [[fallthrough]];
      case Next::kRewatch:
      case Next::kWatch:
        if (stopping()) co_return;
        if (next != Next::kWatch) {
          std::lock_guard lock(mu);
          ++status.watch_restarts;
        }
        next = co_await WatchOnce(resync_at);
        break;
      case Next::kStop: co_return;
    }
  }
}

asio::awaitable<void> Reflector::Impl::Backoff() {
  // Full jitter: uniform in [0, ceiling], the ceiling doubling up to max_backoff.
  std::uniform_int_distribution<int64_t> jitter(0, backoff.count());
  const std::chrono::milliseconds delay(jitter(rng));
  backoff = std::min(options.max_backoff, backoff * 2);
  if (stopping()) co_return;  // checked on the strand: Stop()'s cancel comes after
  backoff_timer.expires_after(delay);
  co_await backoff_timer.async_wait(kUseTuple);
}

asio::awaitable<Next> Reflector::Impl::ListAll() {
  std::string continue_token;
  bool begun = false;
  bool paginate = true;
  int expired = 0;
  size_t objects = 0;
  bool out_of_memory = false;
  const std::function<void(json::od::value&)> on_item = [&](json::od::value& item) {
    std::string error;
    SkipReason reason = SkipReason::kRefused;
    if (Apply(EventType::kAdded, item, &error, &reason, &out_of_memory)) {
      ++objects;
    } else {
      Skipped("list item", error, reason);
    }
  };
  for (;;) {
    if (stopping()) co_return Next::kStop;
    const std::string target = ListTarget(continue_token, paginate);
    const std::string body;
    RequestOptions request_options;
    request_options.timeout = kListPageTimeout;
    request_options.stop = stop.get_token();
    ApiResponse page = co_await client->Request(Method::kGet, target, body, request_options);
    if (stopping()) co_return Next::kStop;
    if (page.status == 410 && !continue_token.empty()) {
      // The continue token expired mid-list: start over. After a second expiry, list in
      // one page, as client-go's pager falls back to a full list.
      Log(spdlog::level::info, "kube: list continue token expired, restarting the list",
          {{"reflector", options.name}});
      {
        std::lock_guard lock(mu);
        ++status.relists_gone;
      }
      continue_token.clear();
      begun = false;
      objects = 0;
      out_of_memory = false;
      paginate = ++expired < 2;
      continue;
    }
    if (!page.ok()) {
      Failed(page.status == 0 ? fmt::format("list {}: {}", options.list_path, page.error)
                              : fmt::format("list {}: HTTP {}: {}", options.list_path, page.status,
                                            Truncated(page.body.view())));
      co_return Next::kRelistAfterBackoff;
    }
    if (!begun) {
      sink->BeginList();
      begun = true;
    }
    ListMeta meta;
    std::string error;
    if (!DecodeListPage(page.body, on_item, &meta, &error)) {
      Failed(fmt::format("list {}: {}", options.list_path, error));
      co_return Next::kRelistAfterBackoff;
    }
    if (!meta.continue_token.empty()) {
      continue_token = std::move(meta.continue_token);
      continue;
    }
    if (out_of_memory) {
      // An object of this list was not applied: ending it would drop that object as gone
      // (a live pod's charge with it). The list is abandoned and tried again.
      Log(spdlog::level::warn, "kube: out of memory applying a listed object, relisting",
          {{"reflector", options.name}});
      std::lock_guard lock(mu);
      ++status.relists_out_of_memory;
      co_return Next::kRelistAfterBackoff;
    }
    sink->EndList();
    resource_version = meta.resource_version;
    {
      std::lock_guard lock(mu);
      status.synced = true;
      status.connected = true;
      status.last_error.clear();
      status.last_sync = Clock::now();
      status.resource_version = resource_version;
      ++status.lists;
    }
    Log(spdlog::level::info, "kube: list complete",
        {{"reflector", options.name},
         {"objects", fmt::format_int(objects).c_str()},
         {"resource_version", resource_version}});
    co_return Next::kWatch;
  }
}

Reflector::Reflector(asio::io_context& ioc, ApiClient* client, ReflectorOptions options,
                     ObjectSink* sink)
    : impl_(std::make_shared<Impl>(ioc, client, std::move(options), sink)) {}

Reflector::~Reflector() {
  Stop();
  std::unique_lock lock(impl_->mu);
  // Waiting on a thread that runs the io_context could deadlock it; a stopped
  // io_context will never finish the loop.
  if (!impl_->started || impl_->ioc.stopped() ||
      impl_->ioc.get_executor().running_in_this_thread()) {
    return;
  }
  // Polled as well: nothing notifies when the io_context stops under us.
  while (!impl_->finished && !impl_->ioc.stopped()) {
    impl_->finished_cv.wait_for(lock, std::chrono::milliseconds(50));
  }
}

void Reflector::Start() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->started) return;
    impl_->started = true;
  }
  asio::co_spawn(impl_->strand, impl_->Run(), asio::detached);
}

void Reflector::Stop() {
  impl_->stop.request_stop();
  asio::post(impl_->strand, [impl = impl_] { impl->backoff_timer.cancel(); });
}

ReflectorStatus Reflector::status() const {
  std::lock_guard lock(impl_->mu);
  return impl_->status;
}

const ReflectorOptions& Reflector::options() const {
  return impl_->options;
}

}  // namespace quotient::extender::kube
