#include "gpu/node_gpus.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <limits>

#include "quota/dcheck.h"

namespace quotient::gpu {
namespace {

bool SameProfile(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = a[i] == '+' ? '.' : a[i];
    const char y = b[i] == '+' ? '.' : b[i];
    if (x != y) return false;
  }
  return true;
}

}  // namespace

int GpuAssignment::gpu() const {
  return gpus == 0 ? -1 : std::countr_zero(gpus);
}

NodeGpus::NodeGpus(NodeGpuInventory inventory) : inventory_(std::move(inventory)) {
  Recompute();
}

void NodeGpus::SetInventory(NodeGpuInventory inventory) {
  use_.reserve(inventory.gpus.size());  // the one allocation Recompute could need
  inventory_ = std::move(inventory);
  Recompute();
}

int64_t NodeGpus::StaticMigUsed(std::string_view profile) const {
  for (const auto& [name, used] : static_used_) {
    if (SameProfile(name, profile)) return used;
  }
  return 0;
}

int64_t NodeGpus::StaticMigTotal(std::string_view profile) const {
  for (const auto& [name, total] : inventory_.static_mig) {
    if (SameProfile(name, profile)) return total;
  }
  return 0;
}

int64_t NodeGpus::DynamicMigAssigned(std::string_view profile) const {
  const GpuModel* model = inventory_.model;
  if (model == nullptr) return 0;
  int64_t held = 0;
  for (const auto& [owner, assignment] : assignments_) {
    for (const MigSlot& slot : assignment.instances) {
      if (slot.profile >= 0 && static_cast<size_t>(slot.profile) < model->profiles.size() &&
          SameProfile(model->profiles[static_cast<size_t>(slot.profile)].name, profile)) {
        ++held;
      }
    }
  }
  return held;
}

bool NodeGpus::Assign(std::string_view owner, const GpuAssignment& assignment) {
  // Everything that allocates comes first (the counter of a static profile, the copy or
  // the map node); what follows does not allocate: the strong guarantee.
  PruneStaticUsed();
  if (assignment.kind == GpuRequestKind::kMig && !assignment.dynamic_mig() &&
      assignment.count > 0 && FindStaticUsed(assignment.static_profile) == nullptr) {
    static_used_.emplace_back(assignment.static_profile, 0);
  }
  auto it = assignments_.find(owner);
  if (it != assignments_.end()) {
    GpuAssignment copy = assignment;
    // Moving takes the copy's heap storage, or copies its one inline MIG slot into room the
    // target always has: no allocation.
    it->second = std::move(copy);
    Recompute();
    return true;
  }
  it = assignments_.emplace(std::string(owner), assignment).first;
  return Apply(it->second);
}

bool NodeGpus::Release(std::string_view owner) {
  auto it = assignments_.find(owner);
  if (it == assignments_.end()) return false;
  assignments_.erase(it);
  Recompute();
  return true;
}

size_t NodeGpus::ReleaseAll(const std::vector<std::string_view>& owners) {
  size_t released = 0;
  for (std::string_view owner : owners) {
    auto it = assignments_.find(owner);
    if (it == assignments_.end()) continue;
    assignments_.erase(it);
    ++released;
  }
  if (released > 0) Recompute();
  return released;
}

std::pair<std::string, int64_t>* NodeGpus::FindStaticUsed(std::string_view profile) {
  for (auto& entry : static_used_) {
    if (SameProfile(entry.first, profile)) return &entry;
  }
  return nullptr;
}

void NodeGpus::PruneStaticUsed() {
  std::erase_if(static_used_, [](const auto& entry) { return entry.second == 0; });
}

void GpuUse::AddInstance(const MigProfile& profile, size_t p, int start) {
  mask = static_cast<uint8_t>(mask | (((1u << profile.memory_slices) - 1) << start));
  ++count[p];
  ++instances;
  if (profile.media_extensions) ++media;
}

void NodeGpus::Recompute() {
  // Allocates nothing: use_ keeps its size (SetInventory reserved it) and every static
  // profile an assignment holds already has its counter (Assign made it), so Release
  // cannot fail. Counters that drop to zero stay until the next Assign prunes them.
  use_.assign(inventory_.gpus.size(), GpuUse{});
  for (auto& entry : static_used_) entry.second = 0;
  const GpuModel* model = inventory_.model;
  for (size_t i = 0; i < inventory_.gpus.size(); ++i) {
    for (const MigInstance& instance : inventory_.gpus[i].existing) {
      if (model == nullptr || instance.profile < 0 ||
          static_cast<size_t>(instance.profile) >= model->profiles.size()) {
        continue;
      }
      const size_t p = static_cast<size_t>(instance.profile);
      use_[i].AddInstance(model->profiles[p], p, instance.start);
    }
  }
  for (const auto& [owner, assignment] : assignments_) Apply(assignment);
}

bool NodeGpus::Apply(const GpuAssignment& a) {
  bool ok = true;
  const size_t n = use_.size();
  switch (a.kind) {
    case GpuRequestKind::kWhole:
      for (uint64_t set = a.gpus; set != 0; set &= set - 1) {
        const size_t g = static_cast<size_t>(std::countr_zero(set));
        if (g >= n) {
          ok = false;
          continue;
        }
        ok = ok && use_[g].idle();
        use_[g].whole = true;
      }
      break;
    case GpuRequestKind::kMemory: {
      const size_t g = static_cast<size_t>(a.gpu());
      if (a.gpus == 0 || g >= n) return false;
      GpuUse& use = use_[g];
      // Compared without adding: a share recorded from a pod may hold any count.
      ok = !use.whole && use.instances == 0 && a.share_units >= 0 &&
           a.share_units <= inventory_.gpus[g].share_units - use.share_used;
      if (__builtin_add_overflow(use.share_used, a.share_units, &use.share_used)) {
        use.share_used = std::numeric_limits<int64_t>::max();
      }
      ++use.sharers;
      break;
    }
    case GpuRequestKind::kMig: {
      if (!a.dynamic_mig()) {
        if (a.count <= 0) return true;  // holds no device
        auto* entry = FindStaticUsed(a.static_profile);
        // Assign makes the counter first, so Recompute (and Release) allocate nothing.
        QUOTIENT_DCHECK(entry != nullptr);
        if (entry == nullptr) entry = &static_used_.emplace_back(a.static_profile, 0);
        entry->second += a.count;
        // A mig-dynamic node advertises the instances of its dynamic assignments too: those
        // are not free devices (FitMig). Allocates nothing.
        const int64_t dynamic = inventory_.CountMode(GpuMode::kMigDynamic) > 0
                                    ? DynamicMigAssigned(a.static_profile)
                                    : 0;
        return entry->second + dynamic <= StaticMigTotal(a.static_profile);
      }
      // Instance by instance on the use left by the earlier ones: instances of one pod
      // must not overlap each other either.
      const GpuModel* model = inventory_.model;
      if (model == nullptr) return false;
      for (const MigSlot& slot : a.instances) {
        const size_t g = static_cast<size_t>(slot.gpu);
        if (slot.gpu < 0 || g >= n || slot.profile < 0 ||
            static_cast<size_t>(slot.profile) >= model->profiles.size()) {
          ok = false;
          continue;
        }
        const MigProfile& p = model->profiles[static_cast<size_t>(slot.profile)];
        if (std::find(p.starts.begin(), p.starts.end(), slot.start) == p.starts.end()) {
          ok = false;  // not a placement of the profile: its slices are unknown
          continue;
        }
        const uint8_t span = static_cast<uint8_t>(((1u << p.memory_slices) - 1) << slot.start);
        GpuUse& use = use_[g];
        ok = ok && !use.whole && use.sharers == 0 && (use.mask & span) == 0 &&
             use.count[static_cast<size_t>(slot.profile)] < p.max_instances &&
             use.instances < model->max_instances && !(p.media_extensions && use.media > 0);
        use.AddInstance(p, static_cast<size_t>(slot.profile), slot.start);
      }
      break;
    }
    case GpuRequestKind::kNone:
    case GpuRequestKind::kFraction: break;
  }
  return ok;
}

std::string NodeGpus::DebugString() const {
  std::string out = fmt::format("gpus={} model={} static={}\n", inventory_.gpus.size(),
                                inventory_.model_name, inventory_.static_mig.size());
  for (const auto& [owner, a] : assignments_) {
    out += fmt::format("assigned {} kind={} gpus={} share={} static={}x{} mig=", owner,
                       static_cast<int>(a.kind), a.gpus, a.share_units, a.static_profile, a.count);
    for (const MigSlot& slot : a.instances) {
      out += fmt::format("{}:{}:{},", slot.gpu, slot.profile, slot.start);
    }
    out += "\n";
  }
  for (const GpuUse& use : use_) {
    out += fmt::format("use whole={} share={} sharers={} mask={} media={} instances={} count=",
                       use.whole, use.share_used, use.sharers, use.mask, use.media, use.instances);
    for (uint8_t c : use.count) out += fmt::format("{},", c);
    out += "\n";
  }
  // Counters at zero are bookkeeping (pruned by the next Assign), not state.
  std::vector<std::pair<std::string, int64_t>> held;
  for (const auto& [profile, used] : static_used_) {
    if (used != 0) held.emplace_back(profile, used);
  }
  std::sort(held.begin(), held.end());
  for (const auto& [profile, used] : held) out += fmt::format("static {}={}\n", profile, used);
  return out;
}

}  // namespace quotient::gpu
