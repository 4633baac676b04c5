// PodEnricher: adds to a decoded pod's requests what Quotient derives from the pod itself,
// before any decision or record sees it. Today one rule, the GPU equivalent
// (`quotient.io/gpu-milli`, gpu/equivalent.h; state::GpuEquivalentEnricher), so that one
// quota can govern whole GPUs, MIG devices, fractions and memory shares together.
//
// Applied at every place a pod is decoded for a decision, so all of them agree on its
// charge: the webhook arguments (Router), the pod watch (state::PodSink) and the bind
// path's read of a pod Quotient has not seen (state::QuotaDecider).
//
// Derived resources are quota charges only: no node advertises them and kube-scheduler
// never sees them (they are not in the pod's spec), so node fit, node holds and the node
// room of reclaim and preemption skip them (IsDerivedResource).
//
// Thread safety: implementations must be thread-safe (called from every io thread).
#pragma once

#include <string_view>

#include "extender/objects/pod.h"
#include "gpu/equivalent.h"

namespace quotient::extender {

class PodEnricher {
 public:
  virtual ~PodEnricher() = default;
  // Adds the derived requests to pod->requests (and only there). REQUIRES: pod non-null.
  virtual void Enrich(PodInfo* pod) const = 0;
};

// Whether `resource` is one Quotient derives (never counted on a node).
inline bool IsDerivedResource(std::string_view resource) {
  return resource == gpu::kResourceGpuMilli;
}

}  // namespace quotient::extender
