#include "extender/devices/gpu_reclaim_fit.h"

#include "gpu/node_gpus.h"

namespace quotient::extender::state {

bool GpuReclaimFit::Applies(std::string_view uid) const {
  gpu::GpuRequest request;
  return state_->FindRequest(uid, &request) && request.any();
}

bool GpuReclaimFit::DecidesResource(std::string_view resource) const {
  return resource.starts_with("nvidia.com/mig-");
}

bool GpuReclaimFit::FitsAfter(std::string_view uid, std::string_view node,
                              const std::vector<std::string_view>& leaving,
                              const std::vector<std::string_view>& /*holders*/) const {
  gpu::GpuRequest request;
  if (!state_->FindRequest(uid, &request) || !request.any()) return false;
  return RequestFitsAfter(request, node, leaving);
}

bool GpuReclaimFit::RequestFitsAfter(const gpu::GpuRequest& request, std::string_view node,
                                     const std::vector<std::string_view>& leaving) const {
  return state_->Read([&](auto lookup) {
    const gpu::NodeGpus* gpus = lookup(node);
    if (gpus == nullptr) return false;
    gpu::NodeGpus after = *gpus;
    after.ReleaseAll(leaving);
    return gpu::FitGpuRequest(after, request, options_).fits();
  });
}

}  // namespace quotient::extender::state
