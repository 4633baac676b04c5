#include "gpu/inventory.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

namespace quotient::gpu {
namespace {

const std::string* Find(const StringPairs& pairs, std::string_view key) {
  for (const auto& [k, v] : pairs) {
    if (k == key) return &v;
  }
  return nullptr;
}

bool ParseInt(std::string_view text, int64_t* out) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && *out >= 0;
}

int64_t LabelInt(const StringPairs& labels, std::string_view key) {
  int64_t value = 0;
  const std::string* text = Find(labels, key);
  return text != nullptr && ParseInt(*text, &value) ? value : 0;
}

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t at = text.find(sep);
    std::string_view part = text.substr(0, at);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.push_back(part);
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return out;
}

bool ParseMode(std::string_view text, GpuMode* mode) {
  static constexpr std::pair<std::string_view, GpuMode> kModes[] = {
      {"exclusive", GpuMode::kExclusive},
      {"shared", GpuMode::kShared},
      {"mig", GpuMode::kMig},
      {"mig-dynamic", GpuMode::kMigDynamic},
      {"unhealthy", GpuMode::kUnhealthy}};
  for (const auto& [name, value] : kModes) {
    if (text == name) {
      *mode = value;
      return true;
    }
  }
  return false;
}

// Applies quotient.io/gpu-layout to *inv; on error leaves it untouched and returns false.
bool ApplyLayout(std::string_view text, NodeGpuInventory* inv, std::string* error) {
  std::vector<GpuDevice> gpus = inv->gpus;
  for (std::string_view entry : Split(text, ';')) {
    std::vector<std::string_view> fields = Split(entry, ':');
    int64_t index = 0;
    if (fields.size() < 2 || fields.size() > 3 || !ParseInt(fields[0], &index) ||
        index >= kMaxGpusPerNode) {
      *error = fmt::format("entry \"{}\" is not <index>:<mode>[:<profile>@<start>,...]", entry);
      return false;
    }
    GpuMode mode;
    if (!ParseMode(fields[1], &mode)) {
      *error = fmt::format("GPU {}: unknown mode \"{}\"", index, fields[1]);
      return false;
    }
    if (static_cast<size_t>(index) >= gpus.size()) {
      for (size_t i = gpus.size(); i <= static_cast<size_t>(index); ++i) {
        GpuDevice added;
        added.index = static_cast<int>(i);
        gpus.push_back(std::move(added));
      }
    }
    GpuDevice& gpu = gpus[static_cast<size_t>(index)];
    gpu.mode = mode;
    gpu.existing.clear();
    if (fields.size() < 3) continue;
    if ((mode != GpuMode::kMig && mode != GpuMode::kMigDynamic) || inv->model == nullptr ||
        !inv->model->mig_capable()) {
      *error = fmt::format("GPU {}: instances listed but it is not a known MIG GPU", index);
      return false;
    }
    for (std::string_view instance : Split(fields[2], ',')) {
      size_t at = instance.find('@');
      int64_t start = 0;
      int profile =
          at == std::string_view::npos ? -1 : inv->model->FindProfile(instance.substr(0, at));
      if (profile < 0 || !ParseInt(instance.substr(at + 1), &start)) {
        *error = fmt::format("GPU {}: \"{}\" is not a {} <profile>@<start>", index, instance,
                             inv->model->key);
        return false;
      }
      const std::vector<int>& starts = inv->model->profiles[static_cast<size_t>(profile)].starts;
      if (std::find(starts.begin(), starts.end(), start) == starts.end()) {
        *error = fmt::format("GPU {}: {} may not start at slice {}", index, instance.substr(0, at),
                             start);
        return false;
      }
      gpu.existing.push_back(MigInstance{profile, static_cast<int>(start)});
    }
  }
  inv->gpus = std::move(gpus);
  return true;
}

bool ApplyLinks(std::string_view text, NodeGpuInventory* inv, std::string* error) {
  const size_t n = inv->gpus.size();
  std::vector<uint16_t> links(n * n, 0);
  for (std::string_view entry : Split(text, ',')) {
    size_t dash = entry.find('-');
    size_t eq = entry.find('=');
    int64_t a = 0;
    int64_t b = 0;
    if (dash == std::string_view::npos || eq == std::string_view::npos || eq < dash ||
        !ParseInt(entry.substr(0, dash), &a) ||
        !ParseInt(entry.substr(dash + 1, eq - dash - 1), &b) || static_cast<size_t>(a) >= n ||
        static_cast<size_t>(b) >= n || a == b) {
      *error = fmt::format("entry \"{}\" is not <gpu>-<gpu>=<topo> over GPUs 0..{}", entry,
                           n == 0 ? 0 : n - 1);
      return false;
    }
    uint16_t score = LinkScore(entry.substr(eq + 1));
    if (score == 0) {
      *error = fmt::format("entry \"{}\": unknown link \"{}\"", entry, entry.substr(eq + 1));
      return false;
    }
    links[static_cast<size_t>(a) * n + static_cast<size_t>(b)] = score;
    links[static_cast<size_t>(b) * n + static_cast<size_t>(a)] = score;
  }
  inv->links = std::move(links);
  return true;
}

}  // namespace

std::string_view GpuModeName(GpuMode mode) {
  switch (mode) {
    case GpuMode::kExclusive: return "exclusive";
    case GpuMode::kShared: return "shared";
    case GpuMode::kMig: return "mig";
    case GpuMode::kMigDynamic: return "mig-dynamic";
    case GpuMode::kUnhealthy: return "unhealthy";
  }
  return "exclusive";
}

int NodeGpuInventory::CountMode(GpuMode mode) const {
  return static_cast<int>(std::count_if(gpus.begin(), gpus.end(),
                                        [mode](const GpuDevice& g) { return g.mode == mode; }));
}

uint16_t NodeGpuInventory::Link(int a, int b) const {
  const size_t n = gpus.size();
  if (links.size() != n * n || a < 0 || b < 0 || static_cast<size_t>(a) >= n ||
      static_cast<size_t>(b) >= n) {
    return 0;
  }
  return links[static_cast<size_t>(a) * n + static_cast<size_t>(b)];
}

uint16_t LinkScore(std::string_view topo) {
  if (topo.size() > 2 && (topo.substr(0, 2) == "NV" || topo.substr(0, 2) == "nv")) {
    int64_t n = 0;
    return ParseInt(topo.substr(2), &n) && n > 0 && n <= 600 ? static_cast<uint16_t>(100 * n) : 0;
  }
  static constexpr std::pair<std::string_view, uint16_t> kPcie[] = {
      {"PIX", 60}, {"PXB", 50}, {"PHB", 40}, {"NODE", 30}, {"SYS", 10}};
  for (const auto& [name, score] : kPcie) {
    if (topo == name) return score;
  }
  return 0;
}

std::string_view PackPolicyName(PackPolicy policy) {
  return policy == PackPolicy::kSpread ? "spread" : "binpack";
}

bool ParsePackPolicy(std::string_view text, PackPolicy* out) {
  if (text == "binpack") {
    *out = PackPolicy::kBinpack;
  } else if (text == "spread") {
    *out = PackPolicy::kSpread;
  } else {
    return false;
  }
  return true;
}

NodeGpuInventory BuildNodeInventory(const StringPairs& labels, const StringPairs& annotations,
                                    const quota::ResourceList& allocatable,
                                    const MigCatalog& catalog, const InventoryOptions& options,
                                    std::vector<std::string>* warnings) {
  NodeGpuInventory inv;
  inv.share_unit_mib = options.share_unit_mib;
  inv.pack = options.pack;
  if (const std::string* pack = Find(labels, options.placement_label); pack != nullptr) {
    if (!ParsePackPolicy(*pack, &inv.pack)) {
      warnings->push_back(fmt::format("label {}=\"{}\" is neither binpack nor spread; using {}",
                                      options.placement_label, *pack,
                                      PackPolicyName(options.pack)));
    }
  }
  const std::string* product = Find(labels, "nvidia.com/gpu.product");
  const std::string* type = Find(labels, options.model_label);
  if (product != nullptr) inv.model = catalog.Find(*product);
  if (inv.model == nullptr && type != nullptr) inv.model = catalog.Find(*type);
  if (inv.model != nullptr) {
    inv.model_name = inv.model->key;
  } else if (type != nullptr) {
    inv.model_name = *type;
  } else if (product != nullptr) {
    inv.model_name = *product;
  }
  inv.model_canonical = CanonicalModelName(inv.model_name);
  inv.memory_mib = LabelInt(labels, "nvidia.com/gpu.memory");
  if (inv.memory_mib == 0 && inv.model != nullptr) inv.memory_mib = inv.model->memory_mib;

  for (const quota::ResourceAmount& r : allocatable) {
    if (r.name.starts_with(kMigResourcePrefix) && r.amount > 0) {
      inv.static_mig.emplace_back(r.name.substr(kMigResourcePrefix.size()), r.amount);
    }
  }
  const int64_t counted = LabelInt(labels, "nvidia.com/gpu.count");
  const int64_t whole = allocatable.Get(quota::kResourceNvidiaGpu);
  inv.device_plugin_gpus = whole;
  const int64_t share_total = allocatable.Get(kResourceGpuMem);
  const std::string* partitioning = Find(labels, options.dynamic_mig_label);
  const bool dynamic = partitioning != nullptr && *partitioning == options.dynamic_mig_value &&
                       inv.model != nullptr && inv.model->mig_capable();
  auto add = [&](int64_t n, GpuMode mode) {
    for (int64_t i = 0; i < n && inv.gpus.size() < kMaxGpusPerNode; ++i) {
      GpuDevice added;
      added.index = static_cast<int>(inv.gpus.size());
      added.mode = mode;
      inv.gpus.push_back(std::move(added));
    }
  };
  if (dynamic) {
    add(std::max<int64_t>({counted, whole, 1}), GpuMode::kMigDynamic);
  } else if (share_total > 0) {
    int64_t n = allocatable.Get(kResourceGpuCount);
    if (n <= 0) n = counted > 0 ? counted : std::max<int64_t>(whole, 1);
    add(n, GpuMode::kShared);
    for (size_t i = 0; i < inv.gpus.size(); ++i) {
      // gpushare splits the node's memory evenly; a remainder goes to the first GPUs.
      const int64_t count = static_cast<int64_t>(inv.gpus.size());
      inv.gpus[i].share_units =
          share_total / count + (static_cast<int64_t>(i) < share_total % count ? 1 : 0);
    }
    // Saturated: allocatable is any quantity a node reports ("627Pi" units).
    if (inv.memory_mib == 0 &&
        __builtin_mul_overflow(share_total / n, options.share_unit_mib, &inv.memory_mib)) {
      inv.memory_mib = std::numeric_limits<int64_t>::max();
    }
  } else {
    add(whole, GpuMode::kExclusive);
    if (!inv.static_mig.empty()) {
      add(std::max<int64_t>(counted - whole, 0), GpuMode::kMig);
    } else if (counted > whole && allocatable.Has(quota::kResourceNvidiaGpu)) {
      // The device plugin withdraws unhealthy devices from allocatable. Without a device
      // plugin (no nvidia.com/gpu at all: a DRA node) the GPUs are not Quotient's to place.
      add(counted - whole, GpuMode::kUnhealthy);
    }
  }

  std::string error;
  if (const std::string* layout = Find(annotations, kLayoutAnnotation); layout != nullptr) {
    if (!ApplyLayout(*layout, &inv, &error)) {
      warnings->push_back(fmt::format("{} ignored: {}", kLayoutAnnotation, error));
    }
  }
  if (const std::string* links = Find(annotations, kLinksAnnotation); links != nullptr) {
    if (!ApplyLinks(*links, &inv, &error)) {
      warnings->push_back(fmt::format("{} ignored: {}", kLinksAnnotation, error));
    }
  }
  return inv;
}

}  // namespace quotient::gpu
