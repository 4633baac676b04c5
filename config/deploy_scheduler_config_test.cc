// The scheduler configurations in deploy/ tell kube-scheduler to ignore every MIG resource of
// the built-in catalog (docs/gpu.md, "The scheduler configuration a live GPU decider needs"):
// a profile added to the catalog without its managedResources entry would leave dynamic-MIG
// pods of that profile unschedulable, since no node advertises the device before the node
// agent creates it.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <vector>

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

TEST_P(DeploySchedulerConfigTest, ASecondEntryIgnoresEveryBuiltinMigResource) {
  const std::string path = std::string(QUOTIENT_DEPLOY_DIR) + "/" + GetParam();
  const YAML::Node config = YAML::LoadFile(path);
  int quotient = 0;
  int ignoring = 0;
  std::set<std::string> ignored;
  for (const YAML::Node& extender : config["extenders"]) {
    if (extender["filterVerb"]) {
      ++quotient;
      EXPECT_FALSE(extender["managedResources"])
          << path << ": the entry with verbs must see every pod (no managedResources)";
      continue;
    }
    ++ignoring;
    for (const char* verb : {"prioritizeVerb", "preemptVerb", "bindVerb"}) {
      EXPECT_FALSE(extender[verb]) << path << ": the ignoring entry has " << verb;
    }
    for (const YAML::Node& r : extender["managedResources"]) {
      EXPECT_TRUE(r["ignoredByScheduler"].as<bool>()) << r["name"].as<std::string>();
      ignored.insert(r["name"].as<std::string>());
    }
  }
  EXPECT_EQ(quotient, 1) << path;
  EXPECT_EQ(ignoring, 1) << path;
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
