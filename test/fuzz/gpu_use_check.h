// Shared by the GPU fuzz targets. NodeGpus keeps its per-GPU use two ways: Assign adds an
// assignment to it in place, Release and SetInventory recompute it from the inventory and
// every assignment. UseMatchesRecomputed checks that the two agree in every field (whole
// GPUs, memory shares and sharers, MIG slices, media engines, instances per profile),
// i.e. that what Assign counted is what a later recount gives.
#pragma once

#include <cstddef>
#include <vector>

#include "gpu/node_gpus.h"

namespace quotient::fuzz {

inline bool SameUse(const std::vector<gpu::GpuUse>& a, const std::vector<gpu::GpuUse>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].whole != b[i].whole || a[i].share_used != b[i].share_used ||
        a[i].sharers != b[i].sharers || a[i].mask != b[i].mask || a[i].media != b[i].media ||
        a[i].instances != b[i].instances || a[i].count != b[i].count) {
      return false;
    }
  }
  return true;
}

// REQUIRES: every Assign of `node` returned true (an overlapping one is counted anyway, in
// an order a recount need not follow).
inline bool UseMatchesRecomputed(const gpu::NodeGpus& node) {
  gpu::NodeGpus recounted = node;
  recounted.SetInventory(node.inventory());
  return SameUse(node.use(), recounted.use());
}

}  // namespace quotient::fuzz
