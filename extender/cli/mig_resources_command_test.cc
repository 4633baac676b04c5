// `quotient mig-resources`: the managedResources list of the built-in catalog and of a
// catalog file, and its errors.
#include "extender/cli/mig_resources_command.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace quotient::extender {
namespace {

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result MigResources(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = RunMigResources(args, out, err);
  return {code, out.str(), err.str()};
}

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "mig_resources_command_test_" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(MigResourcesCommandTest, ListsEveryBuiltinProfileOnceAsYaml) {
  const Result r = MigResources({});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(
      r.out.starts_with("  managedResources:\n"
                        "  - {name: nvidia.com/mig-1g.10gb, ignoredByScheduler: true}\n"))
      << r.out;
  EXPECT_NE(r.out.find("  - {name: nvidia.com/mig-1g.5gb.me, ignoredByScheduler: true}\n"),
            std::string::npos);
  EXPECT_NE(r.out.find("nvidia.com/mig-7g.180gb"), std::string::npos);
  // 1g.10gb is a profile of the A100-40GB, the A100-80GB and the H100-80GB: listed once.
  EXPECT_EQ(r.out.find("mig-1g.10gb,"), r.out.rfind("mig-1g.10gb,"));
}

TEST(MigResourcesCommandTest, ACatalogFileAddsItsModelsProfiles) {
  const std::string file = WriteFile("h20.yaml", R"(models:
- key: H20-96GB
  computeSlices: 7
  memorySlices: 8
  maxInstances: 7
  profiles:
  - {name: 7g.96gb, computeSlices: 7, memorySlices: 8, maxInstances: 1, starts: [0]}
  - {name: 3g.48gb+me, computeSlices: 3, memorySlices: 4, maxInstances: 1, starts: [0, 4]}
)");
  const Result r = MigResources({"--catalog", file});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("  - {name: nvidia.com/mig-3g.48gb.me, ignoredByScheduler: true}\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("nvidia.com/mig-3g.20gb"), std::string::npos);  // built-ins stay
  EXPECT_EQ(MigResources({"--catalog=" + file}).out, r.out);
}

TEST(MigResourcesCommandTest, AnInvalidCatalogPrintsItsErrorsAndExitsOne) {
  const std::string file = WriteFile("bad.yaml", "models:\n- key: X1\n  colour: red\n");
  const Result r = MigResources({"--catalog", file});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find(file + ":3: models[0].colour: unknown field"), std::string::npos) << r.err;
  const Result missing = MigResources({"--catalog", "/nonexistent/gpus.yaml"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_FALSE(missing.err.empty());
}

TEST(MigResourcesCommandTest, UsageErrorsExitTwoAndHelpExitsZero) {
  EXPECT_EQ(MigResources({"--catalog"}).code, 2);
  EXPECT_EQ(MigResources({"extra"}).code, 2);
  const Result help = MigResources({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_TRUE(help.out.starts_with("Usage: quotient mig-resources")) << help.out;
}

}  // namespace
}  // namespace quotient::extender
