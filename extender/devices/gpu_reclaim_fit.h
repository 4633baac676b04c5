// GpuReclaimFit: the device-level check of reclaim plans (reclaim_planner.h) over
// GpuState. A plan that frees resources on a node is kept only if the reclaiming pod's
// GPU request fits that node once the victims (and the pods already leaving) are gone:
// on a copy of the node's placements with theirs released, gpu::FitGpuRequest decides
// which GPU's memory or which MIG slices would take it. The pods already holding room on
// the node for their own reclaim are served first, in the order given, so that two
// reclaims never count on the same freed GPU. MIG device resources are decided here, not
// counted: a partitionable node advertises none before they exist.
//
// Cost per call: one copy of the node's placements (its GPUs and the pods on them) and
// one fit per holder and for the pod, under GpuState's shared lock.
//
// Thread safety: thread-safe (GpuState's lock). Lock order: the planner calls it under
// ClusterState's shared lock, then takes GpuState's; GpuState never calls ClusterState.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "extender/control/reclaim_planner.h"
#include "extender/devices/gpu_state.h"
#include "gpu/placement.h"

namespace quotient::extender::state {

class GpuReclaimFit : public DeviceFitCheck {
 public:
  // REQUIRES: state outlives this object.
  explicit GpuReclaimFit(const GpuState* state, gpu::FitOptions options = {})
      : state_(state), options_(options) {}

  // Pods whose GPU request GpuState knows.
  bool Applies(std::string_view uid) const override;
  // nvidia.com/mig-<profile>.
  bool DecidesResource(std::string_view resource) const override;
  // False when the pod's request is unknown or the node is not in GpuState. Each holder
  // whose GPU request GpuState knows is placed first (one that does not fit takes nothing).
  bool FitsAfter(std::string_view uid, std::string_view node,
                 const std::vector<std::string_view>& leaving,
                 const std::vector<std::string_view>& holders) const override;
  // The same for a request at hand (the preempt verb's preemptor).
  bool RequestFitsAfter(const gpu::GpuRequest& request, std::string_view node,
                        const std::vector<std::string_view>& leaving) const;

 private:
  // `request` on `node` after `leaving` are gone and each of `held` is placed first.
  bool Fits(const gpu::GpuRequest& request, std::string_view node,
            const std::vector<std::string_view>& leaving,
            const std::vector<std::pair<std::string_view, gpu::GpuRequest>>& held) const;

  const GpuState* const state_;
  const gpu::FitOptions options_;
};

}  // namespace quotient::extender::state
