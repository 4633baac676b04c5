// Test-only helpers for the Kubernetes client tests: an io_context on its own thread,
// running a coroutine to completion from the test thread, and waiting for a condition
// with a deadline (never a fixed sleep).
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace quotient::extender::kube::testing {

// An io_context run by `threads` threads (more than one, as `quotient serve` runs it,
// exercises the strands).
class IoThread {
 public:
  explicit IoThread(int threads = 1) : guard_(ioc_.get_executor()) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }
  ~IoThread() {
    guard_.reset();
    ioc_.stop();
    for (auto& thread : threads_) thread.join();
  }
  boost::asio::io_context& ioc() { return ioc_; }

 private:
  boost::asio::io_context ioc_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
  std::vector<std::thread> threads_;
};

// Runs `task` on `ioc` and waits for its result. A hang is a test failure that aborts:
// the coroutine could still touch the test's objects.
template <class T>
T Await(boost::asio::io_context& ioc, boost::asio::awaitable<T> task,
        std::chrono::seconds limit = std::chrono::seconds(10)) {
  std::future<T> result = boost::asio::co_spawn(ioc, std::move(task), boost::asio::use_future);
  if (result.wait_for(limit) != std::future_status::ready) {
    std::fprintf(stderr, "FATAL: coroutine did not finish within %llds\n",
                 static_cast<long long>(limit.count()));
    std::abort();
  }
  return result.get();
}

// Names a parameterised test after its case's `name` sentence ("a missing context" ->
// "a_missing_context").
struct SentenceName {
  template <class Param>
  std::string operator()(const ::testing::TestParamInfo<Param>& info) const {
    std::string name = info.param.name;
    for (char& ch : name) {
      if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    }
    return name;
  }
};

// Polls `pred` every millisecond until it holds or `timeout` passes.
inline bool Eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace quotient::extender::kube::testing
