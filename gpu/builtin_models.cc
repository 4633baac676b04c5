// The built-in GPU models. Every MIG row was transcribed from a research record per model
// (schema mig-gpu-model/v1) that names the NVIDIA MIG User Guide page, NVML doc, nvidia-smi
// output or mig-parted commit of each fact. `Evidence` is that record's evidence:
// kObserved/kDocumented rows were seen in real `nvidia-smi mig -lgipp` output or NVIDIA's text;
// kInferred rows follow the pattern of sibling GPUs (same profile IDs, counts and memory fractions)
// and are NOT verified. Non-MIG models (T4, V100, ...) carry only their memory, for gpu-type
// matching and gpushare memory defaults.
#include <initializer_list>

#include "gpu/mig_catalog.h"

namespace quotient::gpu {
namespace {

constexpr Evidence kObs = Evidence::kObserved;
constexpr Evidence kDoc = Evidence::kDocumented;
constexpr Evidence kInf = Evidence::kInferred;

MigProfile P(const char* name, int g, int mem, int max, int64_t gib,
             std::initializer_list<int> starts, Evidence evidence) {
  MigProfile p;
  p.name = name;
  p.compute_slices = g;
  p.memory_slices = mem;
  p.max_instances = max;
  p.media_extensions = std::string_view(name).ends_with("+me");
  p.memory_mib = gib * 1024;
  p.starts = starts;
  p.placements = evidence;
  return p;
}

constexpr std::initializer_list<int> k1Slice8 = {0, 1, 2, 3, 4, 5, 6};

// The layout shared by every 8-slice GPU (A100, H100, H200, GH200, B200): only the names
// (memory in the name) and the evidence differ. `small`: 1g (1 slice), `wide1`: 1g (2
// slices), `two`: 2g, `half`: 3g and 4g, `full`: 7g.
GpuModel EightSlice(const char* key, std::initializer_list<std::string> aliases, int64_t gib,
                    const char* small, int64_t small_gib, const char* wide1, const char* two,
                    int64_t two_gib, const char* three, const char* four, int64_t half_gib,
                    const char* full, Evidence evidence, const char* source) {
  GpuModel m;
  m.key = key;
  m.aliases = aliases;
  m.memory_mib = gib * 1024;
  m.compute_slices = 7;
  m.memory_slices = 8;
  m.max_instances = 7;
  std::string small_me = std::string(small) + "+me";
  m.profiles = {
      P(full, 7, 8, 1, gib, {0}, evidence),
      P(four, 4, 4, 1, half_gib, {0}, evidence),
      P(three, 3, 4, 2, half_gib, {0, 4}, evidence),
      P(two, 2, 2, 3, two_gib, {0, 2, 4}, evidence),
      P(wide1, 1, 2, 4, two_gib, {0, 2, 4, 6}, evidence),
      P(small, 1, 1, 7, small_gib, k1Slice8, evidence),
      P(small_me.c_str(), 1, 1, 1, small_gib, k1Slice8, evidence),
  };
  m.fractions = {{1000, full}, {500, three}, {250, two}};
  m.source = source;
  m.placements_verified = evidence != kInf;
  return m;
}

GpuModel Plain(const char* key, std::initializer_list<std::string> aliases, int64_t gib) {
  GpuModel m;
  m.key = key;
  m.aliases = aliases;
  m.memory_mib = gib * 1024;
  m.source = "no MIG; memory from the product name";
  return m;
}

MigCatalog Build() {
  MigCatalog c;
  GpuModel a100_40 =
      EightSlice("A100-40GB", {"A100-SXM4-40GB", "A100-PCIE-40GB", "A800-40GB"}, 40, "1g.5gb", 5,
                 "1g.10gb", "2g.10gb", 10, "3g.20gb", "4g.20gb", 20, "7g.40gb", kObs,
                 "data/mig/A100-40GB.json: NVIDIA MIG guide -lgipp, ThetaGPU output (1g.5gb+me and "
                 "1g.10gb documented)");
  // 1g.5gb+me and 1g.10gb are documented rather than observed.
  for (MigProfile& p : a100_40.profiles) {
    if (p.name == "1g.5gb+me" || p.name == "1g.10gb") p.placements = kDoc;
  }
  c.Upsert(std::move(a100_40));
  c.Upsert(EightSlice(
      "A100-80GB", {"A100-SXM4-80GB", "A100-80GB-PCIe", "A100 80GB PCIe", "A800-80GB"}, 80,
      "1g.10gb", 10, "1g.20gb", "2g.20gb", 20, "3g.40gb", "4g.40gb", 40, "7g.80gb", kInf,
      "data/mig/A100-80GB.json: IDs observed on driver 515.86.01, placements "
      "inferred from A100-40GB; 1g.20gb absent on 515"));
  c.Upsert(EightSlice("H100-80GB", {"H100-80GB-HBM3", "H100-SXM5-80GB", "H100-PCIe", "H800"}, 80,
                      "1g.10gb", 10, "1g.20gb", "2g.20gb", 20, "3g.40gb", "4g.40gb", 40, "7g.80gb",
                      kObs, "data/mig/H100-80GB.json: two real -lgipp outputs (H100 80GB HBM3)"));
  c.Upsert(EightSlice("H100-94GB-NVL", {"H100-NVL", "H800-NVL"}, 94, "1g.12gb", 12, "1g.24gb",
                      "2g.24gb", 24, "3g.47gb", "4g.47gb", 47, "7g.94gb", kObs,
                      "data/mig/H100-94GB-NVL.json: Azure -lgipp (driver 560.35.03), NVIDIA "
                      "blog"));
  c.Upsert(EightSlice("H200-141GB", {"H200", "H200-NVL"}, 141, "1g.18gb", 18, "1g.35gb", "2g.35gb",
                      35, "3g.71gb", "4g.71gb", 71, "7g.141gb", kInf,
                      "data/mig/H200-141GB.json: IDs observed (mig-parted #120), placements "
                      "inferred"));
  c.Upsert(EightSlice("GH200-96GB", {"GH200-480GB", "GH200"}, 96, "1g.12gb", 12, "1g.24gb",
                      "2g.24gb", 24, "3g.48gb", "4g.48gb", 48, "7g.96gb", kInf,
                      "data/mig/GH200-96GB.json: names from mig-parted, IDs and placements "
                      "inferred (Miyabi layout consistent)"));
  c.Upsert(EightSlice("GH200-144GB", {"GH200-144G-HBM3e"}, 144, "1g.18gb", 18, "1g.36gb", "2g.36gb",
                      36, "3g.72gb", "4g.72gb", 72, "7g.144gb", kInf,
                      "data/mig/GH200-144GB.json: four rows observed (mig-parted #139), "
                      "placements inferred"));
  c.Upsert(EightSlice("B200-180GB", {"B200"}, 180, "1g.23gb", 23, "1g.45gb", "2g.45gb", 45,
                      "3g.90gb", "4g.90gb", 90, "7g.180gb", kInf,
                      "data/mig/B200-180GB.json: four rows observed (mig-parted #166/#187), "
                      "3g size 4 from the NVIDIA DRA driver, starts inferred"));

  GpuModel a30;
  a30.key = "A30-24GB";
  a30.aliases = {"A30"};
  a30.memory_mib = 24 * 1024;
  a30.compute_slices = 4;
  a30.memory_slices = 4;
  a30.max_instances = 4;
  a30.profiles = {
      P("4g.24gb", 4, 4, 1, 24, {0}, kObs),           P("2g.12gb", 2, 2, 2, 12, {0, 2}, kObs),
      P("2g.12gb+me", 2, 2, 1, 12, {0, 2}, kInf),     P("1g.6gb", 1, 1, 4, 6, {0, 1, 2, 3}, kObs),
      P("1g.6gb+me", 1, 1, 1, 6, {0, 1, 2, 3}, kObs),
  };
  a30.fractions = {{1000, "4g.24gb"}, {500, "2g.12gb"}, {250, "1g.6gb"}};
  a30.source = "data/mig/A30-24GB.json: observed except 2g.12gb+me (inferred)";
  a30.placements_verified = false;
  c.Upsert(std::move(a30));

  c.Upsert(Plain("T4", {"Tesla-T4"}, 16));
  c.Upsert(Plain("V100-16GB", {"Tesla-V100-SXM2-16GB", "Tesla-V100-PCIE-16GB", "V100"}, 16));
  c.Upsert(Plain("V100-32GB", {"Tesla-V100-SXM2-32GB", "Tesla-V100-PCIE-32GB"}, 32));
  c.Upsert(Plain("A10", {"A10"}, 24));
  c.Upsert(Plain("L4", {"L4"}, 24));
  c.Upsert(Plain("L40S", {"L40S"}, 48));
  return c;
}

}  // namespace

const MigCatalog& BuiltinMigCatalog() {
  static const MigCatalog* catalog = new MigCatalog(Build());
  return *catalog;
}

}  // namespace quotient::gpu
