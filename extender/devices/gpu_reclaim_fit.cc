#include "extender/devices/gpu_reclaim_fit.h"

#include <utility>

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
                              const std::vector<std::string_view>& holders) const {
  gpu::GpuRequest request;
  if (!state_->FindRequest(uid, &request) || !request.any()) return false;
  // Read before the node's lock is taken (FindRequest takes GpuState's lock itself).
  std::vector<std::pair<std::string_view, gpu::GpuRequest>> held;
  for (std::string_view holder : holders) {
    gpu::GpuRequest holder_request;
    if (holder != uid && state_->FindRequest(holder, &holder_request) && holder_request.any()) {
      held.emplace_back(holder, std::move(holder_request));
    }
  }
  return Fits(request, node, leaving, held);
}

bool GpuReclaimFit::RequestFitsAfter(const gpu::GpuRequest& request, std::string_view node,
                                     const std::vector<std::string_view>& leaving) const {
  return Fits(request, node, leaving, {});
}

bool GpuReclaimFit::Fits(
    const gpu::GpuRequest& request, std::string_view node,
    const std::vector<std::string_view>& leaving,
    const std::vector<std::pair<std::string_view, gpu::GpuRequest>>& held) const {
  return state_->Read([&](auto lookup) {
    const gpu::NodeGpus* gpus = lookup(node);
    if (gpus == nullptr) return false;
    gpu::NodeGpus after = *gpus;
    after.ReleaseAll(leaving);
    for (const auto& [holder, holder_request] : held) {
      // A holder whose request no longer fits here takes nothing: its room is elsewhere,
      // or its plan is stale and will be made again.
      const gpu::GpuFit fit = gpu::FitGpuRequest(after, holder_request, options_);
      if (fit.fits()) (void)after.Assign(holder, fit.assignment);
    }
    return gpu::FitGpuRequest(after, request, options_).fits();
  });
}

}  // namespace quotient::extender::state
