// Builders for the state tests: pods, nodes and a fake PodBinder.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <string>
#include <vector>

#include "extender/pod.h"
#include "extender/state/node_decode.h"
#include "extender/state/pod_binder.h"

namespace quotient::extender::state::testing {

inline PodInfo MakePod(std::string uid, std::string ns, int64_t cores, std::string node = "",
                       int64_t gpus = 0) {
  PodInfo pod;
  pod.uid = uid;
  pod.name = "pod-" + uid;
  pod.ns = std::move(ns);
  pod.node_name = std::move(node);
  pod.phase = "Pending";
  pod.requests = quota::ResourceList{{"cpu", cores * 1000}, {"pods", 1}};
  if (gpus > 0) pod.requests.Set("nvidia.com/gpu", gpus);
  return pod;
}

inline NodeInfo MakeNode(std::string name, int64_t cores, int64_t gpus = 0,
                         StringPairs labels = {}) {
  NodeInfo node;
  node.name = std::move(name);
  node.allocatable = quota::ResourceList{{"cpu", cores * 1000}, {"pods", 110}};
  if (gpus > 0) node.allocatable.Set("nvidia.com/gpu", gpus);
  node.labels = std::move(labels);
  return node;
}

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
