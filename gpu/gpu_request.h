// What a pod asks of GPUs, read from its requests, labels and annotations:
//   nvidia.com/gpu: N                 whole GPUs                              (kWhole)
//   aliyun.com/gpu-mem: M             M memory units on ONE GPU (gpushare)    (kMemory)
//   nvidia.com/mig-<profile>: N       N MIG devices of that profile           (kMig)
//   a fraction 1.0 / 0.5 / 0.25       label `required-resources` (ClearML) or (kFraction)
//                                     annotation `quotient.io/gpu-fraction`; served by the
//                                     node model's MIG profile for that fraction. With a
//                                     nvidia.com/mig-* request as well, the MIG request wins.
//   a GPU model                       label or annotation `quotient.io/gpu-model`
//                                     ("T4", "A100-40GB"): only nodes of that model fit.
// A pod mixing whole GPUs, memory shares and MIG devices is refused: no device plugin
// serves such a pod.
//
// Thread safety: pure functions; GpuRequest is a value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gpu/inventory.h"
#include "gpu/mig_catalog.h"
#include "quota/resource_list.h"

namespace quotient::gpu {

inline constexpr std::string_view kFractionLabel = "required-resources";
inline constexpr std::string_view kFractionAnnotation = "quotient.io/gpu-fraction";
inline constexpr std::string_view kModelKey = "quotient.io/gpu-model";

enum class GpuRequestKind { kNone, kWhole, kMemory, kMig, kFraction };
std::string_view GpuRequestKindName(GpuRequestKind kind);

struct GpuRequest {
  GpuRequestKind kind = GpuRequestKind::kNone;
  int64_t count = 0;                        // whole GPUs, or MIG devices
  int64_t share_units = 0;                  // kMemory: aliyun.com/gpu-mem units
  std::string profile;                      // kMig: "3g.20gb" (resource spelling, '.me' allowed)
  int fraction_milli = 0;                   // kFraction: 1000, 500, 250
  std::string model;                        // wanted model as written; empty: any
  std::string model_canonical;              // CanonicalModelName(model)
  const GpuModel* catalog_model = nullptr;  // the catalog's model of `model`, if known

  bool any() const { return kind != GpuRequestKind::kNone || !model.empty(); }
};

// Reads the GPU request of a pod. On a malformed or contradictory request returns false
// with *error ("gpu fraction \"0.3x\" is not a number between 0 and 1"); *out is then
// unspecified. `catalog` resolves the model name. REQUIRES: out and error non-null.
bool ParseGpuRequest(const quota::ResourceList& requests, const StringPairs& labels,
                     const StringPairs& annotations, const MigCatalog& catalog, GpuRequest* out,
                     std::string* error);

// Parses "0.5", "1", "1.0", ".25", "50%" into thousandths (500). False when not in (0, 1].
bool ParseFraction(std::string_view text, int* milli);

// "0.5", "1", "0.25": thousandths as a short decimal.
std::string FormatFraction(int milli);

}  // namespace quotient::gpu
