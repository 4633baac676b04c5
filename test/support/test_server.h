// An in-process Quotient server for integration tests, wired like extender/service/serve.cc:
// io_context + metrics::Registry + ServerMetrics + Readiness + PassThroughDecider (or the
// config's decider) + Router + HttpServer, with the io_context run by two threads.
//
// Listeners bind 127.0.0.1 port 0 by default; port(i) gives the bound port of listener i.
// The destructor shuts the server down (unless a test already did) and joins the threads.
//
// Thread safety: construct, query and destroy from the test thread; the accessors
// (registry, metrics, readiness) are thread-safe like the objects they return.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "extender/http/http_server.h"
#include "extender/http/readiness.h"
#include "extender/http/router.h"
#include "extender/http/server_metrics.h"
#include "extender/telemetry/metrics.h"
#include "extender/wire/decider.h"

namespace quotient::test {

// One plain webhook listener on 127.0.0.1:0 and the server's default limits.
extender::HttpServerOptions DefaultHttpOptions();

struct TestServerConfig {
  extender::HttpServerOptions http = DefaultHttpOptions();
  std::string url_prefix;
  bool mark_ready = true;  // serve.cc marks the server ready once it is listening
  // The decider the router calls; null: a PassThroughDecider. Must outlive the server.
  extender::Decider* decider = nullptr;
};

class TestServer {
 public:
  explicit TestServer(TestServerConfig config = {});
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // Whether Start() succeeded; error() says why not.
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

  uint16_t port(size_t listener = 0) const { return ports_.at(listener); }
  extender::metrics::Registry& registry() { return registry_; }
  extender::ServerMetrics& metrics() { return metrics_; }
  extender::Readiness& readiness() { return readiness_; }

  // The current value of one series of the registry's exposition, e.g.
  // `quotient_http_requests_total{route="filter",code="200"}`; nullopt if absent.
  std::optional<double> Metric(std::string_view series) const;

  // Begins HttpServer::Shutdown (at most once per server).
  void Shutdown(std::chrono::milliseconds grace);
  // Waits up to `limit` for the shutdown's `done` callback; true if it ran.
  bool WaitShutdownDone(std::chrono::milliseconds limit);

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

  boost::asio::io_context ioc_{2};
  std::optional<WorkGuard> work_;
  extender::metrics::Registry registry_;
  extender::ServerMetrics metrics_{&registry_};
  extender::Readiness readiness_;
  extender::PassThroughDecider decider_;
  extender::Router router_;
  extender::HttpServer server_;
  std::vector<std::thread> threads_;
  std::vector<uint16_t> ports_;
  bool ok_ = false;
  std::string error_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool shutdown_started_ = false;  // guarded by mu_
  bool shutdown_done_ = false;     // guarded by mu_
};

// The value of `series` (name plus exact label set, as rendered) in an exposition text.
std::optional<double> FindMetric(std::string_view exposition, std::string_view series);

// Polls `condition` every few milliseconds until it holds or `limit` passes.
template <class Condition>
bool WaitFor(Condition condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// The bytes of a file in test/golden (QUOTIENT_GOLDEN_DIR); fails the test if unreadable.
std::string ReadGolden(std::string_view name);

}  // namespace quotient::test
