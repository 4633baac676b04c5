// A deterministic measurement of dynamic-MIG fragmentation: a pseudo-random stream of MIG
// arrivals and departures (departures in random order, so instances are freed out of
// order) on one node of A100-40GB GPUs, placed under a MigPolicy. Used by the tests and by
// bench_gpu to compare policies; the numbers are quoted in docs/gpu.md.
//
// Thread safety: pure function.
#pragma once

#include <cstdint>

#include "gpu/placement.h"

namespace quotient::gpu {

struct MigChurn {
  int64_t requests = 0;
  int64_t placed = 0;
  // Refused although some GPU had at least the profile's memory slices free and was
  // below the profile's instance limit: refusals caused by where earlier instances sit.
  int64_t refused_with_room = 0;
  int64_t refused_full = 0;  // refused with no GPU having that many free slices
  // Mean over arrivals of NodeFragmentation() after it.
  double mean_fragmentation = 0;
};

// `events` arrivals, one per event, each staying 1..6 x gpus events (drawn at arrival,
// so every policy sees the same stream); profiles 1g.5gb 30%, 1g.10gb 10%, 2g.10gb 25%,
// 3g.20gb 20%, 4g.20gb 10%, 7g.40gb 5%.
MigChurn RunMigChurn(MigPolicy policy, int gpus, int events, uint64_t seed);

// Fragmentation of a node's partitionable GPUs: 1 - (sum over its mig-dynamic GPUs of the
// memory slices of the largest profile still placeable on each) / (their free memory
// slices). 0 when every free slice can go to one instance per GPU (an empty GPU counts as
// fully usable), 1 when no free slice can be used; 0 with no free slice.
double NodeFragmentation(const NodeGpus& node);

}  // namespace quotient::gpu
