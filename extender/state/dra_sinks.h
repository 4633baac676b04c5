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

#include <functional>

#include "extender/kube/reflector.h"
#include "extender/state/cluster_state.h"
#include "extender/state/dra_state.h"

namespace quotient::extender::state {

class ClaimSink : public kube::ObjectSink {
 public:
  // `on_change` (optional) is told of every claim applied and of a re-list's end: a claim
  // that appears or changes is an event kube-scheduler retries waiting pods for, and a pod
  // Quotient refused a moment before for that very claim (claim_pending) must be retried
  // too (the Requeuer's watch-race check, requeuer.h).
  ClaimSink(DraState* dra, ClusterState* state, std::function<void()> on_change = {})
      : dra_(dra), state_(state), on_change_(std::move(on_change)) {}
  void BeginList() override;
  bool Apply(kube::EventType type, json::od::value& object, std::string* error) override;
  void EndList() override;

 private:
  // Charges the indexed pods `uids` again. REQUIRES: the apply lock held.
  void Recharge(const std::vector<std::string>& uids);

  DraState* const dra_;
  ClusterState* const state_;
  const std::function<void()> on_change_;
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
