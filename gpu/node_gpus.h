// The allocation state of one node's GPUs, kept as placements (which GPU, which memory
// slices, which share), never as counters: two GPUs with 4 GiB free each are not one with
// 8 GiB, and 6 free MIG slices may hold no 3g instance.
//
// Every pod's device choice is one GpuAssignment keyed by its owner (the pod UID). Release
// in any order recomputes the per-GPU use from the remaining assignments, so instances
// freed out of order leave exactly the holes they leave on the real GPU.
//
// Exception safety: Release and ReleaseAll allocate nothing and cannot fail; Assign and
// SetInventory give the strong guarantee (a throw, only std::bad_alloc, changes nothing).
// GpuState builds its own strong guarantee on these.
//
// Thread safety: thread-compatible (callers guard a NodeGpus with their own lock).
#pragma once

#include <array>
#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gpu/gpu_request.h"
#include "gpu/inventory.h"

namespace quotient::gpu {

// One dynamic MIG GPU instance: `profile`'s slices [start, start + size) on GPU `gpu`.
struct MigSlot {
  int gpu = -1;      // GPU index on the node
  int profile = -1;  // index into the model's profiles
  int start = -1;    // first memory slice
  bool operator==(const MigSlot&) const = default;
};

// A pod's dynamic MIG instances: one inline (a fraction, or one device: the common case,
// decided for every node at filter, allocates nothing), more on the heap.
using MigSlots = boost::container::small_vector<MigSlot, 1>;

// One pod's devices on a node.
struct GpuAssignment {
  GpuRequestKind kind = GpuRequestKind::kNone;  // kWhole, kMemory or kMig (a fraction is
                                                // recorded as the MIG profile serving it)
  uint64_t gpus = 0;           // kWhole: the set; kMemory: one bit; dynamic kMig: the GPUs
                               // holding `instances`
  int64_t share_units = 0;     // kMemory
  MigSlots instances;          // dynamic kMig: every instance, in placement order (one for
                               // a fraction; N for nvidia.com/mig-<profile>: N)
  std::string static_profile;  // static kMig: the device's profile ("3g.20gb")
  int64_t count = 0;           // static kMig: devices

  bool dynamic_mig() const { return kind == GpuRequestKind::kMig && !instances.empty(); }
  int gpu() const;  // the lowest GPU index in `gpus`, -1 when none
  bool operator==(const GpuAssignment&) const = default;
};

// Derived per-GPU use.
struct GpuUse {
  bool whole = false;      // held by a whole-GPU pod
  int64_t share_used = 0;  // memory units held by shares
  int sharers = 0;
  uint8_t mask = 0;   // memory slices taken (existing instances + assignments)
  uint8_t media = 0;  // +me instances
  uint8_t instances = 0;
  std::array<uint8_t, kMaxProfiles> count{};  // instances per profile

  bool idle() const { return !whole && sharers == 0 && instances == 0; }
  // Counts one MIG instance of `profile` (the model's profile index `p`) at memory slice
  // `start`; no check (callers check limits and overlap first).
  void AddInstance(const MigProfile& profile, size_t p, int start);
};

class NodeGpus {
 public:
  NodeGpus() = default;
  explicit NodeGpus(NodeGpuInventory inventory);

  const NodeGpuInventory& inventory() const { return inventory_; }
  const std::vector<GpuUse>& use() const { return use_; }
  const std::map<std::string, GpuAssignment, std::less<>>& assignments() const {
    return assignments_;
  }
  // Static MIG devices of `profile` held by assignments (resource spelling accepted).
  int64_t StaticMigUsed(std::string_view profile) const;
  // Allocatable static devices of `profile`, 0 when the node lists none.
  int64_t StaticMigTotal(std::string_view profile) const;
  // Dynamic MIG instances of `profile` that assignments hold (resource spelling accepted).
  // Once created, the device plugin advertises them like static devices: a mig-dynamic
  // node's allocatable counts them in StaticMigTotal. O(assignments on the node).
  int64_t DynamicMigAssigned(std::string_view profile) const;

  // Records `assignment` for `owner`, replacing an earlier one of the same owner. Returns
  // false (and records it anyway: the pod runs whatever we think) when it overlaps what
  // the node already holds or names a GPU the node lacks. The instances of a dynamic MIG
  // assignment are applied in order, so two of them overlapping (or together exceeding a
  // profile's limit) is refused like an overlap with another pod.
  bool Assign(std::string_view owner, const GpuAssignment& assignment);
  // Forgets `owner`'s assignment; false when it had none.
  bool Release(std::string_view owner);
  // Forgets every one of `owners`' assignments, recomputing the use once (what-if copies:
  // "this node once these pods left"). Returns how many it had.
  size_t ReleaseAll(const std::vector<std::string_view>& owners);

  // Replaces the inventory (node update), keeping the assignments.
  void SetInventory(NodeGpuInventory inventory);

  // Tests: the inventory's size, the assignments, the use and the static devices held, in
  // one canonical text (equal states print equal text).
  std::string DebugString() const;

 private:
  bool Apply(const GpuAssignment& assignment);
  void Recompute();  // allocates nothing (see node_gpus.cc)
  std::pair<std::string, int64_t>* FindStaticUsed(std::string_view profile);
  void PruneStaticUsed();  // drops counters at zero

  NodeGpuInventory inventory_;
  std::vector<GpuUse> use_;  // by GPU index
  std::map<std::string, GpuAssignment, std::less<>> assignments_;
  // Static MIG devices held, per profile: a counter for every profile an assignment holds
  // (and some at zero, pruned by Assign).
  std::vector<std::pair<std::string, int64_t>> static_used_;
};

}  // namespace quotient::gpu
