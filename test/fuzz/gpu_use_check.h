// Shared by the GPU fuzz targets: whether two nodes' per-GPU use is the same in every field
// (who holds whole GPUs, memory shares and sharers, MIG slices, media engines, instances
// per profile), to check that recording and releasing placements gives the use back.
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

}  // namespace quotient::fuzz
