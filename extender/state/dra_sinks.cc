#include "extender/state/dra_sinks.h"

namespace quotient::extender::state {

void ClaimSink::BeginList() {
  auto lock = dra_->apply_lock();
  dra_->BeginClaimList();
}

bool ClaimSink::Apply(kube::EventType type, json::od::value& object, std::string* error) {
  ResourceClaimInfo claim;
  DecodeError decode;
  if (!DecodeResourceClaimObject(object, nullptr, &claim, &decode)) {
    *error = decode.message;
    return false;
  }
  {
    auto lock = dra_->apply_lock();
    Recharge(type == kube::EventType::kDeleted ? dra_->DeleteClaim(claim.ns, claim.name)
                                               : dra_->UpsertClaim(std::move(claim)));
  }
  if (on_change_) on_change_();
  return true;
}

void ClaimSink::EndList() {
  {
    auto lock = dra_->apply_lock();
    Recharge(dra_->EndClaimList());
  }
  if (on_change_) on_change_();
}

void ClaimSink::Recharge(const std::vector<std::string>& uids) {
  for (const std::string& uid : uids) {
    PodInfo pod;
    if (!dra_->IndexedPod(uid, &pod)) continue;
    dra_->ChargePod(&pod);
    state_->SetClaimCharge(uid, pod.claim_charge);
  }
}

void SliceSink::BeginList() {
  auto lock = dra_->apply_lock();
  dra_->BeginSliceList();
}

bool SliceSink::Apply(kube::EventType type, json::od::value& object, std::string* error) {
  ResourceSliceInfo slice;
  DecodeError decode;
  if (!DecodeResourceSliceObject(object, nullptr, &slice, &decode)) {
    *error = decode.message;
    return false;
  }
  auto lock = dra_->apply_lock();
  if (type == kube::EventType::kDeleted) {
    dra_->DeleteSlice(slice.name);
  } else {
    dra_->UpsertSlice(std::move(slice));
  }
  return true;
}

void SliceSink::EndList() {
  auto lock = dra_->apply_lock();
  dra_->EndSliceList();
}

}  // namespace quotient::extender::state
