#include "gpu/mig_catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <iterator>

namespace quotient::gpu {

std::string_view EvidenceName(Evidence evidence) {
  switch (evidence) {
    case Evidence::kObserved: return "observed";
    case Evidence::kDocumented: return "documented";
    case Evidence::kInferred: return "inferred";
  }
  return "inferred";
}

std::string MigProfile::ResourceName() const {
  std::string out = "nvidia.com/mig-" + name;
  std::replace(out.begin(), out.end(), '+', '.');
  return out;
}

std::vector<std::string> MigCatalog::MigResourceNames() const {
  std::vector<std::string> out;
  for (const GpuModel& model : models_) {
    for (const MigProfile& profile : model.profiles) out.push_back(profile.ResourceName());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> MigCatalog::MigResourceNamesNotIn(const MigCatalog& reference) const {
  const std::vector<std::string> mine = MigResourceNames();
  const std::vector<std::string> theirs = reference.MigResourceNames();
  std::vector<std::string> out;
  std::set_difference(mine.begin(), mine.end(), theirs.begin(), theirs.end(),
                      std::back_inserter(out));
  return out;
}

int GpuModel::FindProfile(std::string_view name) const {
  for (size_t i = 0; i < profiles.size(); ++i) {
    const std::string& p = profiles[i].name;
    if (p.size() != name.size()) continue;
    bool same = true;
    for (size_t k = 0; k < p.size() && same; ++k) {
      // The resource form spells '+' as '.'.
      same = p[k] == name[k] || (p[k] == '+' && name[k] == '.');
    }
    if (same) return static_cast<int>(i);
  }
  return -1;
}

int GpuModel::ProfileForFraction(int milli) const {
  for (const FractionProfile& f : fractions) {
    if (f.milli == milli) return FindProfile(f.profile);
  }
  return -1;
}

std::vector<std::string> ValidateGpuModel(const GpuModel& model) {
  std::vector<std::string> problems;
  auto add = [&](std::string text) { problems.push_back(model.key + ": " + std::move(text)); };
  if (model.key.empty()) add("empty model key");
  if (model.memory_mib < 0) add("negative memory");
  if (model.memory_slices < 0 || model.memory_slices > kMaxMemorySlices) {
    add(fmt::format("memory slices {} not in 0..{}", model.memory_slices, kMaxMemorySlices));
    return problems;
  }
  if (static_cast<int>(model.profiles.size()) > kMaxProfiles) {
    add(fmt::format("{} profiles, at most {}", model.profiles.size(), kMaxProfiles));
  }
  if (!model.profiles.empty() &&
      (model.memory_slices == 0 || model.compute_slices <= 0 || model.max_instances <= 0)) {
    add("profiles need memory slices, compute slices and max instances");
  }
  for (size_t i = 0; i < model.profiles.size(); ++i) {
    const MigProfile& p = model.profiles[i];
    auto padd = [&](std::string text) { add("profile " + p.name + ": " + std::move(text)); };
    if (p.name.empty()) padd("empty name");
    for (size_t j = 0; j < i; ++j) {
      if (model.profiles[j].name == p.name) padd("duplicated");
    }
    if (p.memory_slices <= 0 || p.memory_slices > model.memory_slices) {
      padd(fmt::format("size {} not in 1..{}", p.memory_slices, model.memory_slices));
    }
    if (p.compute_slices <= 0 || p.compute_slices > model.compute_slices) {
      padd(fmt::format("compute slices {} not in 1..{}", p.compute_slices, model.compute_slices));
    }
    if (p.max_instances <= 0) padd("max instances must be positive");
    if (p.starts.empty()) padd("no placements");
    for (int s : p.starts) {
      if (s < 0 || s + p.memory_slices > model.memory_slices) {
        padd(
            fmt::format("start {} + size {} > {} slices", s, p.memory_slices, model.memory_slices));
      }
    }
  }
  for (const FractionProfile& f : model.fractions) {
    if (f.milli <= 0 || f.milli > 1000) add(fmt::format("fraction {} not in 1..1000", f.milli));
    if (model.FindProfile(f.profile) < 0) {
      add(fmt::format("fraction {} names unknown profile {}", f.milli, f.profile));
    }
  }
  return problems;
}

void NormalizeGpuModel(GpuModel* model) {
  for (MigProfile& p : model->profiles) std::sort(p.starts.begin(), p.starts.end());
  std::stable_sort(model->profiles.begin(), model->profiles.end(),
                   [](const MigProfile& a, const MigProfile& b) {
                     if (a.memory_slices != b.memory_slices) {
                       return a.memory_slices > b.memory_slices;
                     }
                     return a.compute_slices > b.compute_slices;
                   });
  std::stable_sort(
      model->fractions.begin(), model->fractions.end(),
      [](const FractionProfile& a, const FractionProfile& b) { return a.milli > b.milli; });
  MigGeometry& g = model->geometry;
  g = MigGeometry{};
  const size_t n = std::min<size_t>(model->profiles.size(), kMaxProfiles);
  for (size_t p = 0; p < n; ++p) {
    const MigProfile& profile = model->profiles[p];
    for (size_t k = 0; k < profile.starts.size() && k < kMaxMemorySlices; ++k) {
      g.span[p][k] = static_cast<uint8_t>(((1u << profile.memory_slices) - 1) << profile.starts[k]);
    }
  }
  for (unsigned mask = 0; mask < 256; ++mask) {
    uint64_t headroom = 0;
    uint8_t covered = 0;
    for (size_t p = 0; p < n; ++p) {
      const MigProfile& profile = model->profiles[p];
      uint8_t free = 0;
      for (size_t k = 0; k < profile.starts.size() && k < kMaxMemorySlices; ++k) {
        if ((g.span[p][k] & mask) == 0) free = static_cast<uint8_t>(free | (1u << k));
      }
      g.free_starts[mask][p] = free;
      for (size_t k = 0; k < kMaxMemorySlices; ++k) {
        if ((free >> k) & 1u) covered = static_cast<uint8_t>(covered | g.span[p][k]);
      }
      const uint64_t count = static_cast<uint64_t>(std::popcount(free));
      headroom |= std::min<uint64_t>(count, 15) << (4 * (kMaxProfiles - 1 - p));
      if (free != 0 && profile.memory_slices > g.largest[mask]) {
        g.largest[mask] = static_cast<uint8_t>(profile.memory_slices);
      }
    }
    g.headroom[mask] = headroom;
    const uint8_t all = static_cast<uint8_t>((1u << model->memory_slices) - 1);
    g.dead[mask] =
        static_cast<uint8_t>(std::popcount(static_cast<uint8_t>(all & ~mask & ~covered)));
  }
}

double Fragmentation(const GpuModel& model, uint8_t mask) {
  const uint8_t all = static_cast<uint8_t>((1u << model.memory_slices) - 1);
  const int free = std::popcount(static_cast<uint8_t>(all & ~mask));
  if (free == 0 || mask == 0) return 0.0;
  return 1.0 - static_cast<double>(model.geometry.largest[mask]) / free;
}

std::string CanonicalModelName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c == ' ' || c == '-' || c == '_') continue;
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  if (out.rfind("NVIDIA", 0) == 0) out.erase(0, 6);
  return out;
}

MigCatalog::MigCatalog(const MigCatalog& other) : models_(other.models_) {}

MigCatalog& MigCatalog::operator=(const MigCatalog& other) {
  models_ = other.models_;
  return *this;
}

void MigCatalog::Upsert(GpuModel model) {
  NormalizeGpuModel(&model);
  const std::string key = CanonicalModelName(model.key);
  for (GpuModel& m : models_) {
    if (CanonicalModelName(m.key) == key) {
      m = std::move(model);
      return;
    }
  }
  models_.push_back(std::move(model));
}

const GpuModel* MigCatalog::Find(std::string_view name) const {
  std::string want = CanonicalModelName(name);
  // GFD products of MIG or shared GPUs: "NVIDIA-A100-SXM4-40GB-MIG-1g.5gb", "...-SHARED".
  if (size_t mig = want.find("MIG"); mig != std::string::npos && mig > 0) {
    if (want.size() > mig + 3 && std::isdigit(static_cast<unsigned char>(want[mig + 3]))) {
      want.resize(mig);
    } else if (want.size() == mig + 3 || want.substr(mig) == "MIGINVALID") {
      want.resize(mig);
    }
  }
  if (want.size() > 6 && want.ends_with("SHARED")) want.resize(want.size() - 6);
  if (want.empty()) return nullptr;
  for (const GpuModel& m : models_) {
    if (CanonicalModelName(m.key) == want) return &m;
    for (const std::string& alias : m.aliases) {
      if (CanonicalModelName(alias) == want) return &m;
    }
  }
  return nullptr;
}

}  // namespace quotient::gpu
