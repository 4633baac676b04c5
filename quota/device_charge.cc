#include "quota/device_charge.h"

#include <fmt/format.h>

#include <algorithm>

namespace quotient::quota {
namespace {

bool CheckedMul(int64_t a, int64_t b, int64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}
bool CheckedAdd(int64_t a, int64_t b, int64_t* out) {
  return !__builtin_add_overflow(a, b, out);
}

// Adds `amount` of `resource` to *list; false when the sum leaves int64.
bool AddChecked(ResourceList* list, std::string_view resource, int64_t amount) {
  int64_t sum = 0;
  if (!CheckedAdd(list->Get(resource), amount, &sum)) return false;
  list->Set(resource, sum);
  return true;
}

ClaimCharge Refuse(ClaimChargeCode code, std::string_view request, std::string_view device_class,
                   int64_t value, int64_t limit) {
  ClaimCharge out;
  out.code = code;
  out.request.assign(request);
  out.device_class.assign(device_class);
  out.value = value;
  out.limit = limit;
  return out;
}

// The counters of `device` that `source` names (exact, or a prefix before a trailing '*'),
// summed over its counter sets. nullopt when none matches or the sum overflows (which the
// API's limits of 2 sets x 32 counters cannot reach short of absurd values: reported the
// same as absent, never wrapped).
std::optional<int64_t> CounterAmount(std::string_view source, const PublishedDevice& device) {
  const bool prefix = source.ends_with('*');
  if (prefix) source.remove_suffix(1);
  bool found = false;
  int64_t total = 0;
  for (const CounterConsumption& set : device.consumes) {
    for (const ResourceAmount& counter : set.counters) {
      std::string_view name = counter.name;
      if (prefix ? !name.starts_with(source) : name != source) continue;
      if (!CheckedAdd(total, counter.amount, &total)) return std::nullopt;
      found = true;
    }
  }
  if (!found) return std::nullopt;
  return total;
}

// The charge of one alternative before allocation, added to *charge; or a refusal.
bool ChargeAlternative(const DeviceChargeConfig& config, const DeviceCeilings& ceilings,
                       const DeviceRequest& request, const DeviceSubRequest& sub,
                       ResourceList* charge, int64_t* devices, bool* estimated,
                       std::vector<UnmappedDevices>* unmapped, ClaimCharge* refusal) {
  const std::string request_name =
      sub.name.empty() ? request.name : fmt::format("{}/{}", request.name, sub.name);
  const DeviceClassMapping* mapping = config.Find(sub.device_class);
  int64_t count = sub.count;
  if (sub.mode == AllocationMode::kExactCount) {
    if (count < 1) {
      *refusal = Refuse(ClaimChargeCode::kInvalidCount, request_name, sub.device_class, count, 1);
      return false;
    }
    if (count > kMaxClaimDevices) {
      *refusal = Refuse(ClaimChargeCode::kTooManyDevices, request_name, sub.device_class, count,
                        kMaxClaimDevices);
      return false;
    }
  } else {
    // All: as many devices as the largest pool offers, at most what an allocation holds.
    int64_t pool = mapping == nullptr ? 0 : ceilings.LargestPool(sub.device_class);
    count = pool > 0 ? std::min(pool, kMaxClaimDevices) : kMaxClaimDevices;
    *estimated = true;
  }
  *devices = count;
  if (sub.admin_access) return true;
  if (mapping == nullptr) {
    unmapped->push_back({request_name, sub.device_class, count});
    return true;
  }
  int64_t per_device = 1;
  if (mapping->mode != DeviceChargeMode::kDevices) {
    if (mapping->mode == DeviceChargeMode::kCapacity && sub.capacity.Has(mapping->source)) {
      per_device = sub.capacity.Get(mapping->source);
    } else {
      per_device = ceilings.PerDevice(sub.device_class);
      *estimated = true;
      if (per_device <= 0) {
        *refusal = Refuse(ClaimChargeCode::kNoEstimate, request_name, sub.device_class, 0, 0);
        return false;
      }
    }
  }
  int64_t amount = 0;
  if (!CheckedMul(count, per_device, &amount) || !AddChecked(charge, mapping->resource, amount)) {
    *refusal =
        Refuse(ClaimChargeCode::kOverflow, request_name, sub.device_class, count, per_device);
    return false;
  }
  return true;
}

const DeviceSubRequest* FindAlternative(std::span<const DeviceRequest> requests,
                                        std::string_view result_request) {
  std::string_view main = result_request;
  std::string_view sub;
  if (size_t slash = result_request.find('/'); slash != std::string_view::npos) {
    main = result_request.substr(0, slash);
    sub = result_request.substr(slash + 1);
  }
  for (const DeviceRequest& request : requests) {
    if (request.name != main) continue;
    for (const DeviceSubRequest& alternative : request.alternatives) {
      if (alternative.name == sub) return &alternative;
    }
  }
  return nullptr;
}

}  // namespace

std::string_view DeviceChargeModeName(DeviceChargeMode mode) {
  switch (mode) {
    case DeviceChargeMode::kDevices: return "devices";
    case DeviceChargeMode::kCounter: return "counter";
    case DeviceChargeMode::kCapacity: return "capacity";
  }
  return "unknown";
}

bool DeviceChargeConfig::Build(std::vector<DeviceClassMapping> mappings, DeviceChargeConfig* out,
                               std::string* error) {
  for (size_t i = 0; i < mappings.size(); ++i) {
    const DeviceClassMapping& m = mappings[i];
    auto fail = [&](std::string_view what) {
      *error = fmt::format("mappings[{}]: {}", i, what);
      return false;
    };
    if (m.device_class.empty()) return fail("device class missing");
    if (m.resource.empty())
      return fail(fmt::format("device class \"{}\": resource missing", m.device_class));
    const bool needs_source = m.mode != DeviceChargeMode::kDevices;
    if (needs_source && (m.source.empty() || m.source == "*")) {
      return fail(fmt::format("device class \"{}\": {} mode needs a source name", m.device_class,
                              DeviceChargeModeName(m.mode)));
    }
    if (needs_source && m.driver.empty()) {
      return fail(fmt::format("device class \"{}\": {} mode needs a driver", m.device_class,
                              DeviceChargeModeName(m.mode)));
    }
    if (!needs_source && !m.source.empty()) {
      return fail(fmt::format("device class \"{}\": devices mode takes no source", m.device_class));
    }
    for (size_t j = 0; j < i; ++j) {
      if (mappings[j].device_class == m.device_class) {
        return fail(
            fmt::format("device class \"{}\" mapped twice (mappings[{}])", m.device_class, j));
      }
    }
  }
  std::sort(mappings.begin(), mappings.end(),
            [](const auto& a, const auto& b) { return a.device_class < b.device_class; });
  out->mappings_ = std::move(mappings);
  return true;
}

const DeviceClassMapping* DeviceChargeConfig::Find(std::string_view device_class) const {
  auto it = std::lower_bound(
      mappings_.begin(), mappings_.end(), device_class,
      [](const DeviceClassMapping& m, std::string_view name) { return m.device_class < name; });
  if (it == mappings_.end() || it->device_class != device_class) return nullptr;
  return &*it;
}

std::optional<int64_t> PerDeviceAmount(const DeviceClassMapping& mapping,
                                       const PublishedDevice& device) {
  switch (mapping.mode) {
    case DeviceChargeMode::kDevices: return 1;
    case DeviceChargeMode::kCounter: return CounterAmount(mapping.source, device);
    case DeviceChargeMode::kCapacity:
      if (!device.capacity.Has(mapping.source)) return std::nullopt;
      return device.capacity.Get(mapping.source);
  }
  return std::nullopt;
}

DeviceCeilings DeviceCeilings::Build(const DeviceChargeConfig& config,
                                     std::span<const PublishedDevice> devices) {
  DeviceCeilings out;
  for (const DeviceClassMapping& mapping : config.mappings()) {
    Entry entry{mapping.device_class, 0, 0};
    // Devices per pool of the driver: counted over the devices sorted by pool.
    std::vector<std::string_view> pools;
    for (const PublishedDevice& device : devices) {
      if (!mapping.driver.empty() && device.driver != mapping.driver) continue;
      pools.push_back(device.pool);
      if (auto amount = PerDeviceAmount(mapping, device)) {
        entry.per_device = std::max(entry.per_device, *amount);
      }
    }
    std::sort(pools.begin(), pools.end());
    for (size_t i = 0; i < pools.size();) {
      size_t j = i;
      while (j < pools.size() && pools[j] == pools[i]) ++j;
      entry.largest_pool = std::max(entry.largest_pool, static_cast<int64_t>(j - i));
      i = j;
    }
    out.entries_.push_back(std::move(entry));  // mappings() is sorted by class
  }
  return out;
}

int64_t DeviceCeilings::PerDevice(std::string_view device_class) const {
  for (const Entry& e : entries_) {
    if (e.device_class == device_class) return e.per_device;
  }
  return 0;
}

int64_t DeviceCeilings::LargestPool(std::string_view device_class) const {
  for (const Entry& e : entries_) {
    if (e.device_class == device_class) return e.largest_pool;
  }
  return 0;
}

ClaimCharge ChargeClaimRequests(const DeviceChargeConfig& config, const DeviceCeilings& ceilings,
                                std::span<const DeviceRequest> requests) {
  if (static_cast<int64_t>(requests.size()) > kMaxClaimRequests) {
    return Refuse(ClaimChargeCode::kTooManyRequests, "", "", static_cast<int64_t>(requests.size()),
                  kMaxClaimRequests);
  }
  ClaimCharge out;
  int64_t claim_devices = 0;
  for (const DeviceRequest& request : requests) {
    if (static_cast<int64_t>(request.alternatives.size()) > kMaxAlternatives) {
      return Refuse(ClaimChargeCode::kTooManyRequests, request.name, "",
                    static_cast<int64_t>(request.alternatives.size()), kMaxAlternatives);
    }
    // The most expensive alternative, per resource; the most devices any of them takes.
    ResourceList request_charge;
    int64_t request_min_devices = kMaxClaimDevices;  // the fewest any alternative takes
    for (const DeviceSubRequest& sub : request.alternatives) {
      ResourceList alternative;
      int64_t devices = 0;
      ClaimCharge refusal;
      if (!ChargeAlternative(config, ceilings, request, sub, &alternative, &devices, &out.estimated,
                             &out.unmapped, &refusal)) {
        return refusal;
      }
      request_charge.MaxWith(alternative);
      const int64_t fewest = sub.mode == AllocationMode::kAll ? 1 : devices;
      request_min_devices = std::min(request_min_devices, fewest);
    }
    if (request.alternatives.size() > 1) out.estimated = true;
    if (!request.alternatives.empty()) claim_devices += request_min_devices;  // <= 32 x 32
    for (const ResourceAmount& amount : request_charge) {
      if (!AddChecked(&out.charge, amount.name, amount.amount)) {
        return Refuse(ClaimChargeCode::kOverflow, request.name, "", amount.amount, 0);
      }
    }
  }
  // Even the cheapest alternatives (All: one device) need more than an allocation holds.
  if (claim_devices > kMaxClaimDevices) {
    return Refuse(ClaimChargeCode::kTooManyDevices, "", "", claim_devices, kMaxClaimDevices);
  }
  return out;
}

ClaimCharge ChargeClaimAllocation(const DeviceChargeConfig& config,
                                  std::span<const DeviceRequest> requests,
                                  std::span<const AllocatedDevice> allocation) {
  if (static_cast<int64_t>(allocation.size()) > kMaxClaimDevices) {
    return Refuse(ClaimChargeCode::kTooManyDevices, "", "", static_cast<int64_t>(allocation.size()),
                  kMaxClaimDevices);
  }
  ClaimCharge out;
  for (const AllocatedDevice& result : allocation) {
    const DeviceSubRequest* sub = FindAlternative(requests, result.request);
    if (sub == nullptr) return Refuse(ClaimChargeCode::kUnknownRequest, result.request, "", 0, 0);
    if (result.admin_access || sub->admin_access) continue;
    const DeviceClassMapping* mapping = config.Find(sub->device_class);
    if (mapping == nullptr) {
      auto it = std::find_if(out.unmapped.begin(), out.unmapped.end(), [&](const auto& u) {
        return u.request == result.request && u.device_class == sub->device_class;
      });
      if (it == out.unmapped.end()) {
        out.unmapped.push_back({result.request, sub->device_class, 1});
      } else {
        ++it->devices;
      }
      continue;
    }
    auto refuse_device = [&](ClaimChargeCode code) {
      ClaimCharge refusal = Refuse(code, result.request, sub->device_class, 0, 0);
      refusal.device = fmt::format("{}/{}/{}", result.driver, result.pool, result.device);
      return refusal;
    };
    std::optional<int64_t> amount;
    if (mapping->mode == DeviceChargeMode::kDevices) {
      amount = 1;
    } else if (mapping->mode == DeviceChargeMode::kCapacity &&
               result.consumed_capacity.Has(mapping->source)) {
      amount = result.consumed_capacity.Get(mapping->source);
    } else if (!result.published) {
      return refuse_device(ClaimChargeCode::kUnknownDevice);
    } else {
      amount = PerDeviceAmount(*mapping, *result.published);
      if (!amount) return refuse_device(ClaimChargeCode::kNoAmount);
    }
    if (!AddChecked(&out.charge, mapping->resource, *amount)) {
      return Refuse(ClaimChargeCode::kOverflow, result.request, sub->device_class, *amount, 0);
    }
  }
  return out;
}

std::string_view ClaimChargeCodeName(ClaimChargeCode code) {
  switch (code) {
    case ClaimChargeCode::kCharged: return "charged";
    case ClaimChargeCode::kTooManyRequests: return "too_many_requests";
    case ClaimChargeCode::kInvalidCount: return "invalid_count";
    case ClaimChargeCode::kTooManyDevices: return "too_many_devices";
    case ClaimChargeCode::kOverflow: return "overflow";
    case ClaimChargeCode::kNoEstimate: return "no_estimate";
    case ClaimChargeCode::kUnknownRequest: return "unknown_request";
    case ClaimChargeCode::kUnknownDevice: return "unknown_device";
    case ClaimChargeCode::kNoAmount: return "no_amount";
  }
  return "unknown";
}

std::string FormatClaimRefusal(const ClaimCharge& c) {
  const std::string where =
      c.request.empty() ? std::string("claim") : fmt::format("claim request {}", c.request);
  switch (c.code) {
    case ClaimChargeCode::kCharged: return "";
    case ClaimChargeCode::kTooManyRequests:
      return fmt::format("{}: {} requests or alternatives > {}", where, c.value, c.limit);
    case ClaimChargeCode::kInvalidCount: return fmt::format("{}: count {} < 1", where, c.value);
    case ClaimChargeCode::kTooManyDevices:
      return fmt::format("{}: {} devices > {} devices a claim can hold", where, c.value, c.limit);
    case ClaimChargeCode::kOverflow:
      return fmt::format("{}: device class {}: charge out of range", where, c.device_class);
    case ClaimChargeCode::kNoEstimate:
      return fmt::format("{}: device class {}: no published device says what one device takes",
                         where, c.device_class);
    case ClaimChargeCode::kUnknownRequest:
      return fmt::format("{}: the allocation names no request of the claim", where);
    case ClaimChargeCode::kUnknownDevice:
      return fmt::format("{}: device {} is in no ResourceSlice", where, c.device);
    case ClaimChargeCode::kNoAmount:
      return fmt::format("{}: device class {}: device {} publishes no amount to charge", where,
                         c.device_class, c.device);
  }
  return "";
}

}  // namespace quotient::quota
