// FormatGpuFit: the text of a GPU decision, for FailedScheduling events and logs.
#include <fmt/format.h>

#include <limits>

#include "gpu/placement.h"
#include "quota/resource_list.h"

namespace quotient::gpu {
namespace {

// `units` of aliyun.com/gpu-mem as memory ("8Gi"); a count too large to hold in bytes (a
// pod may ask for any quantity) stays in units.
std::string Memory(const NodeGpus& node, int64_t units) {
  const int64_t unit_bytes = node.inventory().share_unit_mib * 1024 * 1024;
  if (unit_bytes <= 0 || units > std::numeric_limits<int64_t>::max() / unit_bytes) {
    return fmt::format("{} units of {}", units, kResourceGpuMem);
  }
  return quota::FormatResourceAmount(quota::kResourceMemory, units * unit_bytes);
}

std::string What(const GpuFit& fit, const GpuRequest& request) {
  if (request.kind == GpuRequestKind::kFraction) {
    return fit.profile_name.empty() ? FormatFraction(request.fraction_milli) + " GPU"
                                    : fmt::format("{} ({} GPU)", fit.profile_name,
                                                  FormatFraction(request.fraction_milli));
  }
  return fit.profile_name;
}

// "node n1", or "the node" for a text that must read the same on every node.
std::string Node(std::string_view name) {
  return name.empty() ? std::string("the node") : fmt::format("node {}", name);
}

}  // namespace

std::string FormatGpuFit(const GpuFit& fit, const GpuRequest& request, const NodeGpus& node,
                         std::string_view node_name) {
  const NodeGpuInventory& inv = node.inventory();
  const std::string model = inv.model_name.empty() ? "unknown" : inv.model_name;
  switch (fit.code) {
    case FitCode::kFits: return "";
    case FitCode::kWrongModel:
      // A node whose labels name a model has GPUs of it, placed here or not (a DRA node).
      return inv.has_gpus() || !inv.model_name.empty()
                 ? fmt::format("gpu: {} has {} GPUs, the pod asks for {}", Node(node_name), model,
                               request.model)
                 : fmt::format("gpu: {} has no GPUs, the pod asks for {}", Node(node_name),
                               request.model);
    case FitCode::kNoGpus: return fmt::format("gpu: {} has no GPUs", Node(node_name));
    case FitCode::kWholeGpus:
      return fmt::format("gpu: {} has {} idle GPU{}, the pod asks for {}", Node(node_name),
                         fit.have, fit.have == 1 ? "" : "s", fit.want);
    case FitCode::kNoSharing:
      return fmt::format("gpu: {} shares no GPU memory (no {})", Node(node_name), kResourceGpuMem);
    case FitCode::kGpuMemory:
      return fmt::format("gpu: no GPU on {} has {} of GPU memory free (largest {})",
                         Node(node_name), Memory(node, fit.want), Memory(node, fit.have));
    case FitCode::kNotMig:
      return fmt::format("gpu: {} has no {} MIG device and no GPU to partition ({})",
                         Node(node_name), What(fit, request), model);
    case FitCode::kUnknownProfile:
      return fmt::format("gpu: {} on {} has no MIG profile {}", model, Node(node_name),
                         request.profile);
    case FitCode::kNoFraction:
      return fmt::format("gpu: {} on {} has no MIG profile for {} GPU", model, Node(node_name),
                         FormatFraction(request.fraction_milli));
    case FitCode::kMigInstances: {
      const int max = inv.model != nullptr && fit.profile >= 0
                          ? inv.model->profiles[static_cast<size_t>(fit.profile)].max_instances
                          : 0;
      const int all = inv.model != nullptr ? inv.model->max_instances : 0;
      if (fit.want > 1) {
        return fmt::format(
            "gpu: only {} of {} {} instances fit on {}: then every partitionable GPU "
            "holds the most allowed ({} per GPU, or {} instances in all)",
            fit.placed, fit.want, What(fit, request), Node(node_name), max, all);
      }
      return fmt::format(
          "gpu: every partitionable GPU on {} already holds the most {} instances "
          "allowed ({} per GPU, or {} instances in all)",
          Node(node_name), What(fit, request), max, all);
    }
    case FitCode::kMigPlacement: {
      const MigProfile& p = inv.model->profiles[static_cast<size_t>(fit.profile)];
      if (fit.want > 1) {
        return fmt::format(
            "gpu: only {} of {} {} instances fit on {}: then no free placement ({} "
            "memory slices) on any GPU (largest placeable: {} of {} slices)",
            fit.placed, fit.want, What(fit, request), Node(node_name), p.memory_slices, fit.have,
            inv.model->memory_slices);
      }
      return fmt::format(
          "gpu: no free placement for {} ({} memory slices) on any GPU of {} (largest "
          "placeable: {} of {} slices)",
          What(fit, request), p.memory_slices, Node(node_name), fit.have, inv.model->memory_slices);
    }
    case FitCode::kExceedsNode:
      if (request.kind == GpuRequestKind::kWhole) {
        return fmt::format("gpu: the pod asks for {} GPUs; {} holds at most {}", fit.want,
                           Node(node_name), fit.have);
      }
      if (request.kind == GpuRequestKind::kMemory) {
        return fmt::format(
            "gpu: the pod asks for {} of GPU memory on one GPU; the largest GPU "
            "of {} holds {}",
            Memory(node, fit.want), Node(node_name), Memory(node, fit.have));
      }
      return fmt::format("gpu: the pod asks for {} {} instances; {} holds at most {}", fit.want,
                         What(fit, request), Node(node_name), fit.have);
    case FitCode::kStaticMig:
      return fmt::format("gpu: {} has {} of {} nvidia.com/mig-{} free, the pod asks for {}",
                         Node(node_name), fit.have, node.StaticMigTotal(fit.profile_name),
                         fit.profile_name, fit.want);
  }
  return "";
}

}  // namespace quotient::gpu
