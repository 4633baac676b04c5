// The ObjectSinks of the DRA watches (resource.k8s.io/v1), fed into DraState:
//  * ClaimSink  ResourceClaim -> DraState; the pods that use a changed claim are charged
//               again in ClusterState (SetClaimCharge: an allocation replaces the
//               estimate, reservedFor moves a shared claim's charge, a deleted claim's
//               charge goes);
//  * SliceSink  ResourceSlice -> DraState (the published devices: ceilings before
//               allocation, amounts after).
// Objects that do not decode are refused with a one-line reason (the reflector skips and
// counts them in quotient_watch_skipped_objects_total and the watch goes on).
//
// Thread safety: each sink is called by its own reflector only; both serialise with the
// pod sink through DraState::apply_lock().
#pragma once

#include "extender/kube/reflector.h"
#include "extender/state/cluster_state.h"
#include "extender/state/dra_state.h"

namespace quotient::extender::state {

class ClaimSink : public kube::ObjectSink {
 public:
  ClaimSink(DraState* dra, ClusterState* state) : dra_(dra), state_(state) {}
  void BeginList() override;
  bool Apply(kube::EventType type, json::od::value& object, std::string* error) override;
  void EndList() override;

 private:
  // Charges the indexed pods `uids` again. REQUIRES: the apply lock held.
  void Recharge(const std::vector<std::string>& uids);

  DraState* const dra_;
  ClusterState* const state_;
};

class SliceSink : public kube::ObjectSink {
 public:
  explicit SliceSink(DraState* dra) : dra_(dra) {}
  void BeginList() override;
  bool Apply(kube::EventType type, json::od::value& object, std::string* error) override;
  void EndList() override;

 private:
  DraState* const dra_;
};

}  // namespace quotient::extender::state
