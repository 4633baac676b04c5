// GpuEquivalentEnricher: the live GPU-equivalent charge. Every pod with a GPU request
// (gpu/gpu_request.h) also requests `quotient.io/gpu-milli`, its GPU equivalent in
// thousandths of a GPU (gpu/equivalent.h: N whole GPUs 1000 x N, a fraction f 1000 x f,
// a MIG device ceil(1000 x compute slices / the model's) or the configured override, a
// memory share its part of the named model's memory). The charge counts only in quotas
// whose tree names the resource (QuotaTree::ToSparse drops the others), so it is added
// whatever the tree says: a reload that starts naming it finds every pod already charged.
//
// A pod that writes `quotient.io/gpu-milli` in its own requests and asks for no GPU keeps
// its value; with a GPU request the computed equivalent replaces it. A malformed GPU
// request adds nothing (the GPU decider refuses the pod with the reason).
//
// Thread safety: immutable after construction; Enrich is thread-safe.
#pragma once

#include "extender/objects/pod_enricher.h"
#include "gpu/equivalent.h"
#include "gpu/mig_catalog.h"

namespace quotient::extender::state {

class GpuEquivalentEnricher : public PodEnricher {
 public:
  // REQUIRES: catalog outlives the enricher. `options.memory_mib_hint` is ignored (the
  // pod's named model gives it).
  GpuEquivalentEnricher(const gpu::MigCatalog* catalog, gpu::EquivalentOptions options);

  void Enrich(PodInfo* pod) const override;

 private:
  const gpu::MigCatalog* const catalog_;
  const gpu::EquivalentOptions options_;
};

}  // namespace quotient::extender::state
