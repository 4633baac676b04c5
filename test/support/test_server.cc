#include "test/support/test_server.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace quotient::test {

namespace {

// How long the destructor lets connections drain; tests close their clients first.
constexpr auto kDestructorGrace = std::chrono::milliseconds(500);
constexpr auto kDestructorWait = std::chrono::seconds(10);

}  // namespace

extender::HttpServerOptions DefaultHttpOptions() {
  extender::HttpServerOptions options;
  extender::ListenerOptions listener;
  listener.host = "127.0.0.1";
  listener.port = 0;
  options.listeners.push_back(listener);
  return options;
}

TestServer::TestServer(TestServerConfig config)
    : router_(config.url_prefix, config.decider != nullptr ? config.decider : &decider_, &metrics_,
              &registry_, &readiness_),
      server_(ioc_, std::move(config.http), &router_, &metrics_) {
  ok_ = server_.Start(&error_);
  if (!ok_) return;
  ports_ = server_.BoundPorts();
  if (config.mark_ready) readiness_.Set(true, "serving");
  work_.emplace(ioc_.get_executor());
  for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { ioc_.run(); });
}

TestServer::~TestServer() {
  if (!threads_.empty()) {
    Shutdown(kDestructorGrace);
    if (!WaitShutdownDone(kDestructorWait)) {
      ADD_FAILURE() << "server shutdown did not complete";
      ioc_.stop();
    }
    // With the guard gone, run() returns once the last session has finished.
    work_.reset();
    for (auto& thread : threads_) thread.join();
  }
}

std::optional<double> TestServer::Metric(std::string_view series) const {
  return FindMetric(registry_.Render(), series);
}

void TestServer::Shutdown(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(mu_);
    if (shutdown_started_) return;
    shutdown_started_ = true;
  }
  server_.Shutdown(grace, [this] {
    std::lock_guard lock(mu_);
    shutdown_done_ = true;
    cv_.notify_all();
  });
}

bool TestServer::WaitShutdownDone(std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [this] { return shutdown_done_; });
}

std::optional<double> FindMetric(std::string_view exposition, std::string_view series) {
  size_t pos = 0;
  while (pos < exposition.size()) {
    size_t end = exposition.find('\n', pos);
    if (end == std::string_view::npos) end = exposition.size();
    std::string_view line = exposition.substr(pos, end - pos);
    pos = end + 1;
    if (line.size() <= series.size() || line.substr(0, series.size()) != series ||
        line[series.size()] != ' ') {
      continue;
    }
    std::string value(line.substr(series.size() + 1));
    std::istringstream in(value);
    double parsed = 0;
    if (in >> parsed) return parsed;
    return std::nullopt;
  }
  return std::nullopt;
}

std::string ReadGolden(std::string_view name) {
  std::string path = std::string(QUOTIENT_GOLDEN_DIR) + "/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read golden file " << path;
    return {};
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace quotient::test
