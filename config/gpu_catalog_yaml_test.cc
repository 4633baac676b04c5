#include "config/gpu_catalog_yaml.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace quotient::config {
namespace {

bool Load(std::string_view text, gpu::MigCatalog* out, ConfigErrors* errors) {
  return LoadGpuCatalog(text, "gpus.yaml", gpu::BuiltinMigCatalog(), out, errors);
}

TEST(GpuCatalogYamlTest, AnOverrideChangesOnlyTheFieldsItGives) {
  gpu::MigCatalog catalog;
  ConfigErrors errors;
  ASSERT_TRUE(Load(R"(models:
- key: A100-40GB
  fractions: {"1.0": 7g.40gb, "0.5": 4g.20gb}
)",
                   &catalog, &errors))
      << FormatErrors(errors);
  const gpu::GpuModel& a100 = *catalog.Find("NVIDIA-A100-SXM4-40GB");
  EXPECT_EQ(a100.profiles.size(), 7u);
  EXPECT_EQ(a100.profiles[static_cast<size_t>(a100.ProfileForFraction(500))].name, "4g.20gb");
  EXPECT_EQ(a100.ProfileForFraction(250), -1);
  EXPECT_EQ(catalog.models().size(), gpu::BuiltinMigCatalog().models().size());
}

// One document, read as every file is (split at markers): a leading "," is refused rather
// than read as an empty catalog, and a second document is refused rather than dropped.
TEST(GpuCatalogYamlTest, ALeadingCommaOrASecondDocumentIsRefused) {
  struct Case {
    const char* text;
    int line;
    const char* message;
  };
  for (const Case& c : {
           Case{",\n", 1, "invalid YAML: unexpected character at the start of a document"},
           Case{"# c\n---\n, models: []\n", 3,
                "invalid YAML: unexpected character at the start of a document"},
           Case{"models: []\n---\nmodels:\n- key: A100-40GB\n", 3,
                "a second YAML document (the first starts at line 1): this file is one mapping; "
                "merge the two"},
       }) {
    SCOPED_TRACE(c.text);
    gpu::MigCatalog catalog;
    ConfigErrors errors;
    EXPECT_FALSE(Load(c.text, &catalog, &errors));
    ASSERT_EQ(errors.size(), 1u) << FormatErrors(errors);
    EXPECT_EQ(errors[0].line, c.line);
    EXPECT_EQ(errors[0].message, c.message);
  }
}

TEST(GpuCatalogYamlTest, ACatalogAfterACommentAndAMarkerKeepsTheFilesLines) {
  gpu::MigCatalog catalog;
  ConfigErrors errors;
  EXPECT_FALSE(Load("# the lab's GPUs\n---\nmodels:\n- key: A100-40GB\n  colour: green\n", &catalog,
                    &errors));
  ASSERT_EQ(errors.size(), 1u) << FormatErrors(errors);
  EXPECT_EQ(errors[0].line, 5) << FormatErrors(errors);
}

TEST(GpuCatalogYamlTest, ANewModelIsAddedWithItsGeometry) {
  gpu::MigCatalog catalog;
  ConfigErrors errors;
  ASSERT_TRUE(Load(R"(models:
- key: H20-96GB
  aliases: [NVIDIA H20]
  memoryMiB: 98304
  computeSlices: 7
  memorySlices: 8
  maxInstances: 7
  profiles:
  - {name: 3g.48gb, computeSlices: 3, memorySlices: 4, maxInstances: 2, starts: [0, 4]}
  - {name: 7g.96gb, computeSlices: 7, memorySlices: 8, maxInstances: 1, starts: [0], evidence: observed}
  fractions: {"1.0": 7g.96gb, "0.5": 3g.48gb}
)",
                   &catalog, &errors))
      << FormatErrors(errors);
  const gpu::GpuModel* h20 = catalog.Find("NVIDIA-H20");
  ASSERT_NE(h20, nullptr);
  EXPECT_EQ(h20->profiles[0].name, "7g.96gb");  // normalized: largest first
  EXPECT_EQ(h20->geometry.largest[0x0F], 4);
  EXPECT_FALSE(h20->placements_verified);
  EXPECT_EQ(h20->source, "gpus.yaml");
}

TEST(GpuCatalogYamlTest, TheMigResourcesANewModelAddsAreNamedForTheSchedulerConfig) {
  gpu::MigCatalog catalog;
  ConfigErrors errors;
  ASSERT_TRUE(Load(R"(models:
- key: X20-88GB
  memoryMiB: 90112
  computeSlices: 7
  memorySlices: 8
  maxInstances: 7
  profiles:
  - {name: 3g.44gb, computeSlices: 3, memorySlices: 4, maxInstances: 2, starts: [0, 4]}
  - {name: 7g.80gb, computeSlices: 7, memorySlices: 8, maxInstances: 1, starts: [0]}
)",
                   &catalog, &errors))
      << FormatErrors(errors);
  // 7g.80gb is an H100's too: the shipped configurations list it already.
  EXPECT_EQ(catalog.MigResourceNamesNotIn(gpu::BuiltinMigCatalog()),
            (std::vector<std::string>{"nvidia.com/mig-3g.44gb"}));
  EXPECT_TRUE(gpu::BuiltinMigCatalog().MigResourceNamesNotIn(gpu::BuiltinMigCatalog()).empty());
}

TEST(GpuCatalogYamlTest, EveryProblemIsReportedWithItsLineAndNothingIsApplied) {
  gpu::MigCatalog catalog = gpu::BuiltinMigCatalog();
  const gpu::GpuModel* before = catalog.Find("A100-40GB");
  ConfigErrors errors;
  EXPECT_FALSE(Load(R"(models:
- key: A100-40GB
  fractions: {"0.5": 4g.20gb}
- key: X1
  computeSlices: 7
  memorySlices: 8
  maxInstances: 7
  profiles:
  - {name: 3g, computeSlices: 3, memorySlices: 4, maxInstances: 2, starts: [0, 6]}
  - {name: 1g, computeSlices: 1, memorySlices: 1, maxInstances: 7, starts: [9], colour: red}
  fractions: {"2": 3g}
)",
                    &catalog, &errors));
  std::vector<std::string> text;
  for (const ConfigError& e : errors) text.push_back(e.ToString());
  const std::vector<std::string> want = {
      "gpus.yaml:10: models[1].profiles[1].colour: unknown field (known fields: name, "
      "computeSlices, memorySlices, maxInstances, starts, memoryMiB, evidence)",
      "gpus.yaml:10: models[1].profiles[1].starts: start \"9\" is not a memory slice 0..7",
      "gpus.yaml:11: models[1].fractions.2: not a fraction in (0, 1]",
      "gpus.yaml:4: models[1]: X1: profile 3g: start 6 + size 4 > 8 slices",
      "gpus.yaml:4: models[1]: X1: profile 1g: no placements",  // its only start was bad
  };
  EXPECT_EQ(text, want);
  EXPECT_EQ(catalog.Find("A100-40GB"), before);
  EXPECT_EQ(before->ProfileForFraction(500), before->FindProfile("3g.20gb"));
  EXPECT_EQ(catalog.Find("X1"), nullptr);
}

// Aliases multiply models x profiles x starts (a 4 KB file once took 32 s and 3.5 GB):
// each list is bounded before it is read.
TEST(GpuCatalogYamlTest, ListsLongerThanTheirBoundAreRefusedBeforeTheyAreRead) {
  const std::string profile =
      "    - &p {name: 1g.5gb, computeSlices: 1, memorySlices: 1, maxInstances: 7, starts: [0]}\n";
  std::string many_profiles =
      "models:\n- key: X1\n  memoryMiB: 40960\n  computeSlices: 7\n"
      "  memorySlices: 8\n  maxInstances: 7\n  profiles:\n" +
      profile;
  for (int i = 0; i < 20; ++i) many_profiles += "    - *p\n";
  std::string many_models = "models:\n- &m {key: A100-40GB}\n";
  for (int i = 0; i < 300; ++i) many_models += "- *m\n";
  struct Case {
    const char* name;
    std::string yaml;
    std::string error;
  };
  const std::vector<Case> table = {
      {"301 models", many_models, "gpus.yaml:2: models: 301 models, more than the limit of 256"},
      {"21 profiles of one model", many_profiles,
       "gpus.yaml:8: models[0].profiles: 21 profiles, more than the limit of 16"},
      {"nine starts of one profile",
       "models:\n- key: A100-40GB\n  profiles:\n  - {name: 1g.5gb, computeSlices: 1, "
       "memorySlices: 1, maxInstances: 7, starts: [0, 1, 2, 3, 4, 5, 6, 0, 1]}\n",
       "gpus.yaml:4: models[0].profiles[0].starts: 9 starts, more than the limit of 8"},
  };
  for (const Case& c : table) {
    SCOPED_TRACE(c.name);
    gpu::MigCatalog catalog;
    ConfigErrors errors;
    EXPECT_FALSE(Load(c.yaml, &catalog, &errors));
    ASSERT_FALSE(errors.empty());
    EXPECT_EQ(errors[0].ToString(), c.error);
  }
}

}  // namespace
}  // namespace quotient::config
