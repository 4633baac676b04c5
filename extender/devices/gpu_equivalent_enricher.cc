#include "extender/devices/gpu_equivalent_enricher.h"

#include <string>
#include <utility>

#include "gpu/gpu_request.h"
#include "quota/dcheck.h"

namespace quotient::extender::state {

GpuEquivalentEnricher::GpuEquivalentEnricher(const gpu::MigCatalog* catalog,
                                             gpu::EquivalentOptions options)
    : catalog_(catalog), options_(std::move(options)) {}

void GpuEquivalentEnricher::Enrich(PodInfo* pod) const {
  QUOTIENT_DCHECK(pod != nullptr);
  gpu::GpuRequest request;
  std::string error;
  if (!gpu::ParseGpuRequest(pod->requests, pod->labels, pod->annotations, *catalog_, &request,
                            &error) ||
      request.kind == gpu::GpuRequestKind::kNone) {
    return;
  }
  const int64_t milli = gpu::GpuEquivalentMilliUnplaced(request, *catalog_, options_);
  if (milli > 0) pod->requests.Set(gpu::kResourceGpuMilli, milli);
}

}  // namespace quotient::extender::state
