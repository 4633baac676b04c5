// GPU models and their MIG geometry: which profiles exist, how many compute and memory
// slices each takes, how many instances of each a GPU holds, and where each may be placed.
//
// A GPU is a row of `memory_slices` memory slices (8 on A100/H100/H200/GH200/B200, 4 on
// A30). An instance of a profile occupies the slices [start, start + size), where size is
// the profile's memory slices and start one of its legal starts (NVML
// nvmlGpuInstancePlacement_t; `nvidia-smi mig -lgipp`). A set of instances is valid iff the
// intervals are pairwise disjoint, each profile has at most `max_instances` instances, at
// most one media-extension (`+me`) instance exists, and the total is at most
// `max_instances` of the model. Compute slices need no separate check on these GPUs.
//
// The built-in tables (BuiltinMigCatalog, builtin_models.cc) come from NVIDIA's MIG user
// guide, NVML and real nvidia-smi outputs; each
// model and profile says whether its placements were observed or inferred. Drivers and new
// GPUs change them, so a catalog can be overridden from a file (config/gpu_catalog_yaml.h).
//
// Thread safety: MigCatalog is immutable after construction (Upsert is for building it);
// share a const catalog freely. GpuModel pointers stay valid for the catalog's lifetime
// (models live in a std::deque; Upsert of an existing key replaces it in place).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace quotient::gpu {

inline constexpr int kMaxMemorySlices = 8;  // the occupancy of a GPU fits in a uint8_t mask
inline constexpr int kMaxProfiles = 16;     // per model
inline constexpr int kMaxGpusPerNode = 64;  // GPU sets are uint64_t masks

// How well a row is known (research data: data/mig/README.md).
enum class Evidence { kObserved, kDocumented, kInferred };
std::string_view EvidenceName(Evidence evidence);

struct MigProfile {
  std::string name;               // "3g.20gb", "1g.5gb+me"
  int compute_slices = 0;         // the "Ng"
  int memory_slices = 0;          // placement size
  int max_instances = 0;          // per GPU
  bool media_extensions = false;  // "+me": at most one such instance per GPU
  int64_t memory_mib = 0;         // nominal, from the name ("20gb" -> 20480)
  std::vector<int> starts;        // legal placement starts, ascending
  Evidence placements = Evidence::kInferred;

  // The Kubernetes resource of the mixed strategy: "nvidia.com/mig-" + name, '+' -> '.'.
  std::string ResourceName() const;
};

// A fraction of a GPU a pod may ask for (scenario 3), in thousandths, and the profile
// that serves it on this model: {500, "3g.20gb"}.
struct FractionProfile {
  int milli = 0;
  std::string profile;
};

// Derived from a model's profiles by NormalizeGpuModel: for each of the 256 occupancy masks
// of a GPU (bit i = memory slice i is taken), what can still be placed. Lets placement
// decide with table look-ups instead of walking placements.
struct MigGeometry {
  // span[p][k]: the slices covered by profile p at its k-th legal start.
  std::array<std::array<uint8_t, kMaxMemorySlices>, kMaxProfiles> span{};
  // free_starts[mask][p]: bit k set when profile p's k-th start is free under `mask`.
  std::array<std::array<uint8_t, kMaxProfiles>, 256> free_starts{};
  // headroom[mask]: how many placements of each profile are free, 4 bits per profile, the
  // largest profile in the highest bits. Comparing two values compares what stays
  // placeable, largest profiles first.
  std::array<uint64_t, 256> headroom{};
  // largest[mask]: memory slices of the largest profile with a free placement (0: none).
  std::array<uint8_t, 256> largest{};
  // dead[mask]: free memory slices that no free placement of any profile covers (slice 7
  // of an A100 once a 1-slice instance sits at 6): capacity lost until something leaves.
  std::array<uint8_t, 256> dead{};
};

struct GpuModel {
  std::string key;                   // "A100-40GB": what requests and quotas name
  std::vector<std::string> aliases;  // NVML names and GFD products that mean this model
  int64_t memory_mib = 0;            // per GPU, nominal
  int compute_slices = 0;            // 0 when the model has no MIG
  int memory_slices = 0;
  int max_instances = 0;
  std::vector<MigProfile> profiles;        // largest first (memory slices, then compute)
  std::vector<FractionProfile> fractions;  // sorted by milli, descending
  std::string source;                      // where the table came from
  bool placements_verified = false;        // every profile's placements observed or documented
  MigGeometry geometry;                    // filled by NormalizeGpuModel

  bool mig_capable() const { return memory_slices > 0 && !profiles.empty(); }
  // Index into `profiles`, -1 when absent. Accepts "1g.5gb+me" and the resource form
  // "1g.5gb.me".
  int FindProfile(std::string_view name) const;
  // The profile serving `milli` thousandths of a GPU: the entry with exactly that
  // fraction; -1 when the table has none.
  int ProfileForFraction(int milli) const;
};

// Problems of a model table, as "A100-40GB: profile 2g.10gb: start 7 + size 2 > 8 slices".
// Empty when the model is consistent.
std::vector<std::string> ValidateGpuModel(const GpuModel& model);

// Sorts profiles largest first and fractions descending (what the types above promise) and
// computes `geometry`. REQUIRES: ValidateGpuModel(*model) is empty.
void NormalizeGpuModel(GpuModel* model);

// Fragmentation of one GPU's free memory slices under `mask`: 1 - (slices of the largest
// profile still placeable) / (free slices); 0 for a full or empty GPU. 0 means every free
// slice can go to one instance; 1 that no free slice can be used at all (e.g. only slice 7
// free on an A100: no 1-slice profile may start there).
double Fragmentation(const GpuModel& model, uint8_t mask);

class MigCatalog {
 public:
  MigCatalog() = default;
  MigCatalog(const MigCatalog& other);
  MigCatalog& operator=(const MigCatalog& other);

  // Normalizes `model` and adds it, or replaces the model with the same key
  // (case-insensitive), keeping its address. REQUIRES: ValidateGpuModel(model) is empty.
  void Upsert(GpuModel model);

  // The model whose key or an alias equals `name`, ignoring case, spaces, '-' and '_' and
  // a leading "NVIDIA": "A100-40GB", "NVIDIA-A100-SXM4-40GB", "nvidia a100-pcie-40gb" all
  // find A100-40GB. A GFD product with a "-MIG-..." or "-SHARED" suffix is matched without
  // it. nullptr when unknown.
  const GpuModel* Find(std::string_view name) const;

  const std::deque<GpuModel>& models() const { return models_; }
  // Every model's MIG device resource names (MigProfile::ResourceName), sorted, unique:
  // what kube-scheduler must be told to ignore (docs/gpu.md, "The scheduler
  // configuration a live GPU decider needs").
  std::vector<std::string> MigResourceNames() const;
  // The MigResourceNames() of this catalog that `reference` lacks, sorted: with the
  // built-in catalog as reference, the names a custom catalog adds, which the shipped
  // scheduler configurations (deploy/) do not list under managedResources.
  std::vector<std::string> MigResourceNamesNotIn(const MigCatalog& reference) const;

 private:
  std::deque<GpuModel> models_;
};

// The tables of data/mig/ for A100-40GB, A100-80GB, A30-24GB, H100-80GB, H100-94GB-NVL,
// H200-141GB, GH200-96GB, GH200-144GB and B200-180GB, with the default fraction tables
// (1.0 / 0.5 / 0.25 -> 7g / 3g / 2g; A30: 4g / 2g / 1g).
const MigCatalog& BuiltinMigCatalog();

// Canonical spelling used by Find: upper case, without spaces, '-', '_' and a leading
// "NVIDIA". Exposed for tests and for model matching of plain labels ("gpu-type=T4").
std::string CanonicalModelName(std::string_view name);

}  // namespace quotient::gpu
