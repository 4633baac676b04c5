// The scheduler configurations in deploy/ call Quotient's filter for every pod and its
// prioritize and bind for GPU pods only, and tell kube-scheduler to ignore every MIG resource of
// the built-in catalog (docs/gpu.md, "The scheduler configuration a live GPU decider needs"):
// a profile added to the catalog without its managedResources entry would leave dynamic-MIG
// pods of that profile unschedulable, since no node advertises the device before the node
// agent creates it.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <vector>

#include "gpu/inventory.h"
#include "gpu/mig_catalog.h"

namespace quotient::config {
namespace {

std::set<std::string> BuiltinMigResources() {
  const std::vector<std::string> names = gpu::BuiltinMigCatalog().MigResourceNames();
  return {names.begin(), names.end()};
}

std::string Lines(const std::set<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += "  - {name: " + n + ", ignoredByScheduler: true}\n";
  return out;
}

class DeploySchedulerConfigTest : public ::testing::TestWithParam<const char*> {};

// Entry 1 sees every pod and filters (no bind: kube-scheduler binds pods without GPU
// devices, docs/benchmarks.md); entry 2 prioritizes and binds the pods asking for a GPU
// device, and tells kube-scheduler to ignore every MIG resource of the built-in catalog.
TEST_P(DeploySchedulerConfigTest, FilterForEveryPodBindForGpuPodsAndIgnoreEveryBuiltinMigResource) {
  const std::string path = std::string(QUOTIENT_DEPLOY_DIR) + "/" + GetParam();
  const YAML::Node config = YAML::LoadFile(path);
  int filtering = 0;
  int binding = 0;
  std::set<std::string> ignored;
  std::set<std::string> counted;
  for (const YAML::Node& extender : config["extenders"]) {
    if (extender["filterVerb"]) {
      ++filtering;
      EXPECT_FALSE(extender["managedResources"])
          << path << ": the filter entry must see every pod (no managedResources)";
      EXPECT_TRUE(extender["preemptVerb"]) << path;
      EXPECT_FALSE(extender["bindVerb"]) << path << ": kube-scheduler binds pods without GPUs";
      EXPECT_FALSE(extender["prioritizeVerb"]) << path;
      continue;
    }
    ++binding;
    EXPECT_EQ(extender["bindVerb"].as<std::string>(), "bind") << path;
    EXPECT_EQ(extender["prioritizeVerb"].as<std::string>(), "prioritize") << path;
    EXPECT_FALSE(extender["ignorable"].as<bool>()) << path;
    EXPECT_TRUE(extender["nodeCacheCapable"].as<bool>()) << path;
    for (const YAML::Node& r : extender["managedResources"]) {
      const std::string name = r["name"].as<std::string>();
      if (r["ignoredByScheduler"] && r["ignoredByScheduler"].as<bool>()) {
        ignored.insert(name);
      } else {
        counted.insert(name);
      }
    }
  }
  EXPECT_EQ(filtering, 1) << path;
  EXPECT_EQ(binding, 1) << path;
  const std::set<std::string> advertised = {"nvidia.com/gpu", std::string(gpu::kResourceGpuMem)};
  EXPECT_EQ(counted, advertised) << path << ": the GPU resources nodes advertise";
  const std::set<std::string> want = BuiltinMigResources();
  EXPECT_EQ(ignored, want) << path << " should list exactly (quotient mig-resources):\n"
                           << Lines(want);
}

INSTANTIATE_TEST_SUITE_P(Deploy, DeploySchedulerConfigTest,
                         ::testing::Values("scheduler/kube-scheduler-config.yaml",
                                           "scheduler/kube-scheduler-config-tls.yaml",
                                           "second-scheduler/quotient-scheduler-config.yaml"));

}  // namespace
}  // namespace quotient::config
