// A small Kubernetes API client on Beast (HTTP/1.1) + OpenSSL, run on an asio
// io_context with C++20 coroutines.
//
// Request(): one request/response over a pooled keep-alive connection, rate-limited by
// the config's QPS/burst token bucket. The JSON body of the answer is returned whole
// (in a RequestBody, padded for simdjson) with its HTTP status; transport failures
// (connect refused, TLS failure, timeout, truncated answer) give status 0 and `error`.
//
// Connections: at most config.max_connections carry requests, however many are in
// flight. A request takes an idle keep-alive connection, or opens one if fewer are open;
// otherwise it waits in a first-in-first-out line (ConnectionSlots) until one is free.
// Its timeout covers that wait: a request still in line at its deadline fails ("timed
// out ... waiting for a connection"). A write passes its fence (RequestOptions::fence)
// again once it holds a slot, so a replica that lost the lease while the write waited does
// not send it. Up to the bound stay idle between bursts (closed after 90 s unused), so a
// burst does not pay TLS handshakes again. Why a bounded HTTP/1.1 pool and not HTTP/2
// streams over one connection: docs/architecture.md, "The Kubernetes client's connections".
//
// Watch streams are long-lived, so they do not take request slots (a few watches would
// otherwise starve requests, or requests queue behind streams that never end): each has a
// connection of its own, counted apart (ClientPoolStats::watches). Their number is bounded
// by the callers (one per Reflector: pods, nodes, quota trees).
//
// Watch(): opens a streaming GET (the caller adds watch=1 etc. to `target`) and calls
// `on_event` with each newline-delimited JSON event (a padded copy, parseable in place)
// until the server ends the stream, the callback returns false, Stop() is called or
// `idle_timeout` passes without a byte. Events larger than `max_event_bytes` end the
// stream with kTooLarge (the caller relists).
//
// Thread safety: an ApiClient may be used from any number of coroutines on its
// io_context concurrently (each call runs on a strand of its own; `on_event` is called
// on the watch's strand while the awaiting coroutine is suspended). Stop() may be called
// from any thread: it cancels open watches and in-flight requests (they complete with
// an error) and refuses new ones. One call alone is cancelled through the stop token in
// its options. Destroying the client Stop()s it; calls still in flight keep its state
// alive until they complete. The io_context must outlive the client and its calls.
//
// GCC 12 (bug 99576) destroys temporaries of a co_await expression twice, default
// arguments and implicit conversions included: call with named values, e.g.
//   std::function<bool(RequestBody&)> on_event = ...;
//   WatchResult r = co_await client.Watch(target, on_event, options);
// (`target` a named std::string). The overloads below stand in for default arguments
// so that omitting an argument creates no temporary.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

#include "extender/json/request_body.h"
#include "extender/kube/client_config.h"
#include "extender/kube/write_fence.h"

namespace quotient::extender::kube {

enum class Method { kGet, kPost, kPut, kPatch, kDelete };

struct ApiResponse {
  int status = 0;     // HTTP status; 0 = transport failure (see error)
  RequestBody body;   // the whole answer body
  std::string error;  // transport failure, human-readable; empty on any HTTP answer
  bool ok() const { return status >= 200 && status < 300; }
};

enum class WatchEnd {
  kServerClosed,  // the server ended the stream (timeoutSeconds reached): rewatch
  kStopped,       // on_event returned false, or Stop()
  kHttpError,     // a non-200 answer to the watch request (status, body in result)
  kTransport,     // connect/TLS/read failure or idle timeout
  kTooLarge,      // one event exceeded max_event_bytes
};

struct WatchResult {
  WatchEnd end = WatchEnd::kServerClosed;
  int status = 0;
  std::string error;  // kHttpError: the answer body (truncated); kTransport: what failed
  size_t events = 0;
};

struct RequestOptions {
  std::string content_type = "application/json";  // of the request body
  // Connect, send and read the whole answer; the client-side rate-limit wait before
  // the request is not counted.
  std::chrono::milliseconds timeout{30'000};
  std::stop_token stop;  // a stop request ends this call (status 0, error "stopped")
  // Writes under leader election: checked again when the request leaves the rate limit and
  // the connection line, which can take seconds in a burst; closed then, the request fails
  // unsent (status 0, error fence->Why()). Null: no check. REQUIRES: outlives the call.
  const WriteFence* fence = nullptr;
};

struct WatchOptions {
  // Connect, TLS handshake, send, and the answer's status line and headers.
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds idle_timeout{120'000};  // bookmarks arrive about every minute
  size_t max_event_bytes = 16u << 20;
  std::stop_token stop;  // a stop request ends this watch with kStopped
};

// A snapshot of the client's connections, for metrics.
struct ClientPoolStats {
  int64_t open = 0;     // request connections open: in use, connecting, or idle
  int64_t in_use = 0;   // request slots held (a connection in use or being opened)
  int64_t waiting = 0;  // requests in line for a slot
  int64_t watches = 0;  // open watch connections (outside the bound)
  int64_t limit = 0;    // config.max_connections
  // Connections opened since the client started (each a TCP connect and, for https, a TLS
  // handshake): a warm pool opens none per burst.
  uint64_t opened_requests = 0;
  uint64_t opened_watches = 0;
};

// Told about every request. Called on the client's strands, from any io thread, so
// implementations must be thread-safe and cheap (e.g. atomic histograms).
class ClientObserver {
 public:
  virtual ~ClientObserver() = default;
  // Time a request waited in line for a connection slot (0 when one was free);
  // `acquired` false: it left the line without one (its timeout, or a stop).
  virtual void OnSlotWait(std::chrono::nanoseconds waited, bool acquired) = 0;
  // A request ended: `status` its HTTP status, 0 for a transport failure; `latency` from
  // holding a slot to the whole answer read (the line and rate-limit waits excluded).
  virtual void OnRequest(Method method, int status, std::chrono::nanoseconds latency) = 0;
};

class ApiClient {
 public:
  // `observer` may be null.
  ApiClient(boost::asio::io_context& ioc, ClientConfig config);
  ApiClient(boost::asio::io_context& ioc, ClientConfig config,
            std::shared_ptr<ClientObserver> observer);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  const ClientConfig& config() const;

  // `target` is the path and query, e.g. "/api/v1/pods?limit=500"; the server URL's
  // base path is prepended. Answers up to 1 GiB are read (Content-Length or chunked).
  // A pooled keep-alive connection found dead before any byte of the answer is replaced
  // by a new one, once: always when the request could not be sent, and when it was sent
  // only for idempotent methods (GET, PUT, DELETE), as Go's net/http does.
  boost::asio::awaitable<ApiResponse> Request(Method method, std::string target);
  boost::asio::awaitable<ApiResponse> Request(Method method, std::string target, std::string body);
  boost::asio::awaitable<ApiResponse> Request(Method method, std::string target, std::string body,
                                              RequestOptions options);

  // Not rate-limited; a dedicated connection, closed at the end. A clean end of the
  // stream delivers an unterminated last line too; a dropped connection does not.
  boost::asio::awaitable<WatchResult> Watch(std::string target,
                                            std::function<bool(RequestBody& event)> on_event);
  boost::asio::awaitable<WatchResult> Watch(std::string target,
                                            std::function<bool(RequestBody& event)> on_event,
                                            WatchOptions options);

  void Stop();

  ClientPoolStats pool_stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace quotient::extender::kube
