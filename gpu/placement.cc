#include "gpu/placement.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

namespace quotient::gpu {
namespace {

int Clamp10(double x) {
  const int v = static_cast<int>(std::lround(x));
  return v < 0 ? 0 : (v > 10 ? 10 : v);
}

bool ModelMatches(const NodeGpuInventory& inv, const GpuRequest& request) {
  if (request.model.empty()) return true;
  if (request.catalog_model != nullptr && request.catalog_model == inv.model) return true;
  return !inv.model_canonical.empty() && inv.model_canonical == request.model_canonical;
}

PackPolicy PackOf(const NodeGpus& node, const FitOptions& options) {
  return options.pack.value_or(node.inventory().pack);
}

bool WholeCapable(const GpuDevice& gpu) {
  return gpu.mode == GpuMode::kExclusive || gpu.mode == GpuMode::kShared;
}

GpuFit FitWhole(const NodeGpus& node, const GpuRequest& request, const FitOptions& options) {
  const NodeGpuInventory& inv = node.inventory();
  GpuFit fit;
  fit.want = request.count;
  uint64_t free = 0;
  int usable = 0;
  int busy = 0;
  for (size_t i = 0; i < inv.gpus.size(); ++i) {
    if (!WholeCapable(inv.gpus[i])) continue;
    ++usable;
    if (node.use()[i].idle()) {
      free |= uint64_t{1} << i;
    } else {
      ++busy;
    }
  }
  fit.have = std::popcount(free);
  if (usable == 0) {
    fit.code = FitCode::kNoGpus;
    return fit;
  }
  if (request.count > usable) {
    fit.code = FitCode::kExceedsNode;
    fit.have = usable;
    return fit;
  }
  if (fit.have < request.count) {
    fit.code = FitCode::kWholeGpus;
    return fit;
  }
  uint64_t chosen = 0;
  const bool links = !inv.links.empty() && request.count > 1;
  if (!links) {
    uint64_t rest = free;
    for (int64_t k = 0; k < request.count; ++k) {
      const uint64_t low = rest & (~rest + 1);
      chosen |= low;
      rest &= rest - 1;
    }
  } else {
    // Greedy best-connected set: the best pair, then the GPU adding the most link score.
    int best_a = -1;
    int best_b = -1;
    int best = -1;
    for (uint64_t a = free; a != 0; a &= a - 1) {
      for (uint64_t b = a & (a - 1); b != 0; b &= b - 1) {
        const int x = std::countr_zero(a);
        const int y = std::countr_zero(b);
        if (inv.Link(x, y) > best) {
          best = inv.Link(x, y);
          best_a = x;
          best_b = y;
        }
      }
    }
    chosen = (uint64_t{1} << best_a) | (uint64_t{1} << best_b);
    for (int64_t k = 2; k < request.count; ++k) {
      int pick = -1;
      int pick_score = -1;
      for (uint64_t c = free & ~chosen; c != 0; c &= c - 1) {
        const int x = std::countr_zero(c);
        int sum = 0;
        for (uint64_t s = chosen; s != 0; s &= s - 1) sum += inv.Link(x, std::countr_zero(s));
        if (sum > pick_score) {
          pick_score = sum;
          pick = x;
        }
      }
      chosen |= uint64_t{1} << pick;
    }
  }
  fit.assignment.kind = GpuRequestKind::kWhole;
  fit.assignment.gpus = chosen;
  const double packed = 10.0 * static_cast<double>(busy + request.count) / usable;
  double score = PackOf(node, options) == PackPolicy::kBinpack ? packed : 10.0 - packed;
  if (links) {
    int max_link = 0;
    for (uint16_t l : inv.links) max_link = l > max_link ? l : max_link;
    int64_t sum = 0;
    int pairs = 0;
    for (uint64_t a = chosen; a != 0; a &= a - 1) {
      for (uint64_t b = a & (a - 1); b != 0; b &= b - 1) {
        sum += inv.Link(std::countr_zero(a), std::countr_zero(b));
        ++pairs;
      }
    }
    const double link = max_link == 0 ? 0.0 : 10.0 * static_cast<double>(sum) / pairs / max_link;
    score = 0.7 * score + 0.3 * link;
  }
  fit.score = Clamp10(score);
  return fit;
}

GpuFit FitMemory(const NodeGpus& node, const GpuRequest& request, const FitOptions& options) {
  const NodeGpuInventory& inv = node.inventory();
  GpuFit fit;
  fit.want = request.share_units;
  int best = -1;
  int64_t best_free = 0;
  int64_t largest = 0;  // the most one GPU of the node offers, free or not
  bool any = false;
  for (size_t i = 0; i < inv.gpus.size(); ++i) {
    const GpuUse& use = node.use()[i];
    if (inv.gpus[i].mode != GpuMode::kShared || inv.gpus[i].share_units <= 0) continue;
    any = true;
    largest = std::max(largest, inv.gpus[i].share_units);
    if (use.whole || use.instances != 0) continue;
    const int64_t free = inv.gpus[i].share_units - use.share_used;
    if (free > fit.have) fit.have = free;
    if (free < request.share_units) continue;
    const bool better =
        best < 0 ||
        (PackOf(node, options) == PackPolicy::kBinpack ? free < best_free : free > best_free);
    if (better) {
      best = static_cast<int>(i);
      best_free = free;
    }
  }
  if (!any) {
    fit.code = FitCode::kNoSharing;
    return fit;
  }
  if (request.share_units > largest) {
    fit.code = FitCode::kExceedsNode;
    fit.have = largest;
    return fit;
  }
  if (best < 0) {
    fit.code = FitCode::kGpuMemory;
    return fit;
  }
  fit.assignment.kind = GpuRequestKind::kMemory;
  fit.assignment.gpus = uint64_t{1} << best;
  fit.assignment.share_units = request.share_units;
  const double total = static_cast<double>(inv.gpus[static_cast<size_t>(best)].share_units);
  const double after = static_cast<double>(best_free - request.share_units);
  fit.score = Clamp10(PackOf(node, options) == PackPolicy::kBinpack ? 10.0 * (total - after) / total
                                                                    : 10.0 * after / total);
  return fit;
}

// Where the next dynamic instance of profile `p` goes, given `use` (per GPU, including the
// request's earlier instances; `taken`: the GPUs holding them).
struct InstanceChoice {
  int gpu = -1;            // -1: no placement
  int k = -1;              // index into the profile's starts
  bool under_max = false;  // some GPU is below the profile's and the model's limits
  int largest = 0;         // largest placeable slices on any GPU that can take instances
};

InstanceChoice ChooseInstance(const NodeGpuInventory& inv, const std::vector<GpuUse>& use, size_t p,
                              uint64_t taken, MigPolicy policy) {
  const GpuModel& model = *inv.model;
  const MigProfile& profile = model.profiles[p];
  const MigGeometry& geometry = model.geometry;
  InstanceChoice best;
  uint64_t best_loss = 0;
  int best_used = 0;
  int best_dead = 0;
  bool best_taken = false;
  for (size_t i = 0; i < inv.gpus.size(); ++i) {
    if (inv.gpus[i].mode != GpuMode::kMigDynamic) continue;
    const GpuUse& u = use[i];
    if (u.whole || u.sharers != 0) continue;
    if (geometry.largest[u.mask] > best.largest) best.largest = geometry.largest[u.mask];
    if (u.count[p] >= profile.max_instances || u.instances >= model.max_instances ||
        (profile.media_extensions && u.media > 0)) {
      continue;
    }
    best.under_max = true;
    uint8_t free = geometry.free_starts[u.mask][p];
    const int used_slices = std::popcount(u.mask);
    const bool mine = (taken >> i & 1) != 0;
    for (; free != 0; free = static_cast<uint8_t>(free & (free - 1))) {
      const int k = std::countr_zero(free);
      if (policy == MigPolicy::kFirstFit) {
        best.gpu = static_cast<int>(i);
        best.k = k;
        break;
      }
      const uint8_t after = static_cast<uint8_t>(u.mask | geometry.span[p][static_cast<size_t>(k)]);
      const uint64_t loss = geometry.headroom[u.mask] - geometry.headroom[after];
      const int dead = geometry.dead[after];
      // Dead slices, then headroom lost; on a tie a GPU the request already uses (fewer
      // GPUs per pod), then the fuller GPU; strict comparisons keep the lower index/start.
      bool better = best.gpu < 0 || dead < best_dead;
      if (!better && dead == best_dead) {
        better = loss < best_loss ||
                 (loss == best_loss && (mine != best_taken ? mine : used_slices > best_used));
      }
      if (better) {
        best.gpu = static_cast<int>(i);
        best.k = k;
        best_dead = dead;
        best_loss = loss;
        best_used = used_slices;
        best_taken = mine;
      }
    }
    if (policy == MigPolicy::kFirstFit && best.gpu >= 0) break;
  }
  return best;
}

// Static devices of the profile plus, on partitionable GPUs, the per-GPU limit: the
// profile's, the model's and what its memory slices allow.
int64_t MostMigInstances(const NodeGpuInventory& inv, const MigProfile& profile,
                         int64_t static_total) {
  const GpuModel& model = *inv.model;
  int64_t per_gpu = std::min(profile.max_instances, model.max_instances);
  if (profile.memory_slices > 0) {
    per_gpu = std::min<int64_t>(per_gpu, model.memory_slices / profile.memory_slices);
  }
  return static_total + inv.CountMode(GpuMode::kMigDynamic) * std::max<int64_t>(per_gpu, 0);
}

GpuFit FitMig(const NodeGpus& node, const GpuRequest& request, const FitOptions& options) {
  const NodeGpuInventory& inv = node.inventory();
  const GpuModel* model = inv.model;
  GpuFit fit;
  fit.want = request.count;
  if (request.kind == GpuRequestKind::kFraction) {
    if (model == nullptr || !model->mig_capable()) {
      fit.code = inv.gpus.empty() ? FitCode::kNoGpus : FitCode::kNotMig;
      return fit;
    }
    fit.profile = model->ProfileForFraction(request.fraction_milli);
    if (fit.profile < 0) {
      fit.code = FitCode::kNoFraction;
      return fit;
    }
    fit.profile_name = model->profiles[static_cast<size_t>(fit.profile)].name;
  } else {
    fit.profile_name = request.profile;
    if (model != nullptr) fit.profile = model->FindProfile(request.profile);
  }
  // A device that already exists first: nothing has to be created. The devices a
  // mig-dynamic node advertises include the instances created for the dynamic assignments
  // it holds: those are taken (the instances not created yet count too, so the free count
  // may be low for a moment, never high).
  const int dynamic = inv.CountMode(GpuMode::kMigDynamic);
  const int64_t total = node.StaticMigTotal(fit.profile_name);
  int64_t used = node.StaticMigUsed(fit.profile_name);
  if (total > 0 && dynamic > 0) used += node.DynamicMigAssigned(fit.profile_name);
  if (total - used >= request.count) {
    fit.assignment.kind = GpuRequestKind::kMig;
    fit.assignment.static_profile = fit.profile_name;
    fit.assignment.count = request.count;
    fit.score = Clamp10(10.0 * static_cast<double>(used + request.count) / total);
    return fit;
  }
  if (dynamic == 0) {
    fit.have = total - used;
    fit.code = total > 0 ? FitCode::kStaticMig
                         : (inv.gpus.empty() && inv.static_mig.empty() ? FitCode::kNoGpus
                                                                       : FitCode::kNotMig);
    return fit;
  }
  if (fit.profile < 0) {
    fit.code = FitCode::kUnknownProfile;
    return fit;
  }
  const size_t p = static_cast<size_t>(fit.profile);
  const MigProfile& profile = model->profiles[p];
  // The most the node could hold were it empty bounds the count before anything below is
  // sized by it (a pod may ask for "2P" devices).
  const int64_t most = MostMigInstances(inv, profile, total);
  if (request.count > most) {
    fit.code = FitCode::kExceedsNode;
    fit.have = most;
    return fit;
  }
  // N instances, one at a time, each chosen on the use left by the earlier ones (so they
  // may land on different GPUs); all or nothing.
  // The use left by the earlier instances: a copy only when there are several (the hot
  // single-instance case reads the node's own).
  std::vector<GpuUse> scratch;
  if (request.count > 1) scratch = node.use();
  const std::vector<GpuUse>& use = request.count > 1 ? scratch : node.use();
  uint8_t single_after = 0;  // request.count == 1: the chosen GPU's mask after it
  uint64_t taken = 0;
  fit.assignment.instances.reserve(static_cast<size_t>(request.count));
  for (int64_t placed = 0; placed < request.count; ++placed) {
    const InstanceChoice c = ChooseInstance(inv, use, p, taken, options.mig);
    if (c.gpu < 0) {
      fit.code = c.under_max ? FitCode::kMigPlacement : FitCode::kMigInstances;
      fit.have = c.largest;
      fit.placed = placed;
      fit.assignment = GpuAssignment{};
      return fit;
    }
    const int start = profile.starts[static_cast<size_t>(c.k)];
    if (request.count > 1) {
      scratch[static_cast<size_t>(c.gpu)].AddInstance(profile, p, start);
    } else {
      single_after = static_cast<uint8_t>(use[static_cast<size_t>(c.gpu)].mask |
                                          model->geometry.span[p][static_cast<size_t>(c.k)]);
    }
    taken |= uint64_t{1} << c.gpu;
    fit.assignment.instances.push_back(MigSlot{c.gpu, fit.profile, start});
  }
  fit.placed = request.count;
  fit.assignment.kind = GpuRequestKind::kMig;
  fit.assignment.gpus = taken;
  // Today's per-GPU score of the state after all instances, averaged over the GPUs they
  // landed on (one GPU: exactly the single-instance score).
  double score = 0.0;
  for (uint64_t set = taken; set != 0; set &= set - 1) {
    const uint8_t after =
        request.count > 1 ? use[static_cast<size_t>(std::countr_zero(set))].mask : single_after;
    score += 5.0 * std::popcount(after) / model->memory_slices +
             5.0 * (1.0 - Fragmentation(*model, after));
  }
  fit.score = taken == 0 ? 0 : Clamp10(score / std::popcount(taken));
  return fit;
}

}  // namespace

std::string_view FitCodeName(FitCode code) {
  switch (code) {
    case FitCode::kFits: return "fits";
    case FitCode::kWrongModel: return "wrong_model";
    case FitCode::kNoGpus: return "no_gpus";
    case FitCode::kWholeGpus: return "whole_gpus";
    case FitCode::kNoSharing: return "no_sharing";
    case FitCode::kGpuMemory: return "gpu_memory";
    case FitCode::kNotMig: return "not_mig";
    case FitCode::kUnknownProfile: return "unknown_profile";
    case FitCode::kNoFraction: return "no_fraction";
    case FitCode::kMigInstances: return "mig_instances";
    case FitCode::kMigPlacement: return "mig_placement";
    case FitCode::kStaticMig: return "static_mig";
    case FitCode::kExceedsNode: return "exceeds_node";
  }
  return "fits";
}

GpuFit FitGpuRequest(const NodeGpus& node, const GpuRequest& request, const FitOptions& options) {
  if (!ModelMatches(node.inventory(), request)) {
    GpuFit fit;
    fit.code = FitCode::kWrongModel;
    return fit;
  }
  switch (request.kind) {
    case GpuRequestKind::kNone: return GpuFit{};
    case GpuRequestKind::kWhole: return FitWhole(node, request, options);
    case GpuRequestKind::kMemory: return FitMemory(node, request, options);
    case GpuRequestKind::kMig:
    case GpuRequestKind::kFraction: return FitMig(node, request, options);
  }
  return GpuFit{};
}

}  // namespace quotient::gpu
