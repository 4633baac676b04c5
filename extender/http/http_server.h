// The HTTP/1.1 (and HTTPS, optionally mutual-TLS) server.
//
// Design (after Boost.Beast's async server examples):
//  * one io_context run by N threads (N = cores by default, see main);
//  * C++20 coroutines; each connection runs on its own strand, so a connection's
//    state is touched by one thread at a time without locks;
//  * keep-alive; every read and write has a deadline: one header timeout from accept for
//    the TLS handshake and the first request's header, an idle timeout between requests,
//    a header timeout once a later request starts, a body timeout, a write timeout;
//  * explicit header and body limits; a body is read only when the router needs it
//    (Router::RefuseBeforeBody answers the rest from the header); a body with
//    Content-Length is read straight into one preallocated buffer (RequestBody) with
//    large reads and parsed in place; limits and routes are checked before 100 Continue;
//  * a refusal that leaves request bytes unread closes gracefully: FIN, then what the
//    client still sends is read and dropped (at most 1 s and 4 MiB), so the kernel does
//    not reset the connection under the client's write or its unread answer;
//  * Shutdown() stops accepting, closes idle connections at once, lets in-flight
//    requests finish (answering them with Connection: close) and forces the rest
//    closed at the grace deadline.
//
// Thread safety: Start() and the accessors are called from one thread before the io
// threads run; Shutdown() may be called from any thread once.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "extender/http/router.h"
#include "extender/http/server_metrics.h"
#include "extender/http/tls_context.h"

namespace quotient::extender {

struct ListenerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;     // 0: any free port (see HttpServer::BoundPorts)
  bool webhooks = true;  // false: only /healthz, /readyz, /metrics, /version
  std::optional<TlsFiles> tls;
};

struct HttpServerOptions {
  std::vector<ListenerOptions> listeners;
  size_t max_body_bytes = 128u << 20;
  size_t max_header_bytes = 16u << 10;
  std::chrono::milliseconds idle_timeout{90'000};
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
};

class HttpServer {
 public:
  // `router` and `metrics` must outlive the server.
  HttpServer(boost::asio::io_context& ioc, HttpServerOptions options, Router* router,
             ServerMetrics* metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads TLS material, binds and listens on every listener, and starts accepting.
  // Returns false with a message naming the listener on failure.
  bool Start(std::string* error);

  // The bound port of each listener, in options order (valid after Start()).
  std::vector<uint16_t> BoundPorts() const;

  // Begins a graceful shutdown; `done` runs on an io thread once every connection has
  // closed or `grace` has passed.
  void Shutdown(std::chrono::milliseconds grace, std::function<void()> done);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace quotient::extender
