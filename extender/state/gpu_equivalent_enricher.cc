#include "extender/state/gpu_equivalent_enricher.h"

#include <string>
#include <utility>

#include "gpu/gpu_request.h"

namespace quotient::extender::state {

GpuEquivalentEnricher::GpuEquivalentEnricher(const gpu::MigCatalog* catalog,
                                             gpu::EquivalentOptions options)
    : catalog_(catalog), options_(std::move(options)) {}

void GpuEquivalentEnricher::Enrich(PodInfo* pod) const {
  gpu::GpuRequest request;
  std::string error;
  if (!gpu::ParseGpuRequest(pod->requests, pod->labels, pod->annotations, *catalog_, &request,
                            &error) ||
      request.kind == gpu::GpuRequestKind::kNone) {
    return;
  }
  gpu::EquivalentOptions options = options_;
  // Before a node is chosen, gpushare memory is a part of the model the pod names (if any).
  options.memory_mib_hint =
      request.catalog_model != nullptr ? request.catalog_model->memory_mib : 0;
  const int64_t milli = gpu::GpuEquivalentMilli(request, *catalog_, options);
  if (milli > 0) pod->requests.Set(gpu::kResourceGpuMilli, milli);
}

}  // namespace quotient::extender::state
