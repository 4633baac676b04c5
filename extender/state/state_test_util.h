// Builders for the state tests: pods and nodes.
#pragma once

#include <string>
#include <vector>

#include "extender/objects/node_decode.h"
#include "extender/objects/pod.h"

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

}  // namespace quotient::extender::state::testing
