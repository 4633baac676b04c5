// The GPU half of `quotient simulate` (docs/gpu.md, "Simulate"): what the GPU decider does
// live, on the simulator's nodes and pods.
//
//  - A scenario node's capacity and labels are its allocatable and labels as the cluster
//    would show them (nvidia.com/gpu, nvidia.com/mig-*, aliyun.com/gpu-mem,
//    aliyun.com/gpu-count; GFD labels, gpu-type, the dynamic-MIG label); its GPU inventory
//    is built from them with the built-in catalog.
//  - Resources the extender manages with `ignoredByScheduler: true` (every MIG profile of
//    a mig-dynamic node's model, quotient.io/gpu-milli) get a node-level allocatable that
//    never binds on its own (the instance limit x GPUs; 8000 x GPUs), so the simulator's
//    resource fit, like kube-scheduler's, leaves the decision to the device-level check.
//  - A pod's GPU request comes from its requests, labels and annotations; when the quota
//    tree names quotient.io/gpu-milli, the pod also requests its GPU equivalent.
//
// Thread safety: thread-compatible, like the Simulator.
#pragma once

#include <cstdint>
#include <string>

#include "config/scenario.h"
#include "gpu/gpu_request.h"
#include "gpu/node_gpus.h"
#include "gpu/placement.h"
#include "quota/quota_tree.h"
#include "quota/resource_list.h"

namespace quotient::extender::simulate {

// The node's GPUs; adds the managed resources' allocatable to *allocatable.
gpu::NodeGpus SimNodeGpus(const config::ScenarioNode& node, quota::ResourceList* allocatable);

// Parses the pod's GPU request and, when `tree` names quotient.io/gpu-milli, adds the
// equivalent to *requests. On a malformed request returns false with *error.
bool SimPodGpuRequest(const config::CreateAction& spec, const quota::QuotaTree& tree,
                      gpu::GpuRequest* request, quota::ResourceList* requests, std::string* error);

}  // namespace quotient::extender::simulate
