// One watch of the reflector: the request, its events, and what follows its end.
#include <boost/asio/steady_timer.hpp>
#include <stop_token>

#include "extender/kube/list_watch_decode.h"
#include "extender/kube/reflector_impl.h"
#include "extender/telemetry/logging.h"

namespace quotient::extender::kube {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

bool IsGone(const WatchEventHead& head) {
  return head.status_code == 410 || head.status_reason == "Expired" || head.status_reason == "Gone";
}

// One watch's shared state: the resync timer's handler stops the watch through it.
struct WatchControl {
  std::stop_source stop;
  bool resync_due = false;  // set on the reflector's strand
};

// Forwards the reflector's Stop() to the current watch.
struct ForwardStop {
  std::shared_ptr<WatchControl> control;
  void operator()() const { control->stop.request_stop(); }
};

}  // namespace

asio::awaitable<Next> Reflector::Impl::WatchOnce(Clock::time_point resync_at) {
  auto control = std::make_shared<WatchControl>();
  std::stop_callback forward(stop.get_token(), ForwardStop{control});
  asio::steady_timer resync_timer(strand);
  if (resync_at != Clock::time_point::max()) {
    resync_timer.expires_at(resync_at);
    resync_timer.async_wait([control](boost::system::error_code ec) {
      if (ec) return;
      control->resync_due = true;
      control->stop.request_stop();
    });
  }
  const std::string target = WatchTarget();
  WatchOptions watch_options = options.watch;
  watch_options.stop = control->stop.get_token();
  WatchProgress progress;
  const std::function<bool(RequestBody&)> on_event = [this, &progress](RequestBody& line) {
    return HandleEvent(line, &progress);
  };
  const auto started_at = Clock::now();
  WatchResult result = co_await client->Watch(target, on_event, watch_options);
  resync_timer.cancel();
  co_return WatchEnded(result, progress, control->resync_due, Clock::now() - started_at);
}

Next Reflector::Impl::WatchEnded(const WatchResult& result, const WatchProgress& progress,
                                 bool resync_due, Clock::duration lasted) {
  if (stopping()) return Next::kStop;
  if (progress.out_of_memory) {
    // The sinks left their state as it was for that event (all or nothing); a list
    // delivers the object again. After a backoff: memory may be short for a while.
    Log(spdlog::level::warn, "kube: out of memory applying a watch event, relisting",
        {{"reflector", options.name}});
    std::lock_guard lock(mu);
    ++status.relists_out_of_memory;
    return Next::kRelistAfterBackoff;
  }
  const bool healthy = progress.lines > 0 || lasted >= kHealthyWatch;
  if (healthy) ResetBackoff();
  if (progress.gone || (result.end == WatchEnd::kHttpError && result.status == 410)) {
    Log(spdlog::level::info, "kube: resource version expired, relisting",
        {{"reflector", options.name}, {"resource_version", resource_version}});
    std::lock_guard lock(mu);
    ++status.relists_gone;
    return Next::kRelist;
  }
  if (!progress.error.empty()) {
    Failed(fmt::format("watch {}: error event: {}", options.list_path, progress.error));
    return Next::kRewatchAfterBackoff;
  }
  switch (result.end) {
    case WatchEnd::kServerClosed: {
      std::lock_guard lock(mu);
      status.connected = true;
      status.last_error.clear();
      break;
    }
    case WatchEnd::kStopped:
      if (resync_due) return Next::kRelist;
      break;
    case WatchEnd::kHttpError:
      Failed(fmt::format("watch {}: HTTP {}: {}", options.list_path, result.status,
                         Truncated(result.error)));
      return Next::kRewatchAfterBackoff;
    case WatchEnd::kTransport:
      Failed(fmt::format("watch {}: {}", options.list_path, result.error));
      return Next::kRewatchAfterBackoff;
    case WatchEnd::kTooLarge:
      Failed(fmt::format("watch {}: {}", options.list_path, result.error));
      return Next::kRelistAfterBackoff;
  }
  // An ordinary end: rewatch at once, unless the watch ended before doing anything (a
  // server that closes at once must not make us spin).
  return healthy ? Next::kRewatch : Next::kRewatchAfterBackoff;
}

bool Reflector::Impl::HandleEvent(RequestBody& line, WatchProgress* progress) {
  if (stopping()) return false;
  json::od::document doc;
  WatchEventHead head;
  std::string error;
  if (!DecodeEventHead(line, &doc, &head, &error)) {
    Skipped("watch event", error, SkipReason::kBadEvent);
    return true;
  }
  const auto now = Clock::now();
  switch (head.type) {
    case WatchEventType::kAdded:
    case WatchEventType::kModified:
    case WatchEventType::kDeleted: {
      const EventType type = head.type == WatchEventType::kAdded      ? EventType::kAdded
                             : head.type == WatchEventType::kModified ? EventType::kModified
                                                                      : EventType::kDeleted;
      std::string sink_error;
      bool sink_called = false;
      SkipReason reason = SkipReason::kBadEvent;
      const bool applied = head.has_object && DecodeEventObject(
                                                  doc,
                                                  [&](json::od::value& object) {
                                                    sink_called = true;
                                                    return Apply(type, object, &sink_error, &reason,
                                                                 &progress->out_of_memory);
                                                  },
                                                  &error);
      if (!applied) {
        Skipped(fmt::format("{} event", head.type_name),
                !sink_error.empty() ? sink_error
                : !error.empty()    ? error
                                    : "no object",
                sink_called ? reason : SkipReason::kBadEvent);
      }
      ++progress->lines;
      if (!head.resource_version.empty()) resource_version = head.resource_version;
      std::lock_guard lock(mu);
      if (applied) ++status.events;
      status.last_event = now;
      status.connected = true;
      status.last_error.clear();
      status.resource_version = resource_version;
      return !progress->out_of_memory;  // the object is stale: end the watch and relist
    }
    case WatchEventType::kBookmark: {
      ++progress->lines;
      if (!head.resource_version.empty()) resource_version = head.resource_version;
      std::lock_guard lock(mu);
      status.last_event = now;
      status.connected = true;
      status.last_error.clear();
      status.resource_version = resource_version;
      return true;
    }
    case WatchEventType::kError:
      if (IsGone(head)) {
        progress->gone = true;
      } else {
        progress->error =
            fmt::format("{} {}: {}", head.status_code, head.status_reason, head.status_message);
      }
      return false;  // ends the watch
    case WatchEventType::kUnknown:
      Skipped("watch event", fmt::format("unknown event type \"{}\"", head.type_name),
              SkipReason::kBadEvent);
      return true;
  }
  return true;
}

}  // namespace quotient::extender::kube
