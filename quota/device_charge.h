// The quota charge of a Dynamic Resource Allocation claim (resource.k8s.io/v1 ResourceClaim),
// before and after kube-scheduler allocates its devices. Pure domain code: the claim, the
// published devices and the mapping arrive here as plain values (extender/objects/ decodes
// the API objects into them); nothing here knows JSON or Kubernetes types.
//
// The operator maps each device class to one quota resource and says how to count it
// (DeviceClassMapping):
//   kDevices   one unit per allocated device           gpu.nvidia.com -> nvidia.com/gpu
//   kCounter   the shared counter a device consumes     mig.nvidia.com -> memory-slice-*
//              (summed over its counter sets; a source ending in '*' sums every counter
//              with that prefix: NVIDIA publishes memory-slice-0 .. memory-slice-7)
//   kCapacity  the capacity a device gives the claim    a shared GPU's "memory"
//              (consumable capacity: capacity.requests per device; the whole capacity of
//              a device allocated exclusively)
//
// Before allocation (ChargeClaimRequests: filter, no device chosen yet) each request is
// charged at most what its allocation can cost, so a quota's max holds whatever the
// allocator picks; the charge is `estimated` and is reconciled with the allocation
// (ChargeClaimAllocation) once status.allocation is written. The rules:
//   ExactCount      count x (per device: 1; the request's capacity.requests[source]; or the
//                   ceiling: the largest amount one published device of the mapping's
//                   driver consumes/has). No ceiling known (no device of the driver
//                   published yet) refuses with kNoEstimate: it cannot be allocated either.
//   All             charged as the most devices it can be given: the largest pool of the
//                   driver (devices of the driver in one pool), at most 32
//                   (kMaxClaimDevices, what a claim's allocation holds), x the per-device
//                   ceiling. Refusing All (as Kueue does) makes it unusable; charging
//                   nothing lets it take a node's GPUs past any max. An operator expects
//                   the max to hold, so it is the upper bound, lowered at allocation.
//   firstAvailable  the per-resource maximum over the alternatives (the most expensive
//                   choice, per resource when alternatives map to different resources),
//                   reconciled when the allocation names the alternative chosen.
//   adminAccess     free: such allocations ignore and do not block other claims.
//   unmapped class  not free in silence: charged nothing, listed in `unmapped` (request,
//                   class, devices) for the caller to report (metric, log, reason).
// Bounds (refused with a code, the request and the numbers, never a crash or wrap):
// at most 32 requests and 8 alternatives per request, 1 <= count <= 32 and at most 32
// devices per claim (the API's limits: a claim asking more can never be allocated), 32
// allocation results, and every product and sum within int64 (kOverflow).
//
// Thread safety: value types and pure functions (reentrant).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "quota/resource_list.h"

namespace quotient::quota {

// The API's limits (resource.k8s.io/v1): requests per claim (DeviceRequestsMaxSize), devices
// in one allocation (AllocationResultsMaxSize), alternatives per request
// (FirstAvailableDeviceRequestMaxSize).
inline constexpr int64_t kMaxClaimRequests = 32;
inline constexpr int64_t kMaxClaimDevices = 32;
inline constexpr int64_t kMaxAlternatives = 8;

enum class DeviceChargeMode { kDevices, kCounter, kCapacity };
std::string_view DeviceChargeModeName(DeviceChargeMode mode);  // "devices", "counter", ...

struct DeviceClassMapping {
  std::string device_class;  // DeviceClass metadata.name
  std::string resource;      // the quota resource charged, e.g. "nvidia.com/gpu"
  DeviceChargeMode mode = DeviceChargeMode::kDevices;
  std::string source;  // kCounter: counter name (trailing '*': prefix); kCapacity: capacity
                       // name; empty for kDevices
  std::string driver;  // whose published devices bound the estimate before allocation
                       // (ceilings, pool sizes for All); required for kCounter/kCapacity
};

// The mappings by class. Thread-compatible value.
class DeviceChargeConfig {
 public:
  // Validates and stores `mappings`: a class at most once, a resource always, a source and
  // driver for kCounter/kCapacity, none for kDevices. On failure returns false and sets
  // *error to "mappings[2]: device class \"x\" mapped twice" (index as given).
  static bool Build(std::vector<DeviceClassMapping> mappings, DeviceChargeConfig* out,
                    std::string* error);
  // nullptr when no mapping names `device_class`.
  const DeviceClassMapping* Find(std::string_view device_class) const;
  const std::vector<DeviceClassMapping>& mappings() const { return mappings_; }

 private:
  std::vector<DeviceClassMapping> mappings_;  // sorted by device_class
};

// A device as its driver publishes it in a ResourceSlice (amounts in whole units, bytes for
// memory; see resource_list.h).
struct CounterConsumption {
  std::string counter_set;
  ResourceList counters;
};
struct PublishedDevice {
  std::string driver;
  std::string pool;
  std::string name;
  ResourceList capacity;                     // capacity.<name>.value
  std::vector<CounterConsumption> consumes;  // consumesCounters (at most 2 sets)
  bool operator==(const PublishedDevice&) const = default;
};

// What one device of a mapping counts as: 1, the matching counters, or the capacity.
// nullopt when the device publishes no such counter or capacity.
std::optional<int64_t> PerDeviceAmount(const DeviceClassMapping& mapping,
                                       const PublishedDevice& device);

// Per mapping, from the published devices: the largest per-device amount and the largest
// pool (devices of the driver in one pool). Rebuilt by its owner when slices change.
class DeviceCeilings {
 public:
  static DeviceCeilings Build(const DeviceChargeConfig& config,
                              std::span<const PublishedDevice> devices);
  // 0 when no device of the mapping's driver publishes the amount.
  int64_t PerDevice(std::string_view device_class) const;
  int64_t LargestPool(std::string_view device_class) const;

 private:
  struct Entry {
    std::string device_class;
    int64_t per_device = 0;
    int64_t largest_pool = 0;
  };
  std::vector<Entry> entries_;  // sorted by device_class
};

// A claim's spec.devices.requests[] as plain values.
enum class AllocationMode { kExactCount, kAll };
struct DeviceSubRequest {
  std::string name;  // the firstAvailable entry's name; empty for `exactly`
  std::string device_class;
  AllocationMode mode = AllocationMode::kExactCount;
  int64_t count = 1;      // ExactCount only
  ResourceList capacity;  // capacity.requests, per device
  bool admin_access = false;
  bool operator==(const DeviceSubRequest&) const = default;
};
struct DeviceRequest {
  std::string name;
  bool first_available = false;                // alternatives from firstAvailable[]
  std::vector<DeviceSubRequest> alternatives;  // `exactly`: exactly one
  bool operator==(const DeviceRequest&) const = default;
};

// One status.allocation.devices.results[] entry with the device it names, as published
// (nullopt when no slice publishes it: deleted meanwhile, or not seen yet).
struct AllocatedDevice {
  std::string request;  // "<request>" or "<request>/<alternative>"
  std::string driver;
  std::string pool;
  std::string device;
  bool admin_access = false;
  ResourceList consumed_capacity;  // consumedCapacity (devices allowing multiple allocations)
  std::optional<PublishedDevice> published;
};

enum class ClaimChargeCode {
  kCharged,
  kTooManyRequests,  // more requests (value) than kMaxClaimRequests, or alternatives
  kInvalidCount,     // count < 1 (value)
  kTooManyDevices,   // a count, All's bound or the claim's sum (value) > kMaxClaimDevices
  kOverflow,         // an amount does not fit in int64
  kNoEstimate,       // counter/capacity: no published device of the driver says how much
  kUnknownRequest,   // an allocation result names no request of the claim
  kUnknownDevice,    // an allocated device no slice publishes (the estimate stands)
  kNoAmount,         // an allocated device without the mapping's counter or capacity
};
std::string_view ClaimChargeCodeName(ClaimChargeCode code);

struct UnmappedDevices {
  std::string request;
  std::string device_class;
  int64_t devices = 0;  // asked (ExactCount), the bound (All) or allocated
  bool operator==(const UnmappedDevices&) const = default;
};

struct ClaimCharge {
  ClaimChargeCode code = ClaimChargeCode::kCharged;
  ResourceList charge;  // when kCharged
  // Before allocation: some part is an upper bound (All, firstAvailable, a ceiling).
  bool estimated = false;
  std::vector<UnmappedDevices> unmapped;  // charged nothing, to be reported
  // On refusal: where and the numbers.
  std::string request;
  std::string device_class;
  std::string device;  // "driver/pool/device" (kUnknownDevice, kNoAmount)
  int64_t value = 0;
  int64_t limit = 0;
  bool charged() const { return code == ClaimChargeCode::kCharged; }
};

// Before allocation: the most the claim's requests can cost.
ClaimCharge ChargeClaimRequests(const DeviceChargeConfig& config, const DeviceCeilings& ceilings,
                                std::span<const DeviceRequest> requests);

// After allocation: what the allocated devices cost (never estimated).
ClaimCharge ChargeClaimAllocation(const DeviceChargeConfig& config,
                                  std::span<const DeviceRequest> requests,
                                  std::span<const AllocatedDevice> allocation);

// "claim request gpu: count 40 > 32 devices a claim can hold"; empty when charged.
std::string FormatClaimRefusal(const ClaimCharge& charge);

}  // namespace quotient::quota
