#include "gpu/mig_churn.h"

#include <algorithm>
#include <bit>
#include <string>
#include <vector>

namespace quotient::gpu {
namespace {

// SplitMix64: small, fast and the same on every platform (std distributions are not).
uint64_t Next(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

MigChurn RunMigChurn(MigPolicy policy, int gpus, int events, uint64_t seed) {
  static constexpr struct {
    const char* name;
    int weight;
  } kMix[] = {{"1g.5gb", 30},  {"1g.10gb", 10}, {"2g.10gb", 25},
              {"3g.20gb", 20}, {"4g.20gb", 10}, {"7g.40gb", 5}};
  std::vector<std::string> warnings;
  NodeGpus node(BuildNodeInventory({{"nvidia.com/gpu.product", "NVIDIA-A100-SXM4-40GB"},
                                    {"nvidia.com/gpu.count", std::to_string(gpus)},
                                    {"cdmo.clear.ml/gpu-partitioning", "mig"}},
                                   {}, {}, BuiltinMigCatalog(), InventoryOptions{}, &warnings));
  const GpuModel& model = *node.inventory().model;
  const FitOptions options{.pack = std::nullopt, .mig = policy};
  MigChurn out;
  // departures[e]: the pods leaving before event e. Lifetimes are drawn at arrival, so
  // both policies see the same stream whatever they place.
  std::vector<std::vector<int64_t>> departures(static_cast<size_t>(events) + 1);
  const int max_lifetime = 6 * gpus;
  double fragmentation_sum = 0;
  uint64_t state = seed;
  for (int e = 0; e < events; ++e) {
    for (int64_t pod : departures[static_cast<size_t>(e)]) {
      node.Release("pod-" + std::to_string(pod));
    }
    int roll = static_cast<int>(Next(&state) % 100);
    const int lifetime = 1 + static_cast<int>(Next(&state) % static_cast<uint64_t>(max_lifetime));
    const char* profile = kMix[0].name;
    for (const auto& m : kMix) {
      if (roll < m.weight) {
        profile = m.name;
        break;
      }
      roll -= m.weight;
    }
    GpuRequest request;
    request.kind = GpuRequestKind::kMig;
    request.count = 1;
    request.profile = profile;
    ++out.requests;
    const GpuFit fit = FitGpuRequest(node, request, options);
    if (fit.fits()) {
      ++out.placed;
      node.Assign("pod-" + std::to_string(e), fit.assignment);
      departures[static_cast<size_t>(std::min(e + lifetime, events))].push_back(e);
    } else {
      const int p = model.FindProfile(profile);
      const MigProfile& mp = model.profiles[static_cast<size_t>(p)];
      bool room = false;
      for (const GpuUse& use : node.use()) {
        room = room || (model.memory_slices - std::popcount(use.mask) >= mp.memory_slices &&
                        use.count[static_cast<size_t>(p)] < mp.max_instances &&
                        use.instances < model.max_instances);
      }
      ++(room ? out.refused_with_room : out.refused_full);
    }
    fragmentation_sum += NodeFragmentation(node);
  }
  out.mean_fragmentation = out.requests == 0 ? 0.0 : fragmentation_sum / out.requests;
  return out;
}

double NodeFragmentation(const NodeGpus& node) {
  const GpuModel* model = node.inventory().model;
  if (model == nullptr || !model->mig_capable()) return 0.0;
  int free = 0;
  int usable = 0;
  for (size_t i = 0; i < node.use().size(); ++i) {
    if (node.inventory().gpus[i].mode != GpuMode::kMigDynamic) continue;
    const uint8_t mask = node.use()[i].mask;
    free += model->memory_slices - std::popcount(mask);
    usable += model->geometry.largest[mask];
  }
  return free == 0 ? 0.0 : 1.0 - static_cast<double>(usable) / free;
}

}  // namespace quotient::gpu
