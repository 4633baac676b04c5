#include "gpu/equivalent.h"

#include <limits>

namespace quotient::gpu {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) {
  return b <= 0 ? 0 : a / b + (a % b != 0 ? 1 : 0);
}

// a x b for a, b >= 0, saturated at the int64 maximum: counts come from pods, and a quota
// refuses a saturated charge like any other too large one.
int64_t Mul(int64_t a, int64_t b) {
  int64_t out = 0;
  if (a < 0 || b < 0) return 0;
  return __builtin_mul_overflow(a, b, &out) ? std::numeric_limits<int64_t>::max() : out;
}

// Profile names compare with '+' and '.' alike (the resource spelling of "+me").
bool SameProfile(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && !((a[i] == '+' || a[i] == '.') && (b[i] == '+' || b[i] == '.'))) {
      return false;
    }
  }
  return true;
}

}  // namespace

int64_t GpuEquivalentMilli(const GpuRequest& request, const MigCatalog& catalog,
                           const EquivalentOptions& options) {
  switch (request.kind) {
    case GpuRequestKind::kNone: return 0;
    case GpuRequestKind::kWhole: return Mul(1000, request.count);
    case GpuRequestKind::kFraction: return Mul(request.fraction_milli, request.count);
    case GpuRequestKind::kMemory:
      return CeilDiv(Mul(Mul(1000, request.share_units), options.share_unit_mib),
                     options.memory_mib_hint);
    case GpuRequestKind::kMig: {
      for (const auto& [name, milli] : options.profile_milli) {
        if (SameProfile(name, request.profile)) return Mul(milli, request.count);
      }
      for (const GpuModel& model : catalog.models()) {
        const int p = model.FindProfile(request.profile);
        if (p < 0) continue;
        return Mul(request.count,
                   CeilDiv(1000 * model.profiles[static_cast<size_t>(p)].compute_slices,
                           model.compute_slices));
      }
      return request.fraction_milli > 0 ? Mul(request.fraction_milli, request.count) : 0;
    }
  }
  return 0;
}

int64_t GpuEquivalentMilliUnplaced(const GpuRequest& request, const MigCatalog& catalog,
                                   EquivalentOptions options) {
  options.memory_mib_hint =
      request.catalog_model != nullptr ? request.catalog_model->memory_mib : 0;
  return GpuEquivalentMilli(request, catalog, options);
}

}  // namespace quotient::gpu
