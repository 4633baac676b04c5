#include "quota/resource_list.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quota/quantity.h"

namespace quotient::quota {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? kInt64Max : kInt64Min;
}

// |amount| as uint64 (well defined for INT64_MIN).
uint64_t Magnitude(int64_t amount) {
  return amount < 0 ? uint64_t{0} - static_cast<uint64_t>(amount) : static_cast<uint64_t>(amount);
}

// The first entry whose name is not less than `name` (entries are sorted by name).
template <typename Vector>
auto LowerBound(Vector& entries, std::string_view name) {
  return std::lower_bound(
      entries.begin(), entries.end(), name,
      [](const ResourceAmount& entry, std::string_view key) { return entry.name < key; });
}

}  // namespace

bool IsMilliResource(std::string_view resource) {
  return resource == kResourceCpu;
}

bool ParseResourceAmount(std::string_view resource, std::string_view quantity, int64_t* amount,
                         std::string* error) {
  Quantity parsed;
  if (!Quantity::Parse(quantity, &parsed, error)) return false;
  if (parsed.IsNegative()) {
    *error = "must not be negative";
    return false;
  }
  int64_t value = 0;
  if (!parsed.ScaledValue(IsMilliResource(resource) ? 3 : 0, &value)) {
    *error = "out of range";
    return false;
  }
  *amount = value;
  return true;
}

std::string FormatResourceAmount(std::string_view resource, int64_t amount) {
  const uint64_t magnitude = Magnitude(amount);
  std::string out = amount < 0 ? "-" : "";
  if (IsMilliResource(resource)) {
    if (magnitude % 1000 == 0) {
      out += std::to_string(magnitude / 1000);
    } else {
      out += std::to_string(magnitude);
      out += 'm';
    }
    return out;
  }
  static constexpr std::array<std::string_view, 6> kBinarySuffixes = {"Ki", "Mi", "Gi",
                                                                      "Ti", "Pi", "Ei"};
  if (magnitude != 0) {
    for (int k = 6; k >= 1; --k) {
      const int bits = 10 * k;
      if (magnitude % (uint64_t{1} << bits) == 0) {
        out += std::to_string(magnitude >> bits);
        out += kBinarySuffixes[static_cast<size_t>(k - 1)];
        return out;
      }
    }
  }
  out += std::to_string(magnitude);
  return out;
}

ResourceList::ResourceList(std::initializer_list<std::pair<std::string_view, int64_t>> entries) {
  for (const auto& [name, amount] : entries) Set(name, amount);
}

void ResourceList::Set(std::string_view name, int64_t amount) {
  auto it = LowerBound(entries_, name);
  if (it != entries_.end() && it->name == name) {
    it->amount = amount;
    return;
  }
  entries_.insert(it, ResourceAmount{std::string(name), amount});
}

void ResourceList::Add(std::string_view name, int64_t amount) {
  auto it = LowerBound(entries_, name);
  if (it != entries_.end() && it->name == name) {
    it->amount = SaturatingAdd(it->amount, amount);
    return;
  }
  entries_.insert(it, ResourceAmount{std::string(name), amount});
}

int64_t ResourceList::Get(std::string_view name) const {
  auto it = LowerBound(entries_, name);
  return it != entries_.end() && it->name == name ? it->amount : 0;
}

bool ResourceList::Has(std::string_view name) const {
  auto it = LowerBound(entries_, name);
  return it != entries_.end() && it->name == name;
}

void ResourceList::Erase(std::string_view name) {
  auto it = LowerBound(entries_, name);
  if (it != entries_.end() && it->name == name) entries_.erase(it);
}

void ResourceList::AddAll(const ResourceList& other) {
  for (const ResourceAmount& entry : other.entries_) Add(entry.name, entry.amount);
}

void ResourceList::MaxWith(const ResourceList& other) {
  // Merge of two sorted lists; a name absent from one list counts as 0 there, as Get() says.
  std::vector<ResourceAmount> merged;
  merged.reserve(entries_.size() + other.entries_.size());
  auto mine = entries_.begin();
  auto theirs = other.entries_.begin();
  while (mine != entries_.end() || theirs != other.entries_.end()) {
    if (theirs == other.entries_.end() || (mine != entries_.end() && mine->name < theirs->name)) {
      merged.push_back({std::move(mine->name), std::max<int64_t>(mine->amount, 0)});
      ++mine;
    } else if (mine == entries_.end() || theirs->name < mine->name) {
      merged.push_back({theirs->name, std::max<int64_t>(theirs->amount, 0)});
      ++theirs;
    } else {
      merged.push_back({std::move(mine->name), std::max(mine->amount, theirs->amount)});
      ++mine;
      ++theirs;
    }
  }
  entries_ = std::move(merged);
}

std::string ResourceList::ToString() const {
  std::string out;
  for (const ResourceAmount& entry : entries_) {
    if (!out.empty()) out += ", ";
    out += entry.name;
    out += '=';
    out += FormatResourceAmount(entry.name, entry.amount);
  }
  return out;
}

}  // namespace quotient::quota
