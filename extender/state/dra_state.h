// DraState: the Dynamic Resource Allocation objects Quotient charges from (ResourceClaims
// and ResourceSlices, resource.k8s.io/v1) and the quota charge of a pod's claims
// (docs/dra.md). Exists only when `dra.deviceClasses` maps some class: without a mapping
// nothing is watched and no pod is charged for its claims.
//
// A pod's claim charge (ChargePod):
//  * its claims are spec.resourceClaims[] resolved through resourceClaimName, or for a
//    template through status.resourceClaimStatuses (the generated claim's name);
//  * KEP-5004's status.extendedResourceClaimStatus claim is not charged: the pod asks for
//    the extended resource in its containers' requests (`nvidia.com/gpu: 1`), which the
//    quota already charges, so charging the claim too would count it twice;
//  * a claim not allocated yet is charged its upper bound (quota::ChargeClaimRequests,
//    `estimated`); an allocated one what its allocation holds
//    (quota::ChargeClaimAllocation), or the upper bound while a device it names is not in
//    the slices seen (the estimate is never below the allocation's charge);
//  * a claim shared by several pods is charged once: once allocated, to the pod named
//    first in status.reservedFor (pods only); a pod that is not first pays nothing for it.
//    Before allocation, or once reservedFor is empty, every pod that uses it is charged
//    (an upper bound: two pods starting on one unallocated claim are charged twice until
//    the allocation names its user);
//  * a claim that cannot be charged is a problem, not a free pass: kPending when the claim
//    does not exist in the watch yet (a template's claim not generated yet, or not seen),
//    kRefused when its charge is refused (quota::ClaimChargeCode: more devices than a
//    claim can hold, no published device to estimate from...). Filter refuses such pods
//    (quota_decider.h); a pod already bound is charged what can be charged and charged
//    again when the claim arrives.
//
// The watch sinks (ClaimSink, SliceSink and PodSink) keep the claims and slices and an
// index of the pods that use claims; when a claim changes (allocated, reservedFor
// changed, deleted) the pods that use it are charged again (ClusterState::SetClaimCharge).
// One mutex (apply_mu_) serialises these applications, so that a pod event and a claim
// event never interleave their read of a claim and their write of the charge.
//
// Unmapped device classes are reported, not silently free: each claim first seen with a
// request for a class no mapping names counts once in
// quotient_dra_unmapped_claims_total{device_class} (at most kMaxReportedClasses class
// labels, then "other") and each such class is logged once at warn.
//
// Device-level reads (ReadDevices, for reclaim's DraReclaimFit): a View of the claims, the
// slices and the pod index under the shared lock.
//
// Exception safety: every watch update gives the strong guarantee (a throw, only
// std::bad_alloc, leaves the objects, devices and pod index as they were): each
// allocates first (the pods to recharge, the index entries, the rebuilt devices) and
// then commits with moves, swaps and erasures.
//
// Thread safety: thread-safe. mu_ (shared) guards the objects; ChargePod and ReadDevices
// read under it. The pod index is written under apply_mu_ and mu_ (exclusive), so it may be
// read under either. Lock order: ClusterState's lock before mu_ (reclaim planning and
// filter read devices under ClusterState's shared lock); nothing here takes ClusterState's
// lock while holding mu_.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "extender/objects/dra_decode.h"
#include "extender/objects/pod.h"
#include "extender/objects/pod_enricher.h"
#include "extender/telemetry/metrics.h"
#include "quota/device_charge.h"

namespace quotient::extender::state {

class ClusterState;

class DraState {
 public:
  static constexpr size_t kMaxReportedClasses = 32;
  // PodInfo::claim_note's bound: past it, the claims left out are counted, not named.
  static constexpr size_t kMaxClaimNoteBytes = 1024;

  // `registry` may be null (no metrics).
  DraState(quota::DeviceChargeConfig config, metrics::Registry* registry);
  DraState(const DraState&) = delete;
  DraState& operator=(const DraState&) = delete;

  const quota::DeviceChargeConfig& config() const { return config_; }

  // The charge of `pod`'s claims into pod->claim_charge, pod->claim_problem and
  // pod->claim_note (see the file comment; the note names each charged claim and the
  // unmapped classes a claim asks for, within kMaxClaimNoteBytes). Reads the objects under
  // the shared lock.
  void ChargePod(PodInfo* pod) const;

  // Watches. Each returns the UIDs of the indexed pods whose charge may have changed.
  // REQUIRES: called with apply_lock() held (the sinks do).
  std::vector<std::string> UpsertClaim(ResourceClaimInfo claim);
  std::vector<std::string> DeleteClaim(std::string_view ns, std::string_view name);
  void BeginClaimList();
  std::vector<std::string> EndClaimList();  // drops claims the list did not contain
  void UpsertSlice(ResourceSliceInfo slice);
  void DeleteSlice(std::string_view name);
  void BeginSliceList();
  void EndSliceList();

  // The pod index: which pods use which claims (pods with spec.resourceClaims only).
  // REQUIRES: apply_lock() held.
  void IndexPod(bool deleted, const PodInfo& pod);
  // A pod list starts / ends: pods it did not contain leave the index.
  void BeginPodList() { ++pod_generation_; }
  void EndPodList();
  // A copy of an indexed pod (identity and claim fields); false if not indexed.
  bool IndexedPod(std::string_view uid, PodInfo* out) const;

  // Serialises the sinks (see the file comment).
  std::unique_lock<std::mutex> apply_lock() { return std::unique_lock(apply_mu_); }

  // What device-level fit reads (REQUIRES: used only inside ReadDevices' callback).
  class View {
   public:
    const quota::DeviceChargeConfig& config() const { return dra_->config_; }
    // Whether pod `uid` is indexed (a pod with spec.resourceClaims the watch has seen).
    bool PodKnown(std::string_view uid) const;
    // The claims pod `uid` uses, resolved; nullptr for one not generated or not seen yet.
    // False when the pod is not indexed.
    bool PodClaims(std::string_view uid, std::vector<const ResourceClaimInfo*>* out) const;
    // The slices published for `node` (spec.nodeName), then the slices without a node
    // that share a driver and pool with them (DynamicMIG's counter slice).
    std::vector<const ResourceSliceInfo*> SlicesOf(std::string_view node) const;
    // Calls fn(claim) for every allocated claim.
    template <typename Fn>
    void ForEachAllocated(Fn&& fn) const {
      for (const auto& [key, claim] : dra_->claims_) {
        if (claim.info.allocated) fn(claim.info);
      }
    }

   private:
    friend class DraState;
    explicit View(const DraState* dra) : dra_(dra) {}
    const DraState* dra_;
  };
  template <typename Fn>
  auto ReadDevices(Fn&& fn) const {
    std::shared_lock lock(mu_);
    return fn(View(this));
  }

  // How many allocated claims name one of `pod_uids` in status.reservedFor: their devices
  // are not free yet (the resourceclaim controller deallocates them once the pods are gone).
  size_t AllocatedClaimsOf(const std::vector<std::string>& pod_uids) const;

  size_t claim_count() const;
  size_t slice_count() const;
  // Tests: the objects, the devices and the pod index in one canonical text.
  std::string DebugString() const;

 private:
  struct Claim {
    ResourceClaimInfo info;
    uint64_t seen = 0;
  };
  struct Slice {
    ResourceSliceInfo info;
    uint64_t seen = 0;
  };
  static std::string Key(std::string_view ns, std::string_view name);
  // The pods indexed under `key`. REQUIRES: apply_mu_ held.
  std::vector<std::string> PodsOf(const std::string& key) const;
  void RebuildDevices();                                // REQUIRES: mu_ held exclusively
  void ReportUnmapped(const ResourceClaimInfo& claim);  // REQUIRES: apply_mu_ held
  // The claim's charge for the pod `uid`. REQUIRES: mu_ held.
  quota::ClaimCharge ChargeClaim(const ResourceClaimInfo& claim, std::string_view uid,
                                 bool* shared_elsewhere) const;

  const quota::DeviceChargeConfig config_;
  metrics::Family* unmapped_metric_ = nullptr;  // constant after construction

  std::mutex apply_mu_;

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Claim> claims_;  // "ns/name"; guarded by mu_
  std::unordered_map<std::string, Slice> slices_;  // by name; guarded by mu_
  // Every published device, by "driver/pool/device", and the ceilings; guarded by mu_.
  std::unordered_map<std::string, quota::PublishedDevice> devices_;
  quota::DeviceCeilings ceilings_;
  uint64_t claim_generation_ = 0;  // guarded by mu_
  uint64_t slice_generation_ = 0;  // guarded by mu_

  // The pod index: written under apply_mu_ and mu_, read under either.
  // The unmapped report: guarded by apply_mu_.
  struct IndexedPodEntry {
    PodInfo pod;
    uint64_t seen = 0;
  };
  std::unordered_map<std::string, IndexedPodEntry> pods_;  // by UID
  uint64_t pod_generation_ = 0;
  std::unordered_map<std::string, std::set<std::string>> pods_by_claim_;  // key -> UIDs
  std::set<std::string> reported_claims_;   // claim UIDs counted as unmapped
  std::set<std::string> reported_classes_;  // classes logged (at most kMaxReportedClasses)
};

// Adds the claim charge to the pods (PodEnricher over a DraState).
class DraEnricher : public PodEnricher {
 public:
  explicit DraEnricher(const DraState* dra) : dra_(dra) {}
  void Enrich(PodInfo* pod) const override { dra_->ChargePod(pod); }

 private:
  const DraState* const dra_;
};

// Applies two enrichers in order (either may be null).
class ChainEnricher : public PodEnricher {
 public:
  ChainEnricher(const PodEnricher* first, const PodEnricher* second)
      : first_(first), second_(second) {}
  void Enrich(PodInfo* pod) const override {
    if (first_ != nullptr) first_->Enrich(pod);
    if (second_ != nullptr) second_->Enrich(pod);
  }

 private:
  const PodEnricher* const first_;
  const PodEnricher* const second_;
};

}  // namespace quotient::extender::state
