// Device-level fit of DRA claims on one node: whether the devices a node's ResourceSlices
// publish can serve some claims' requests, given which devices are allocated already. It is
// the question reclaim asks before it evicts for a pod with ResourceClaims ("once these
// pods' claims are deallocated, can this pod's claims be allocated here?"), which quota
// charges cannot answer: kube-scheduler cannot preempt for DRA devices (docs/dra.md,
// "Reclaim"). Pure domain code: devices and requests arrive as plain values.
//
// The model (a conservative reading of kube-scheduler's structured allocator):
//  * a device is free when no claim that stays holds it and, for a partitionable device
//    (consumesCounters), every counter it consumes is still available in its counter set
//    (the set's value minus what the allocated devices of the set consume);
//  * a request's alternative matches the devices of its mapping's driver
//    (DeviceClassMapping::driver), or of every driver when the mapping names none or the
//    class is unmapped: the class's and request's CEL selectors are not evaluated;
//  * ExactCount takes `count` free matching devices, the first ones in the node's order;
//    All takes every matching device and needs each of them free (and at least one);
//    adminAccess takes nothing (such allocations do not take devices from others);
//    firstAvailable takes the first alternative that can be served;
//  * devices allowing multiple allocations (consumable capacity) count as exclusive.
// The greedy choice may say "does not fit" where a cleverer allocation would fit (e.g. MIG
// placements); it never says "fits" when too few matching devices are free.
//
// Thread safety: value types and pure functions (reentrant).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "quota/device_charge.h"
#include "quota/resource_list.h"

namespace quotient::gpu {

// A sharedCounters entry of a ResourceSlice: counters its pool's devices consume.
struct DeviceCounterSet {
  std::string driver;
  std::string pool;
  std::string name;
  quota::ResourceList counters;
};

// What one node publishes and what of it is allocated.
struct ClaimFitNode {
  std::vector<quota::PublishedDevice> devices;  // its node-local slices' devices
  std::vector<DeviceCounterSet> counter_sets;   // its slices' sharedCounters
  // "driver/pool/device" of the devices allocated to claims that stay allocated.
  std::vector<std::string> in_use;
};

struct ClaimFit {
  bool fits = true;
  // When it does not fit: the first request short of devices, its class, how many matching
  // devices it asks (All: every matching one) and how many were free for it.
  std::string request;
  std::string device_class;
  int64_t wanted = 0;
  int64_t free = 0;
  // When it fits: the devices chosen for `requests` ("driver/pool/device", node order).
  std::vector<std::string> devices;
};

// Serves `held` first (requests of pods the node's room is held for: they take what they
// can, in order, and are never the reason of a refusal), then `requests`, on `node`.
ClaimFit FitClaims(const quota::DeviceChargeConfig& config, const ClaimFitNode& node,
                   std::span<const quota::DeviceRequest> held,
                   std::span<const quota::DeviceRequest> requests);

// "claim request gpu (device class gpu.nvidia.com): 2 devices, 1 free"; empty when it fits.
std::string FormatClaimFit(const ClaimFit& fit);

// "driver/pool/device", the key of a device in ClaimFitNode::in_use.
std::string DeviceKey(std::string_view driver, std::string_view pool, std::string_view device);

}  // namespace quotient::gpu
