// GPU equivalents: one quota unit that can govern whole GPUs, MIG devices, fractions and
// GPU memory shares together (docs/gpu.md, "Quota").
//
// The resource is `quotient.io/gpu-milli`, counted in thousandths of a GPU (quota YAML:
// `quotient.io/gpu-milli: 4000` is four GPUs). A pod's equivalent:
//   N whole GPUs                     1000 x N
//   a fraction f                     1000 x f (0.5 -> 500)
//   N MIG devices of profile p       N x ceil(1000 x p's compute slices / the model's)
//                                    (3g.20gb on an A100-40GB: 3/7 -> 429), or the value
//                                    of an override table entry for p
//   M memory units (gpushare)        ceil(1000 x M x unit / the GPU's memory), when the
//                                    GPU memory is known
// The charge is computed before a node is chosen, so the MIG profile's model is the first
// catalog model with that profile name, and memory shares use `memory_mib_hint` (0: not
// charged). Pods are charged only when the quota tree names the resource.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gpu/gpu_request.h"
#include "gpu/mig_catalog.h"

namespace quotient::gpu {

inline constexpr std::string_view kResourceGpuMilli = "quotient.io/gpu-milli";

struct EquivalentOptions {
  std::vector<std::pair<std::string, int64_t>> profile_milli;  // overrides: {"3g.20gb", 500}
  int64_t share_unit_mib = 1024;
  int64_t memory_mib_hint = 0;  // per-GPU memory for gpushare requests; 0: not charged
};

// The pod's charge in quotient.io/gpu-milli; 0 for a pod without GPUs.
int64_t GpuEquivalentMilli(const GpuRequest& request, const MigCatalog& catalog,
                           const EquivalentOptions& options);

// The charge before a node is chosen (admission, watch records, simulate): gpushare
// memory is a part of the model the pod names (request.catalog_model), else not charged;
// options.memory_mib_hint is ignored.
int64_t GpuEquivalentMilliUnplaced(const GpuRequest& request, const MigCatalog& catalog,
                                   EquivalentOptions options);

}  // namespace quotient::gpu
