// What Quotient keeps of the Dynamic Resource Allocation objects (resource.k8s.io/v1
// ResourceClaim, DeviceClass, ResourceSlice) and their decoders from API JSON. The claim's
// requests and allocation and the slice's devices decode straight into the domain values of
// quota/device_charge.h, which charges them.
//
// Field names are the JSON tags of k8s.io/api resource/v1 (types.go, v0.36.4). Keys match
// case-insensitively and `null` is the zero value (json_read.h). Amounts (counters,
// capacities, capacity requests, consumed capacity) are in whole units, rounded up (bytes
// for memory), whatever their name. Lists are bounded by the API's own limits; a longer
// list is refused with the field's path, as is a wrong type, an unknown allocationMode or
// an invalid quantity. Every object must have metadata.name.
//
// Thread safety: value types; the decoders are reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "extender/json/json_read.h"
#include "quota/device_charge.h"

namespace quotient::extender {

// The bounds (resource.k8s.io/v1 validation): requests per claim, alternatives per request,
// results per allocation, consumers per claim, devices and counter sets per slice, counter
// consumptions per device.
inline constexpr int64_t kMaxClaimRequests = quota::kMaxClaimRequests;     // 32
inline constexpr int64_t kMaxFirstAvailable = quota::kMaxAlternatives;     // 8
inline constexpr int64_t kMaxAllocationResults = quota::kMaxClaimDevices;  // 32
inline constexpr int64_t kMaxReservedFor = 256;                            // ReservedForMaxSize
inline constexpr int64_t kMaxSliceDevices = 128;    // ResourceSliceMaxDevices
inline constexpr int64_t kMaxSliceCounterSets = 8;  // ResourceSliceMaxCounterSets
inline constexpr int64_t kMaxDeviceCounterConsumptions = 2;
inline constexpr int64_t kMaxCountersPerSet = 32;
inline constexpr int64_t kMaxCapacitiesPerDevice = 32;  // attributes and capacities together

// A status.reservedFor[] entry: who uses the claim (apiGroup "" and resource "pods" for pods).
struct ClaimConsumer {
  std::string api_group;
  std::string resource;
  std::string name;
  std::string uid;
  bool operator==(const ClaimConsumer&) const = default;
};

struct ResourceClaimInfo {
  std::string name;
  std::string ns;  // metadata.namespace
  std::string uid;
  StringPairs annotations;  // resource.kubernetes.io/extended-resource-claim, pod-claim-name
  std::vector<quota::DeviceRequest> requests;  // spec.devices.requests
  bool allocated = false;                      // status.allocation present
  // status.allocation.devices.results, `published` left empty (the caller looks the device
  // up in the slices).
  std::vector<quota::AllocatedDevice> results;
  std::vector<ClaimConsumer> reserved_for;  // status.reservedFor
};

struct DeviceClassInfo {
  std::string name;
  std::string extended_resource_name;  // spec.extendedResourceName (KEP-5004), "" if none
};

struct CounterSetInfo {
  std::string name;
  quota::ResourceList counters;
};

struct ResourceSliceInfo {
  std::string name;
  std::string driver;  // spec.driver
  std::string pool;    // spec.pool.name
  int64_t pool_generation = 0;
  int64_t pool_slice_count = 0;  // spec.pool.resourceSliceCount
  std::string node_name;         // spec.nodeName, "" when the slice is not node-local
  bool all_nodes = false;        // spec.allNodes
  // spec.devices, each with driver and pool filled from the slice.
  std::vector<quota::PublishedDevice> devices;
  std::vector<CounterSetInfo> shared_counters;  // spec.sharedCounters
};

// `value` must be a JSON object (callers handle `null`).
bool DecodeResourceClaimObject(json::od::value& value, const json::Path* path,
                               ResourceClaimInfo* out, DecodeError* error);
bool DecodeDeviceClassObject(json::od::value& value, const json::Path* path, DeviceClassInfo* out,
                             DecodeError* error);
bool DecodeResourceSliceObject(json::od::value& value, const json::Path* path,
                               ResourceSliceInfo* out, DecodeError* error);

}  // namespace quotient::extender
