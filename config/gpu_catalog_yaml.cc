#include "config/gpu_catalog_yaml.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>

#include "config/text_file.h"
#include "config/yaml_reader.h"
#include "gpu/gpu_request.h"

namespace quotient::config {
namespace {

// False (with an error at `path`) when `node` is a sequence or mapping of more than `most`
// entries: checked before the entries are read.
bool WithinBound(YamlReader& r, const YAML::Node& node, const std::string& path, size_t most,
                 std::string_view what) {
  if (!node.IsDefined() || !(node.IsSequence() || node.IsMap()) || node.size() <= most) {
    return true;
  }
  r.Error(node, path, fmt::format("{} {}, more than the limit of {}", node.size(), what, most));
  return false;
}

void ReadProfile(YamlReader& r, const YAML::Node& node, const std::string& path,
                 gpu::MigProfile* out) {
  if (!r.Map(node, path,
             {"name", "computeSlices", "memorySlices", "maxInstances", "starts", "memoryMiB",
              "evidence"})) {
    return;
  }
  r.String(node, "name", path, &out->name);
  if (out->name.empty()) r.Error(node, path, "a profile needs a name");
  int64_t value = 0;
  r.Int(node, "computeSlices", path, 1, 64, &value);
  out->compute_slices = static_cast<int>(value);
  value = 0;
  r.Int(node, "memorySlices", path, 1, gpu::kMaxMemorySlices, &value);
  out->memory_slices = static_cast<int>(value);
  value = 0;
  r.Int(node, "maxInstances", path, 1, 64, &value);
  out->max_instances = static_cast<int>(value);
  r.Int(node, "memoryMiB", path, 0, int64_t{1} << 40, &out->memory_mib);
  out->media_extensions = out->name.ends_with("+me");
  std::vector<std::string> starts;
  if (!WithinBound(r, node["starts"], JoinPath(path, "starts"), gpu::kMaxMemorySlices, "starts")) {
    return;
  }
  r.StringList(node, "starts", path, &starts);
  for (const std::string& s : starts) {
    int start = -1;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), start);
    if (ec != std::errc() || end != s.data() + s.size()) start = -1;
    if (start < 0 || start >= gpu::kMaxMemorySlices) {
      r.Error(
          node["starts"], JoinPath(path, "starts"),
          fmt::format("start \"{}\" is not a memory slice 0..{}", s, gpu::kMaxMemorySlices - 1));
      continue;
    }
    out->starts.push_back(start);
  }
  std::string evidence = "inferred";
  r.String(node, "evidence", path, &evidence);
  if (evidence == "observed") {
    out->placements = gpu::Evidence::kObserved;
  } else if (evidence == "documented") {
    out->placements = gpu::Evidence::kDocumented;
  } else if (evidence != "inferred") {
    r.Error(node["evidence"], JoinPath(path, "evidence"),
            fmt::format("expected observed, documented or inferred, got \"{}\"", evidence));
  }
}

void ReadModel(YamlReader& r, const YAML::Node& node, const std::string& path,
               const gpu::MigCatalog& base, gpu::GpuModel* out) {
  if (!r.Map(node, path,
             {"key", "aliases", "memoryMiB", "computeSlices", "memorySlices", "maxInstances",
              "profiles", "fractions", "source"})) {
    return;
  }
  std::string key;
  r.String(node, "key", path, &key);
  if (key.empty()) {
    r.Error(node, path, "a model needs a key");
    return;
  }
  const gpu::GpuModel* existing = base.Find(key);
  if (existing != nullptr &&
      gpu::CanonicalModelName(existing->key) == gpu::CanonicalModelName(key)) {
    *out = *existing;
  } else {
    *out = gpu::GpuModel{};
    out->key = key;
    out->source = "";
  }
  if (!WithinBound(r, node["aliases"], JoinPath(path, "aliases"), kMaxCatalogAliases, "aliases") ||
      !WithinBound(r, node["profiles"], JoinPath(path, "profiles"), gpu::kMaxProfiles,
                   "profiles") ||
      !WithinBound(r, node["fractions"], JoinPath(path, "fractions"), kMaxCatalogFractions,
                   "fractions")) {
    return;
  }
  r.StringList(node, "aliases", path, &out->aliases);
  r.Int(node, "memoryMiB", path, 0, int64_t{1} << 40, &out->memory_mib);
  int64_t value = out->compute_slices;
  r.Int(node, "computeSlices", path, 0, 64, &value);
  out->compute_slices = static_cast<int>(value);
  value = out->memory_slices;
  r.Int(node, "memorySlices", path, 0, gpu::kMaxMemorySlices, &value);
  out->memory_slices = static_cast<int>(value);
  value = out->max_instances;
  r.Int(node, "maxInstances", path, 0, 64, &value);
  out->max_instances = static_cast<int>(value);
  std::string source = out->source;
  r.String(node, "source", path, &source);
  out->source = source.empty() ? r.source() : source;
  const YAML::Node profiles = node["profiles"];
  if (profiles.IsDefined() && !profiles.IsNull()) {
    const std::string ppath = JoinPath(path, "profiles");
    if (!profiles.IsSequence()) {
      r.Error(profiles, ppath, "expected a list of profiles");
    } else {
      out->profiles.clear();
      for (size_t i = 0; i < profiles.size(); ++i) {
        gpu::MigProfile profile;
        ReadProfile(r, profiles[i], fmt::format("{}[{}]", ppath, i), &profile);
        out->profiles.push_back(std::move(profile));
      }
    }
  }
  const YAML::Node fractions = node["fractions"];
  if (fractions.IsDefined() && !fractions.IsNull()) {
    const std::string fpath = JoinPath(path, "fractions");
    if (!fractions.IsMap()) {
      r.Error(fractions, fpath, "expected a map of fraction -> profile");
    } else {
      out->fractions.clear();
      for (const auto& entry : fractions) {
        if (!entry.first.IsScalar()) {
          r.Error(entry.first, fpath, "a fraction must be a scalar such as \"0.5\"");
          continue;
        }
        const std::string text = entry.first.as<std::string>();
        int milli = 0;
        if (!gpu::ParseFraction(text, &milli)) {
          r.Error(entry.first, JoinPath(fpath, text), "not a fraction in (0, 1]");
          continue;
        }
        if (!entry.second.IsScalar()) {
          r.Error(entry.second, JoinPath(fpath, text), "expected a profile name");
          continue;
        }
        out->fractions.push_back({milli, entry.second.as<std::string>()});
      }
    }
  }
  bool verified = true;
  for (const gpu::MigProfile& p : out->profiles)
    verified = verified && p.placements != gpu::Evidence::kInferred;
  out->placements_verified = verified;
  for (const std::string& problem : gpu::ValidateGpuModel(*out)) {
    r.Error(node, path, problem);
  }
}

}  // namespace

bool LoadGpuCatalog(std::string_view text, std::string_view source, const gpu::MigCatalog& base,
                    gpu::MigCatalog* catalog, ConfigErrors* errors) {
  const size_t before = errors->size();
  YamlReader r{std::string(source), errors};
  YAML::Node root;
  if (!r.Parse(text, &root)) return false;
  if (!r.Map(root, "", {"models"})) return false;
  gpu::MigCatalog out = base;
  const YAML::Node models = root["models"];
  if (!models.IsDefined() || models.IsNull()) {
    r.Error(root, "models", "required");
  } else if (!models.IsSequence()) {
    r.Error(models, "models", "expected a list of models");
  } else if (WithinBound(r, models, "models", kMaxCatalogModels, "models")) {
    for (size_t i = 0; i < models.size(); ++i) {
      gpu::GpuModel model;
      const size_t errors_before = errors->size();
      ReadModel(r, models[i], fmt::format("models[{}]", i), base, &model);
      if (errors->size() == errors_before) out.Upsert(std::move(model));
    }
  }
  if (errors->size() != before) return false;
  *catalog = std::move(out);
  return true;
}

bool LoadGpuCatalogFile(const std::string& path, const gpu::MigCatalog& base,
                        gpu::MigCatalog* catalog, ConfigErrors* errors, uint64_t max_bytes,
                        std::string_view limit_setting) {
  std::string text;
  if (!ReadTextFile(path, max_bytes, &text, errors, limit_setting)) return false;
  return LoadGpuCatalog(text, path, base, catalog, errors);
}

}  // namespace quotient::config
