// What a node has in GPUs, built from what the cluster shows of it: allocatable resources
// (`nvidia.com/gpu`, `nvidia.com/mig-<profile>`, `aliyun.com/gpu-mem`,
// `aliyun.com/gpu-count`), NVIDIA GPU feature discovery labels (`nvidia.com/gpu.product`,
// `nvidia.com/gpu.count`, `nvidia.com/gpu.memory` in MiB, `nvidia.com/mig.capable`,
// `nvidia.com/mig.strategy`), a plain model label (`gpu-type=T4`), the dynamic-MIG label
// (`cdmo.clear.ml/gpu-partitioning=mig` by default), and two Quotient annotations for what
// labels cannot say (docs/gpu.md, "Node annotations"), and the placement label
// (`quotient.io/gpu-placement=binpack|spread` by default) that sets a node pool's policy:
//
//   quotient.io/gpu-layout: "0:mig-dynamic:1g.5gb@6;1:mig-dynamic;2:exclusive;3:unhealthy"
//     per GPU index: its mode (exclusive | shared | mig | mig-dynamic | unhealthy) and the
//     MIG instances that exist on it and do not belong to pods Quotient placed
//     (<profile>@<start>, comma separated).
//   quotient.io/gpu-links: "0-1=NV12,0-2=PIX,2-3=SYS"
//     pairwise interconnect as `nvidia-smi topo -m` prints it (NV<n>, PIX, PXB, PHB, NODE,
//     SYS); pairs not listed are unknown.
//
// Strings in, a plain struct out: no Kubernetes types. A malformed annotation is ignored
// (the rest of the inventory still stands) and reported in *warnings.
//
// Thread safety: pure functions; NodeGpuInventory is a value type. It points into the
// MigCatalog it was built from, which must outlive it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gpu/mig_catalog.h"
#include "quota/resource_list.h"

namespace quotient::gpu {

using StringPairs = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kResourceGpuMem = "aliyun.com/gpu-mem";
inline constexpr std::string_view kResourceGpuCount = "aliyun.com/gpu-count";
inline constexpr std::string_view kMigResourcePrefix = "nvidia.com/mig-";
inline constexpr std::string_view kLayoutAnnotation = "quotient.io/gpu-layout";
inline constexpr std::string_view kLinksAnnotation = "quotient.io/gpu-links";

// How a GPU may be used. Exclusive: whole GPUs only. Shared: GPU-memory shares
// (gpushare), or whole while no share is on it. Mig: partitioned ahead of time; its
// instances are `nvidia.com/mig-<profile>` devices. MigDynamic: Quotient chooses the
// partition and a node agent creates it. Unhealthy: counted, never used.
enum class GpuMode { kExclusive, kShared, kMig, kMigDynamic, kUnhealthy };
std::string_view GpuModeName(GpuMode mode);

struct MigInstance {
  int profile = -1;  // index into the model's profiles
  int start = 0;
  bool operator==(const MigInstance&) const = default;
};

struct GpuDevice {
  int index = 0;
  GpuMode mode = GpuMode::kExclusive;
  int64_t share_units = 0;            // aliyun.com/gpu-mem units it offers (shared mode)
  std::vector<MigInstance> existing;  // instances not owned by Quotient's pods
  bool operator==(const GpuDevice&) const = default;
};

// How GPUs are chosen among (gpu/placement.h): binpack fills the GPUs and nodes already in
// use first, keeping whole GPUs and whole nodes free for large requests; spread prefers the
// emptiest, so that pods interfere less (inference pools).
enum class PackPolicy { kBinpack, kSpread };
std::string_view PackPolicyName(PackPolicy policy);
// "binpack" or "spread"; false otherwise.
bool ParsePackPolicy(std::string_view text, PackPolicy* out);

inline constexpr std::string_view kPlacementLabel = "quotient.io/gpu-placement";

struct InventoryOptions {
  std::string dynamic_mig_label = "cdmo.clear.ml/gpu-partitioning";
  std::string dynamic_mig_value = "mig";
  std::string model_label = "gpu-type";
  int64_t share_unit_mib = 1024;  // one aliyun.com/gpu-mem unit (gpushare's default: GiB)
  // The policy of nodes without the placement label (or with a value that is neither
  // binpack nor spread: a warning, then this).
  PackPolicy pack = PackPolicy::kBinpack;
  std::string placement_label{kPlacementLabel};
};

struct NodeGpuInventory {
  const GpuModel* model = nullptr;  // nullptr when the catalog does not know it
  std::string model_name;           // model key, else gpu-type label, else GFD product
  std::string model_canonical;      // CanonicalModelName(model_name), for matching
  int64_t memory_mib = 0;           // per GPU
  int64_t share_unit_mib = 1024;
  // nvidia.com/gpu in the node's allocatable: the GPUs its device plugin offers (healthy).
  // 0 when it has no device plugin for whole GPUs (a DRA node: gpu/placement.h,
  // WholeGpusLeftToDeviceClasses).
  int64_t device_plugin_gpus = 0;
  std::vector<GpuDevice> gpus;  // by index
  // Static MIG devices (mixed strategy), node level: profile name -> allocatable count.
  std::vector<std::pair<std::string, int64_t>> static_mig;
  std::vector<uint16_t> links;             // gpus.size()^2 pair scores (LinkScore), empty: unknown
  PackPolicy pack = PackPolicy::kBinpack;  // the node pool's policy (placement label)

  bool has_gpus() const { return !gpus.empty() || !static_mig.empty(); }
  bool operator==(const NodeGpuInventory&) const = default;
  int CountMode(GpuMode mode) const;
  uint16_t Link(int a, int b) const;
};

// Score of one `nvidia-smi topo -m` entry: NV<n> -> 100 * n, PIX 60, PXB 50, PHB 40,
// NODE 30, SYS 10 (HAMi's levels); 0 when unrecognised.
uint16_t LinkScore(std::string_view topo);

// Builds the inventory of one node. `allocatable` is in canonical units
// (quota/resource_list.h). REQUIRES: warnings is non-null.
NodeGpuInventory BuildNodeInventory(const StringPairs& labels, const StringPairs& annotations,
                                    const quota::ResourceList& allocatable,
                                    const MigCatalog& catalog, const InventoryOptions& options,
                                    std::vector<std::string>* warnings);

}  // namespace quotient::gpu
