// Test-only: an in-process stand-in for the Kubernetes API server. It listens on
// 127.0.0.1 (port 0), serves each connection on a thread of its own with blocking
// Beast/asio calls, and hands every request to the test's handler, which answers by
// writing raw HTTP through a FakeExchange: whole answers, chunked streams written piece
// by piece (split anywhere the test likes), or an abrupt close.
//
// Thread safety: the handler runs on connection threads, concurrently for concurrent
// connections; it must guard the test state it shares. requests()/connections() are
// thread-safe. Pause()/Resume()/the destructor from the test thread only.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "extender/kube/client_config.h"

namespace quotient::extender::kube::testing {

struct FakeRequest {
  std::string method;
  std::string target;  // path and query as sent
  std::string path;    // without the query
  std::string authorization;
  std::string user_agent;
  std::string accept;
  std::string content_type;
  std::string body;
  int connection = 0;  // 1, 2, ...: which connection carried it

  // A query parameter, URL-decoded; "" when absent.
  std::string Param(std::string_view name) const;
  bool HasParam(std::string_view name) const;
};

class FakeExchange {
 public:
  virtual ~FakeExchange() = default;
  virtual const FakeRequest& request() const = 0;

  // A whole answer with Content-Length (keep-alive).
  virtual void Respond(int status, std::string_view body) = 0;
  // A chunked answer: the header, then Send() pieces (one chunk each), then End().
  virtual void StartChunked(int status) = 0;
  virtual void Send(std::string_view bytes) = 0;
  virtual void End() = 0;
  // Closes the connection now (after whatever was written).
  virtual void Close() = 0;

  // Blocks until pred() holds (checked every millisecond), the server stops or
  // `timeout` passes. Returns pred()'s last value.
  virtual bool WaitFor(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5)) = 0;
};

struct FakeServerTls {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;  // non-empty: require a client certificate signed by it
};

class FakeApiServer {
 public:
  using Handler = std::function<void(FakeExchange&)>;

  explicit FakeApiServer(Handler handler, const FakeServerTls* tls = nullptr);
  ~FakeApiServer();
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  uint16_t port() const { return port_; }
  // A client config for this server: http(s)://127.0.0.1:port, no credentials.
  ClientConfig Config() const;

  // Stops listening and drops every connection: clients see "connection refused".
  void Pause();
  // Listens again on the same port.
  void Resume();

  std::vector<FakeRequest> requests() const;
  int connections() const { return connection_count_.load(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  std::atomic<int> connection_count_{0};
};

}  // namespace quotient::extender::kube::testing
