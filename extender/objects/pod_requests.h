// Effective pod resource requests, computed as kube-scheduler does
// (k8s.io/component-helpers/resource.PodRequests, used by NodeResourcesFit):
//
//   requests = Σ containers
//   for each init container, in order:
//     restartable (sidecar, restartPolicy: Always): requests += it; sidecars += it;
//                                                  peak = max(peak, sidecars)
//     regular:                                     peak = max(peak, it + sidecars)
//   requests = max(requests, peak) per resource
//   cpu, memory and hugepages from pod-level spec.resources.requests (defaulted from its
//   limits) replace the result when set (PodLevelResources, on by default since 1.34)
//   requests += spec.overhead
//
// A container resource with a limit but no request counts its limit, as API-server
// defaulting does before the scheduler ever sees the pod.
//
// Thread safety: pure functions.
#pragma once

#include <vector>

#include "quota/resource_list.h"

namespace quotient::extender {

struct ContainerResources {
  quota::ResourceList requests;
  quota::ResourceList limits;
  bool restartable = false;  // init container with restartPolicy: Always (a sidecar)
};

struct PodResourceSpec {
  std::vector<ContainerResources> containers;
  std::vector<ContainerResources> init_containers;
  quota::ResourceList overhead;
  quota::ResourceList pod_level_requests;  // spec.resources.requests
  quota::ResourceList pod_level_limits;    // spec.resources.limits
};

// The pod's effective requests (without the implicit "pods": 1).
quota::ResourceList ComputePodRequests(const PodResourceSpec& spec);

}  // namespace quotient::extender
