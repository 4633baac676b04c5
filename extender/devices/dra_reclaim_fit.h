// DraReclaimFit: the device-level check of reclaim plans (reclaim_planner.h) for pods with
// DRA ResourceClaims, over DraState. kube-scheduler cannot preempt for DRA devices, and a
// fake or real DRA node publishes its GPUs in ResourceSlices, not in allocatable, so
// counting resources cannot say whether evicting some pods makes room: this does, with
// gpu::FitClaims over the node's slices.
//
// FitsAfter(uid, node, leaving, holders):
//  * the node's devices are those of the slices whose spec.nodeName is the node (and the
//    counter sets of slices sharing their driver and pool); a node with none never fits;
//  * a device is in use while a claim that stays is allocated to it. A claim is released
//    (its devices count as free) when every user in its status.reservedFor is a pod that is
//    `leaving` or already gone from the watch (the resourceclaim controller deallocates it
//    once they are gone: the room is on its way, as a terminating pod's CPU is). A claim
//    with no pod user, or with a user that is not a pod, stays;
//  * the holders' (pods reclaiming room on the node) unallocated claims are served first,
//    so a room promised to one reclaim is never counted for another;
//  * the pod's claims: each must be known (else it does not fit: the claim is pending); an
//    allocated one fits only the node its devices are on and needs nothing more; the
//    unallocated ones must be servable from what is free.
// Applies to pods whose claims ask a mapped device class (adminAccess aside). It decides no
// resource of the node room: claim charges are quota only.
//
// Cost per call: O(slices + claims) (every allocated claim is looked at), under DraState's
// shared lock.
//
// Thread safety: thread-safe (DraState's lock). Lock order: the planner and filter call it
// under ClusterState's shared lock, then it takes DraState's; DraState never calls
// ClusterState under its lock.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "extender/control/reclaim_planner.h"
#include "extender/state/dra_state.h"
#include "gpu/claim_fit.h"

namespace quotient::extender::state {

class DraReclaimFit : public DeviceFitCheck {
 public:
  // REQUIRES: dra outlives this object.
  explicit DraReclaimFit(const DraState* dra) : dra_(dra) {}

  bool Applies(std::string_view uid) const override;
  bool DecidesResource(std::string_view) const override { return false; }
  bool FitsAfter(std::string_view uid, std::string_view node,
                 const std::vector<std::string_view>& leaving,
                 const std::vector<std::string_view>& holders) const override;
  // The same, with the reason when it does not fit ("claim request gpu (device class
  // gpu.nvidia.com): 2 devices, 1 free", or "no device published for node n1").
  gpu::ClaimFit Check(std::string_view uid, std::string_view node,
                      const std::vector<std::string_view>& leaving,
                      const std::vector<std::string_view>& holders) const;

 private:
  const DraState* const dra_;
};

// Asks several device checks (any may be null): a pod fits when every check that applies
// to it says so. Thread-safe if the checks are.
class AllDeviceFits : public DeviceFitCheck {
 public:
  explicit AllDeviceFits(std::vector<const DeviceFitCheck*> checks);
  bool Applies(std::string_view uid) const override;
  bool DecidesResource(std::string_view resource) const override;
  bool FitsAfter(std::string_view uid, std::string_view node,
                 const std::vector<std::string_view>& leaving,
                 const std::vector<std::string_view>& holders) const override;

 private:
  std::vector<const DeviceFitCheck*> checks_;  // non-null; constant after construction
};

}  // namespace quotient::extender::state
