#include "extender/objects/pod_requests.h"

namespace quotient::extender {
namespace {

// Requests with API-server defaulting applied: a limit without a request is the request.
quota::ResourceList EffectiveRequests(const ContainerResources& c) {
  quota::ResourceList out = c.requests;
  for (const auto& limit : c.limits) {
    if (!out.Has(limit.name)) out.Set(limit.name, limit.amount);
  }
  return out;
}

// Pod-level resources (KEP-2837) cover cpu, memory and hugepages-<size>.
bool IsPodLevelResource(std::string_view name) {
  return name == quota::kResourceCpu || name == quota::kResourceMemory ||
         name.starts_with("hugepages-");
}

}  // namespace

quota::ResourceList ComputePodRequests(const PodResourceSpec& spec) {
  quota::ResourceList requests;
  for (const auto& c : spec.containers) requests.AddAll(EffectiveRequests(c));

  quota::ResourceList sidecars;  // running restartable init containers so far
  quota::ResourceList init_peak;
  for (const auto& c : spec.init_containers) {
    quota::ResourceList own = EffectiveRequests(c);
    if (c.restartable) {
      requests.AddAll(own);
      sidecars.AddAll(own);
      init_peak.MaxWith(sidecars);
    } else {
      own.AddAll(sidecars);
      init_peak.MaxWith(own);
    }
  }
  requests.MaxWith(init_peak);

  // Pod-level requests default from pod-level limits, as the API server does.
  quota::ResourceList pod_level = spec.pod_level_requests;
  for (const auto& limit : spec.pod_level_limits) {
    if (!pod_level.Has(limit.name)) pod_level.Set(limit.name, limit.amount);
  }
  for (const auto& r : pod_level) {
    if (IsPodLevelResource(r.name)) requests.Set(r.name, r.amount);
  }

  requests.AddAll(spec.overhead);
  return requests;
}

}  // namespace quotient::extender
