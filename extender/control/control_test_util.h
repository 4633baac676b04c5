// Test doubles for the controllers and deciders: a fake PodBinder and a helper that runs a
// coroutine to completion. Includes the state builders (state_test_util.h).
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <string>
#include <vector>

#include "extender/control/pod_binder.h"
#include "extender/state/state_test_util.h"

namespace quotient::extender::state::testing {

// Records calls; answers with `bind_outcome` and the pods in `pods`.
class FakeBinder : public PodBinder {
 public:
  boost::asio::awaitable<ApiOutcome> Bind(const BindingArgs& args) override {
    bound.push_back(args.pod_namespace + "/" + args.pod_name + "@" + args.node);
    co_return bind_outcome;
  }
  boost::asio::awaitable<ApiOutcome> GetPod(const std::string& ns, const std::string& name,
                                            PodInfo* out) override {
    ++gets;
    for (const PodInfo& pod : pods) {
      if (pod.ns == ns && pod.name == name) {
        *out = pod;
        co_return ApiOutcome{};
      }
    }
    co_return ApiOutcome{ApiOutcome::Kind::kRefused, 404, "pods \"" + name + "\" not found"};
  }
  ApiOutcome bind_outcome;
  std::vector<PodInfo> pods;
  std::vector<std::string> bound;
  int gets = 0;
};

// Runs an awaitable to completion on a private io_context.
template <typename T>
T RunAwaitable(boost::asio::awaitable<T> awaitable) {
  boost::asio::io_context ioc;
  auto future = boost::asio::co_spawn(ioc, std::move(awaitable), boost::asio::use_future);
  ioc.run();
  return future.get();
}

}  // namespace quotient::extender::state::testing
