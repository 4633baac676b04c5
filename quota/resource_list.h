// Resource amounts keyed by resource name, in exact integer units.
//
// Canonical units: `cpu` is counted in millicores; every other resource ("memory",
// "pods", "nvidia.com/gpu", "ephemeral-storage", ...) in whole units (bytes for memory
// and storage), rounded up exactly as kube-scheduler does (Quantity.MilliValue() for
// cpu, Quantity.Value() otherwise).
//
// Thread safety: value type (thread-compatible). Copy freely; the typical list holds
// 2-6 entries, stored sorted by name in a small vector.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace quotient::quota {

inline constexpr std::string_view kResourceCpu = "cpu";
inline constexpr std::string_view kResourceMemory = "memory";
inline constexpr std::string_view kResourcePods = "pods";
inline constexpr std::string_view kResourceNvidiaGpu = "nvidia.com/gpu";

// True for resources counted in milli-units (only cpu).
bool IsMilliResource(std::string_view resource);

// Parses a Kubernetes quantity for `resource` into its canonical unit.
// On failure returns false and sets *error to a short reason (no field path).
// Negative quantities are rejected: no request, capacity or quota may be negative.
// An amount that does not fit in int64 in its canonical unit is rejected ("out of range").
bool ParseResourceAmount(std::string_view resource, std::string_view quantity, int64_t* amount,
                         std::string* error);

// Formats an amount for humans and for reason strings, in Kubernetes quantity syntax:
//   cpu (millicores): a multiple of 1000 as whole cores, else millicores: 5000 -> "5",
//     500 -> "500m", 1500 -> "1500m";
//   other resources: a non-zero multiple of 1024^k uses the largest such binary suffix
//     (k = 1..6: Ki Mi Gi Ti Pi Ei), anything else is a plain integer:
//     64424509440 -> "60Gi", 1536 -> "1536", 1000 -> "1000", 0 -> "0".
// Negative amounts get a leading '-'. Exact: for a >= 0, ParseResourceAmount(r,
// FormatResourceAmount(r, a)) gives back a.
std::string FormatResourceAmount(std::string_view resource, int64_t amount);

struct ResourceAmount {
  std::string name;
  int64_t amount = 0;
  bool operator==(const ResourceAmount&) const = default;
};

class ResourceList {
 public:
  ResourceList() = default;
  ResourceList(std::initializer_list<std::pair<std::string_view, int64_t>> entries);

  // Sets `name` to `amount` (adds the entry if absent).
  void Set(std::string_view name, int64_t amount);
  // Adds `amount` to `name`, saturating at the int64 limits.
  void Add(std::string_view name, int64_t amount);
  // The amount of `name`, 0 if absent.
  int64_t Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  void Erase(std::string_view name);

  // this[r] += other[r] for every r in other (saturating).
  void AddAll(const ResourceList& other);
  // this[r] = max(this[r], other[r]) for every r in either list (an absent r counts as 0).
  void MaxWith(const ResourceList& other);

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

  // "cpu=5, memory=10Gi, nvidia.com/gpu=1" (canonical formatting, sorted by name).
  std::string ToString() const;

  bool operator==(const ResourceList&) const = default;

 private:
  std::vector<ResourceAmount> entries_;  // sorted by name, names unique
};

}  // namespace quotient::quota
