// Private to the reflector: its state and the pieces of its loop, shared by
// reflector.cc (the loop, lists, backoff, public API) and reflector_watch.cc (one watch
// and its events).
#pragma once

#include <fmt/format.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <condition_variable>
#include <random>
#include <string>
#include <string_view>

#include "extender/kube/reflector.h"

namespace quotient::extender::kube {

// A watch that lasted this long was healthy even without events: the backoff resets.
inline constexpr auto kHealthyWatch = std::chrono::seconds(10);
inline constexpr size_t kMaxLoggedBodyBytes = 512;

// What the loop does after a list or watch attempt.
enum class Next { kWatch, kRewatch, kRewatchAfterBackoff, kRelist, kRelistAfterBackoff, kStop };

// What the events of one watch did (filled on the watch's strand, read after it ends).
struct WatchProgress {
  size_t lines = 0;            // events and bookmarks
  bool out_of_memory = false;  // applying an event threw std::bad_alloc: relist
  bool gone = false;           // an ERROR event said 410 Gone / Expired
  std::string error;           // another ERROR event's message
};

// The start of an answer body, for logs and status.
inline std::string Truncated(std::string_view text) {
  if (text.size() <= kMaxLoggedBodyBytes) return std::string(text);
  return fmt::format("{}...", text.substr(0, kMaxLoggedBodyBytes));
}

struct Reflector::Impl : std::enable_shared_from_this<Reflector::Impl> {
  using Clock = std::chrono::steady_clock;

  Impl(boost::asio::io_context& io, ApiClient* c, ReflectorOptions o, ObjectSink* s)
      : ioc(io),
        client(c),
        options(std::move(o)),
        sink(s),
        strand(boost::asio::make_strand(io)),
        backoff_timer(strand),
        rng(std::random_device{}()),
        backoff(options.initial_backoff) {}

  // Constant after construction.
  boost::asio::io_context& ioc;
  ApiClient* const client;
  const ReflectorOptions options;
  ObjectSink* const sink;
  const boost::asio::strand<boost::asio::io_context::executor_type> strand;
  std::stop_source stop;  // thread-safe

  // Confined to the loop (its strand, and the watch callbacks while it awaits a watch).
  boost::asio::steady_timer backoff_timer;
  std::mt19937_64 rng;
  std::chrono::milliseconds backoff;  // ceiling of the next backoff
  std::string resource_version;

  mutable std::mutex mu;
  std::condition_variable finished_cv;
  bool started = false;               // guarded by mu
  bool finished = false;              // guarded by mu
  ReflectorStatus status;             // guarded by mu
  Clock::time_point last_skip_log{};  // guarded by mu
  uint64_t unlogged_skips = 0;        // guarded by mu

  bool stopping() const { return stop.stop_requested(); }

  boost::asio::awaitable<void> Run();
  boost::asio::awaitable<void> Loop();
  boost::asio::awaitable<Next> ListAll();
  boost::asio::awaitable<Next> WatchOnce(Clock::time_point resync_at);
  boost::asio::awaitable<void> Backoff();
  bool HandleEvent(RequestBody& line, WatchProgress* progress);
  Next WatchEnded(const WatchResult& result, const WatchProgress& progress, bool resync_due,
                  Clock::duration lasted);

  void Skipped(std::string_view what, std::string_view error, SkipReason reason);
  // Applies one object through the sink; false with *error and *reason when it was skipped.
  // A sink that throws fails that object only; one that ran out of memory (std::bad_alloc)
  // also sets *out_of_memory (the caller relists).
  bool Apply(EventType type, json::od::value& object, std::string* error, SkipReason* reason,
             bool* out_of_memory);
  void Failed(std::string error);
  void ResetBackoff() { backoff = options.initial_backoff; }
  std::string ListTarget(const std::string& continue_token, bool paginate) const;
  std::string WatchTarget();
};

}  // namespace quotient::extender::kube
