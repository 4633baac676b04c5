// The GPU views an operator of a GPU pool needs (utilisation, fragmentation, pending GPU pods),
// computed at scrape time from GpuState (docs/metrics.md, "GPU"):
//   quotient_gpu_node_gpus{node,model,mode}          GPUs per node and mode
//   quotient_gpu_node_gpus_allocated{node}           GPUs holding a pod (whole, share, MIG)
//   quotient_gpu_node_memory_bytes{node}             GPU memory of the node's usable GPUs
//   quotient_gpu_node_memory_allocated_bytes{node}   held by whole GPUs, shares, instances
//   quotient_gpu_node_mig_slices{node,state}         memory slices of MIG GPUs: total, used
//   quotient_gpu_cluster_nodes{state}                GPU nodes: total, allocated, unhealthy
//   quotient_gpu_cluster_gpus{state}                 GPUs: total, allocated, unhealthy
//   quotient_gpu_cluster_memory_bytes{state}         GPU memory: total, allocated
//
// Thread safety: the collectors run on the scrape thread and read GpuState under its lock.
#pragma once

#include "extender/devices/gpu_state.h"
#include "extender/telemetry/metrics.h"

namespace quotient::extender::state {

// REQUIRES: `state` outlives the registry's scrapes.
void RegisterGpuMetrics(metrics::Registry* registry, const GpuState* state);

// One node's numbers (exposed for tests).
struct GpuNodeUsage {
  int64_t gpus = 0;
  int64_t allocated = 0;
  int64_t unhealthy = 0;
  int64_t memory_bytes = 0;
  int64_t memory_allocated_bytes = 0;
  int64_t mig_slices = 0;
  int64_t mig_slices_used = 0;
};
GpuNodeUsage NodeUsage(const gpu::NodeGpus& node);

}  // namespace quotient::extender::state
