// Test helpers for the GPU state: a gpushare node and pods on it.
#pragma once

#include <string>

#include "extender/objects/node_decode.h"
#include "extender/objects/pod.h"

namespace quotient::extender::state::testing {

// A gpushare node: 2 GPUs of 8 memory units each.
inline NodeInfo SharedNode(const std::string& name) {
  NodeInfo node;
  node.name = name;
  node.allocatable = {{"aliyun.com/gpu-mem", 16}, {"aliyun.com/gpu-count", 2}};
  return node;
}

// Pod `name` (UID "uid-<name>", namespace "a") asking for `units` of GPU memory, placed by
// gpushare's index annotation on GPU `gpu` of `node` ("" = pending).
inline PodInfo SharePod(const std::string& name, const std::string& node, int gpu, int64_t units) {
  PodInfo pod;
  pod.name = name;
  pod.ns = "a";
  pod.uid = "uid-" + name;
  pod.node_name = node;
  pod.requests = {{"aliyun.com/gpu-mem", units}};
  pod.annotations = {{"ALIYUN_COM_GPU_MEM_IDX", std::to_string(gpu)}};
  return pod;
}

}  // namespace quotient::extender::state::testing
