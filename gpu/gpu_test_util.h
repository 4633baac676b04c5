// Builders for the gpu/ tests: nodes from labels and allocatable maps, requests from
// resources, labels and annotations, as the cluster shows them.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "gpu/gpu_request.h"
#include "gpu/inventory.h"
#include "gpu/mig_catalog.h"
#include "gpu/node_gpus.h"
#include "gpu/placement.h"
#include "quota/resource_list.h"

namespace quotient::gpu::testing {

inline quota::ResourceList Resources(
    std::initializer_list<std::pair<std::string_view, int64_t>> entries) {
  return quota::ResourceList(entries);
}

inline NodeGpuInventory Inventory(const StringPairs& labels, const quota::ResourceList& alloc,
                                  const StringPairs& annotations = {}) {
  std::vector<std::string> warnings;
  NodeGpuInventory inv = BuildNodeInventory(labels, annotations, alloc, BuiltinMigCatalog(),
                                            InventoryOptions{}, &warnings);
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  return inv;
}

// A node whose `gpus` GPUs of `model` are partitioned on demand.
inline NodeGpus DynamicMigNode(const std::string& model, int gpus,
                               const StringPairs& annotations = {}) {
  return NodeGpus(Inventory({{"nvidia.com/gpu.product", model},
                             {"nvidia.com/gpu.count", std::to_string(gpus)},
                             {"cdmo.clear.ml/gpu-partitioning", "mig"}},
                            {}, annotations));
}

inline NodeGpus ExclusiveNode(int gpus, const std::string& type = "",
                              const StringPairs& annotations = {}) {
  StringPairs labels;
  if (!type.empty()) labels.emplace_back("gpu-type", type);
  return NodeGpus(Inventory(labels, Resources({{"nvidia.com/gpu", gpus}}), annotations));
}

// gpushare: `gpus` GPUs of `units_per_gpu` GiB each.
inline NodeGpus SharedNode(int gpus, int64_t units_per_gpu) {
  return NodeGpus(Inventory({}, Resources({{"aliyun.com/gpu-mem", gpus * units_per_gpu},
                                           {"aliyun.com/gpu-count", gpus}})));
}

inline GpuRequest Request(const quota::ResourceList& requests, const StringPairs& labels = {},
                          const StringPairs& annotations = {}) {
  GpuRequest out;
  std::string error;
  EXPECT_TRUE(ParseGpuRequest(requests, labels, annotations, BuiltinMigCatalog(), &out, &error))
      << error;
  return out;
}

inline GpuRequest Mig(const std::string& profile) {
  return Request(quota::ResourceList{{"nvidia.com/mig-" + profile, 1}});
}

inline GpuRequest Fraction(const std::string& fraction) {
  return Request({}, {{"required-resources", fraction}});
}

// A dynamic MIG assignment of `profile` instances at (gpu, start) on an A100-40GB.
inline GpuAssignment Instances(const char* profile, std::vector<std::pair<int, int>> where) {
  const int p = BuiltinMigCatalog().Find("A100-40GB")->FindProfile(profile);
  GpuAssignment a;
  a.kind = GpuRequestKind::kMig;
  for (auto [gpu, start] : where) {
    a.instances.push_back(MigSlot{gpu, p, start});
    a.gpus |= uint64_t{1} << gpu;
  }
  return a;
}

}  // namespace quotient::gpu::testing
