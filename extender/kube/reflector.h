// A list+watch loop for one collection of API objects, as client-go's Reflector does:
//
//   LIST (paginated with limit/continue) -> WATCH from the list's resourceVersion with
//   allowWatchBookmarks=true -> on stream end rewatch from the last resourceVersion seen
//   (object or BOOKMARK) -> on 410 Gone / "too old resource version" / an ERROR event /
//   an oversized event: relist. Failures back off exponentially with jitter
//   (initial_backoff doubling to max_backoff, reset after a healthy watch). A relist
//   also happens every resync_interval, so a missed event cannot live forever.
//
// Objects reach the ObjectSink as simdjson values: the sink decodes what it needs. An
// object the sink cannot use is skipped (counted by SkipReason in status(), logged with its
// reason at most once per second): one it refuses, one whose Apply() throws (the sink's
// state must then be as before the call), and an event line that is not JSON. Nothing the
// server sends ends the loop; only Stop() does. A loop that fails anyway (a bug) is logged,
// counted as a failure and started again with a relist after a backoff.
//
// Thread safety: Start()/Stop() from any thread. The sink is called from the
// reflector's coroutine only, one call at a time, never concurrently with itself (but
// concurrently with other reflectors' sinks and with anything else in the process);
// successive calls may come from different io threads. The sink is not called after
// Stop() returns, except by a call already under way on another thread.
// status() is thread-safe.
//
// Parsing: lists and events are parsed with the io thread's json::ThreadParser; the
// value handed to Apply() is valid during the call only.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "extender/json/json_read.h"
#include "extender/kube/api_client.h"

namespace quotient::extender::kube {

enum class EventType { kAdded, kModified, kDeleted };

class ObjectSink {
 public:
  virtual ~ObjectSink() = default;
  // A (re)list starts. Objects follow as kAdded, then EndList(). A list that fails
  // midway (transport error, expired continue token) is abandoned without EndList():
  // the next attempt calls BeginList() again, and objects Applied by the abandoned one
  // stay as they are until a list completes.
  virtual void BeginList() = 0;
  // One object (list item or watch event). Return false with *error (one line, e.g.
  // "metadata.uid missing") to have it skipped and counted.
  virtual bool Apply(EventType type, json::od::value& object, std::string* error) = 0;
  // The list is complete: objects not Applied since BeginList() no longer exist.
  virtual void EndList() = 0;
};

struct ReflectorOptions {
  std::string name;            // "pods", "nodes", "elasticquotatrees": logs and metrics
  std::string list_path;       // "/api/v1/pods"
  std::string field_selector;  // optional, URL-encoded by the reflector
  int64_t page_size = 500;
  std::chrono::milliseconds resync_interval{10 * 60'000};  // 0: never
  std::chrono::seconds watch_timeout{300};                 // timeoutSeconds, randomised in [1x, 2x)
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30'000};
  WatchOptions watch;
};

using SteadyTime = std::chrono::steady_clock::time_point;

// Why an object or event was skipped (a bounded metric label).
enum class SkipReason {
  kRefused,      // the sink could not decode or use the object (Apply returned false)
  kApplyFailed,  // the sink threw while applying it: an internal error, the object is dropped
  kBadEvent,     // a watch event that is not JSON, has no object or has an unknown type
};
inline constexpr int kSkipReasonCount = 3;
std::string_view SkipReasonName(SkipReason reason);

struct ReflectorStatus {
  bool synced = false;      // a complete list has been delivered at least once
  bool connected = false;   // the last list or watch succeeded and no failure since
  SteadyTime last_sync{};   // end of the last complete list
  SteadyTime last_event{};  // last object or bookmark received
  std::string last_error;   // empty when connected
  std::string resource_version;
  uint64_t lists = 0;         // complete lists (1 + relists)
  uint64_t relists_gone = 0;  // relists forced by 410 Gone / expired resourceVersion
  // Relists after the sink ran out of memory applying an object (std::bad_alloc): the
  // sinks keep their state as it was (all or nothing), so the object is stale until a
  // list delivers it again. A list with such an object is not ended (nothing it did not
  // contain is dropped) and is retried after a backoff; a watch event ends the watch.
  uint64_t relists_out_of_memory = 0;
  uint64_t watch_restarts = 0;
  uint64_t events = 0;           // watch events applied (excluding bookmarks)
  uint64_t skipped_objects = 0;  // all reasons
  std::array<uint64_t, kSkipReasonCount> skipped_by_reason{};
  uint64_t loop_restarts = 0;  // the loop failed (a bug) and was started again
  uint64_t failures = 0;       // failed list or watch attempts
};

class Reflector {
 public:
  Reflector(boost::asio::io_context& ioc, ApiClient* client, ReflectorOptions options,
            ObjectSink* sink);
  // Stop()s and waits for the loop to finish, except on a thread running the io_context
  // (it could deadlock) or when the io_context is stopped (the loop cannot finish); in
  // those cases pending handlers end without calling the sink.
  ~Reflector();
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  void Start();  // once; later calls do nothing
  void Stop();
  ReflectorStatus status() const;
  const ReflectorOptions& options() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace quotient::extender::kube
