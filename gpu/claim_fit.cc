#include "gpu/claim_fit.h"

#include <fmt/format.h>

#include <unordered_map>
#include <unordered_set>

namespace quotient::gpu {
namespace {

// The node's devices while requests are served: which are taken, what counters are left.
// Copied per alternative tried (a node publishes at most a few hundred devices).
struct Pool {
  const std::vector<quota::PublishedDevice>* devices = nullptr;
  std::vector<bool> taken;
  std::unordered_map<std::string, quota::ResourceList> available;  // "driver/pool/set"

  bool Free(size_t i) const {
    if (taken[i]) return false;
    const quota::PublishedDevice& d = (*devices)[i];
    for (const quota::CounterConsumption& c : d.consumes) {
      auto it = available.find(DeviceKey(d.driver, d.pool, c.counter_set));
      // A counter set not published (its slice not seen): not known to be free.
      if (it == available.end()) return false;
      for (const auto& counter : c.counters) {
        if (it->second.Get(counter.name) < counter.amount) return false;
      }
    }
    return true;
  }
  void Take(size_t i) {
    taken[i] = true;
    const quota::PublishedDevice& d = (*devices)[i];
    for (const quota::CounterConsumption& c : d.consumes) {
      auto it = available.find(DeviceKey(d.driver, d.pool, c.counter_set));
      if (it == available.end()) continue;
      for (const auto& counter : c.counters) it->second.Add(counter.name, -counter.amount);
    }
  }
};

bool Matches(const quota::DeviceChargeConfig& config, const quota::DeviceSubRequest& sub,
             const quota::PublishedDevice& device) {
  const quota::DeviceClassMapping* mapping = config.Find(sub.device_class);
  return mapping == nullptr || mapping->driver.empty() || mapping->driver == device.driver;
}

// Serves one alternative on `pool`; on failure says how many matching devices were free.
bool Serve(const quota::DeviceChargeConfig& config, const quota::DeviceSubRequest& sub, Pool* pool,
           int64_t* wanted, int64_t* free) {
  *wanted = sub.mode == quota::AllocationMode::kAll ? 0 : sub.count;
  *free = 0;
  if (sub.admin_access) return true;
  const size_t n = pool->devices->size();
  if (sub.mode == quota::AllocationMode::kAll) {
    bool all_free = true;
    for (size_t i = 0; i < n; ++i) {
      if (!Matches(config, sub, (*pool->devices)[i])) continue;
      ++*wanted;
      if (pool->Free(i)) {
        ++*free;
      } else {
        all_free = false;
      }
    }
    if (!all_free || *wanted == 0) return false;
    for (size_t i = 0; i < n; ++i) {
      if (!Matches(config, sub, (*pool->devices)[i])) continue;
      if (!pool->Free(i)) return false;  // counters two of them share
      pool->Take(i);
    }
    return true;
  }
  for (size_t i = 0; i < n && *free < sub.count; ++i) {
    if (!Matches(config, sub, (*pool->devices)[i]) || !pool->Free(i)) continue;
    pool->Take(i);
    ++*free;
  }
  return *free >= sub.count;
}

// Serves `request` (its first alternative that can be); on failure leaves `pool` as it was
// and fills `fit` from the first alternative.
bool ServeRequest(const quota::DeviceChargeConfig& config, const quota::DeviceRequest& request,
                  Pool* pool, ClaimFit* fit) {
  ClaimFit first;
  for (size_t a = 0; a < request.alternatives.size(); ++a) {
    Pool trial = *pool;
    int64_t wanted = 0, free = 0;
    if (Serve(config, request.alternatives[a], &trial, &wanted, &free)) {
      *pool = std::move(trial);
      return true;
    }
    if (a == 0) {
      first = ClaimFit{false, request.name, request.alternatives[a].device_class, wanted, free, {}};
    }
  }
  if (request.alternatives.empty()) return true;
  if (fit != nullptr) *fit = std::move(first);
  return false;
}

}  // namespace

std::string DeviceKey(std::string_view driver, std::string_view pool, std::string_view device) {
  return fmt::format("{}/{}/{}", driver, pool, device);
}

ClaimFit FitClaims(const quota::DeviceChargeConfig& config, const ClaimFitNode& node,
                   std::span<const quota::DeviceRequest> held,
                   std::span<const quota::DeviceRequest> requests) {
  Pool pool;
  pool.devices = &node.devices;
  pool.taken.assign(node.devices.size(), false);
  for (const DeviceCounterSet& set : node.counter_sets) {
    pool.available[DeviceKey(set.driver, set.pool, set.name)] = set.counters;
  }
  const std::unordered_set<std::string> in_use(node.in_use.begin(), node.in_use.end());
  for (size_t i = 0; i < node.devices.size(); ++i) {
    const quota::PublishedDevice& d = node.devices[i];
    if (in_use.contains(DeviceKey(d.driver, d.pool, d.name))) pool.Take(i);
  }
  for (const quota::DeviceRequest& request : held) ServeRequest(config, request, &pool, nullptr);
  const std::vector<bool> before = pool.taken;
  ClaimFit fit;
  for (const quota::DeviceRequest& request : requests) {
    if (!ServeRequest(config, request, &pool, &fit)) return fit;
  }
  for (size_t i = 0; i < node.devices.size(); ++i) {
    if (pool.taken[i] && !before[i]) {
      const quota::PublishedDevice& d = node.devices[i];
      fit.devices.push_back(DeviceKey(d.driver, d.pool, d.name));
    }
  }
  return fit;
}

std::string FormatClaimFit(const ClaimFit& fit) {
  if (fit.fits) return {};
  return fmt::format("claim request {} (device class {}): {} device{}, {} free", fit.request,
                     fit.device_class, fit.wanted, fit.wanted == 1 ? "" : "s", fit.free);
}

}  // namespace quotient::gpu
