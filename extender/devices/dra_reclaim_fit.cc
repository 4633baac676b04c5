#include "extender/devices/dra_reclaim_fit.h"

#include <algorithm>

namespace quotient::extender::state {
namespace {

bool Contains(const std::vector<std::string_view>& uids, std::string_view uid) {
  return std::find(uids.begin(), uids.end(), uid) != uids.end();
}

// Whether an allocated claim's devices are on their way to being free: every user is a pod
// that is leaving or gone (see the header).
bool Released(const DraState::View& view, const ResourceClaimInfo& claim,
              const std::vector<std::string_view>& leaving) {
  if (claim.reserved_for.empty()) return false;
  for (const ClaimConsumer& user : claim.reserved_for) {
    if (!user.api_group.empty() || user.resource != "pods") return false;
    if (!Contains(leaving, user.uid) && view.PodKnown(user.uid)) return false;
  }
  return true;
}

gpu::ClaimFit DoesNotFit() {
  gpu::ClaimFit fit;
  fit.fits = false;
  return fit;
}

}  // namespace

bool DraReclaimFit::Applies(std::string_view uid) const {
  return dra_->ReadDevices([&](const DraState::View& view) {
    std::vector<const ResourceClaimInfo*> claims;
    if (!view.PodClaims(uid, &claims)) return false;
    for (const ResourceClaimInfo* claim : claims) {
      if (claim == nullptr) continue;
      for (const quota::DeviceRequest& request : claim->requests) {
        for (const quota::DeviceSubRequest& sub : request.alternatives) {
          if (!sub.admin_access && view.config().Find(sub.device_class) != nullptr) return true;
        }
      }
    }
    return false;
  });
}

bool DraReclaimFit::FitsAfter(std::string_view uid, std::string_view node,
                              const std::vector<std::string_view>& leaving,
                              const std::vector<std::string_view>& holders) const {
  return Check(uid, node, leaving, holders).fits;
}

gpu::ClaimFit DraReclaimFit::Check(std::string_view uid, std::string_view node,
                                   const std::vector<std::string_view>& leaving,
                                   const std::vector<std::string_view>& holders) const {
  return dra_->ReadDevices([&](const DraState::View& view) {
    gpu::ClaimFitNode room;
    for (const ResourceSliceInfo* slice : view.SlicesOf(node)) {
      if (slice->node_name == node) {
        room.devices.insert(room.devices.end(), slice->devices.begin(), slice->devices.end());
      }
      for (const CounterSetInfo& set : slice->shared_counters) {
        room.counter_sets.push_back({slice->driver, slice->pool, set.name, set.counters});
      }
    }
    if (room.devices.empty()) return DoesNotFit();
    auto on_node = [&](const quota::AllocatedDevice& result) {
      return std::ranges::any_of(room.devices, [&](const quota::PublishedDevice& d) {
        return d.driver == result.driver && d.pool == result.pool && d.name == result.device;
      });
    };
    std::vector<const ResourceClaimInfo*> claims;
    if (!view.PodClaims(uid, &claims)) return DoesNotFit();
    std::vector<quota::DeviceRequest> requests;
    for (const ResourceClaimInfo* claim : claims) {
      if (claim == nullptr) return DoesNotFit();  // pending: nothing can be said
      if (!claim->allocated) {
        requests.insert(requests.end(), claim->requests.begin(), claim->requests.end());
        continue;
      }
      // Allocated already (e.g. left allocated by an earlier attempt): only here.
      for (const quota::AllocatedDevice& result : claim->results) {
        if (!on_node(result)) return DoesNotFit();
      }
    }
    view.ForEachAllocated([&](const ResourceClaimInfo& claim) {
      if (Released(view, claim, leaving)) return;
      for (const quota::AllocatedDevice& result : claim.results) {
        room.in_use.push_back(gpu::DeviceKey(result.driver, result.pool, result.device));
      }
    });
    std::vector<quota::DeviceRequest> held;
    for (std::string_view holder : holders) {
      if (holder == uid || !view.PodClaims(holder, &claims)) continue;
      for (const ResourceClaimInfo* claim : claims) {
        if (claim != nullptr && !claim->allocated) {
          held.insert(held.end(), claim->requests.begin(), claim->requests.end());
        }
      }
    }
    return gpu::FitClaims(view.config(), room, held, requests);
  });
}

AllDeviceFits::AllDeviceFits(std::vector<const DeviceFitCheck*> checks) {
  for (const DeviceFitCheck* check : checks) {
    if (check != nullptr) checks_.push_back(check);
  }
}

bool AllDeviceFits::Applies(std::string_view uid) const {
  return std::ranges::any_of(checks_, [&](const DeviceFitCheck* c) { return c->Applies(uid); });
}

bool AllDeviceFits::DecidesResource(std::string_view resource) const {
  return std::ranges::any_of(checks_,
                             [&](const DeviceFitCheck* c) { return c->DecidesResource(resource); });
}

bool AllDeviceFits::FitsAfter(std::string_view uid, std::string_view node,
                              const std::vector<std::string_view>& leaving,
                              const std::vector<std::string_view>& holders) const {
  return std::ranges::all_of(checks_, [&](const DeviceFitCheck* c) {
    return !c->Applies(uid) || c->FitsAfter(uid, node, leaving, holders);
  });
}

}  // namespace quotient::extender::state
