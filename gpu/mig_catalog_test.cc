#include "gpu/mig_catalog.h"

#include <gtest/gtest.h>

#include <bit>

namespace quotient::gpu {
namespace {

TEST(MigCatalogTest, EveryBuiltinModelIsConsistent) {
  for (const GpuModel& model : BuiltinMigCatalog().models()) {
    EXPECT_EQ(ValidateGpuModel(model), std::vector<std::string>{}) << model.key;
  }
}

TEST(MigCatalogTest, EveryBuiltInModelIsThere) {
  for (const char* key : {"A100-40GB", "A100-80GB", "A30-24GB", "H100-80GB", "H100-94GB-NVL",
                          "H200-141GB", "GH200-96GB", "GH200-144GB", "B200-180GB"}) {
    const GpuModel* model = BuiltinMigCatalog().Find(key);
    ASSERT_NE(model, nullptr) << key;
    EXPECT_TRUE(model->mig_capable()) << key;
    EXPECT_FALSE(model->source.empty()) << key;
  }
}

TEST(MigCatalogTest, ModelsAreFoundByTheNamesNodesShow) {
  struct Case {
    const char* name;
    const char* key;  // nullptr: unknown
  };
  const Case cases[] = {
      {"NVIDIA-A100-SXM4-40GB", "A100-40GB"},             // GFD product
      {"NVIDIA A100-PCIE-40GB", "A100-40GB"},             // NVML name
      {"NVIDIA-A100-80GB-PCIe", "A100-80GB"},             // the real mixed-strategy dump
      {"NVIDIA-A100-SXM4-40GB-MIG-1g.5gb", "A100-40GB"},  // single strategy product
      {"NVIDIA-A100-SXM4-40GB-SHARED", "A100-40GB"},      // time-sliced product
      {"NVIDIA-H100-80GB-HBM3", "H100-80GB"},
      {"NVIDIA H100 NVL", "H100-94GB-NVL"},
      {"a30", "A30-24GB"},
      {"Tesla-T4", "T4"},
      {"T4", "T4"},
      {"NVIDIA-GeForce-RTX-4090", nullptr},
      {"", nullptr},
  };
  for (const Case& c : cases) {
    const GpuModel* model = BuiltinMigCatalog().Find(c.name);
    if (c.key == nullptr) {
      EXPECT_EQ(model, nullptr) << c.name;
    } else {
      ASSERT_NE(model, nullptr) << c.name;
      EXPECT_EQ(model->key, c.key) << c.name;
    }
  }
}

TEST(MigCatalogTest, FractionsMapToTheModelsProfiles) {
  struct Case {
    const char* model;
    int milli;
    const char* profile;  // nullptr: no profile
  };
  const Case cases[] = {
      {"A100-40GB", 1000, "7g.40gb"}, {"A100-40GB", 500, "3g.20gb"},
      {"A100-40GB", 250, "2g.10gb"},  {"A100-40GB", 300, nullptr},
      {"H100-80GB", 500, "3g.40gb"},  {"H200-141GB", 250, "2g.35gb"},
      {"A30-24GB", 250, "1g.6gb"},    {"B200-180GB", 1000, "7g.180gb"},
  };
  for (const Case& c : cases) {
    const GpuModel& model = *BuiltinMigCatalog().Find(c.model);
    const int p = model.ProfileForFraction(c.milli);
    if (c.profile == nullptr) {
      EXPECT_EQ(p, -1) << c.model << " " << c.milli;
    } else {
      ASSERT_GE(p, 0) << c.model << " " << c.milli;
      EXPECT_EQ(model.profiles[static_cast<size_t>(p)].name, c.profile);
    }
  }
}

TEST(MigCatalogTest, ProfilesAreFoundByNameOrResourceSpelling) {
  const GpuModel& a100 = *BuiltinMigCatalog().Find("A100-40GB");
  const int me = a100.FindProfile("1g.5gb.me");
  ASSERT_GE(me, 0);
  EXPECT_EQ(a100.profiles[static_cast<size_t>(me)].name, "1g.5gb+me");
  EXPECT_EQ(a100.profiles[static_cast<size_t>(me)].ResourceName(), "nvidia.com/mig-1g.5gb.me");
  EXPECT_TRUE(a100.profiles[static_cast<size_t>(me)].media_extensions);
  EXPECT_EQ(a100.FindProfile("3g.40gb"), -1);
}

TEST(MigCatalogTest, ProfilesAreOrderedLargestFirst) {
  const GpuModel& a100 = *BuiltinMigCatalog().Find("A100-40GB");
  EXPECT_EQ(a100.profiles.front().name, "7g.40gb");
  for (size_t i = 1; i < a100.profiles.size(); ++i) {
    EXPECT_GE(a100.profiles[i - 1].memory_slices, a100.profiles[i].memory_slices);
  }
}

TEST(MigCatalogTest, InferredTablesAreMarked) {
  EXPECT_TRUE(BuiltinMigCatalog().Find("A100-40GB")->placements_verified);
  EXPECT_TRUE(BuiltinMigCatalog().Find("H100-80GB")->placements_verified);
  EXPECT_FALSE(BuiltinMigCatalog().Find("H200-141GB")->placements_verified);
  EXPECT_FALSE(BuiltinMigCatalog().Find("B200-180GB")->placements_verified);
  const GpuModel& a30 = *BuiltinMigCatalog().Find("A30-24GB");
  EXPECT_EQ(a30.profiles[static_cast<size_t>(a30.FindProfile("2g.12gb+me"))].placements,
            Evidence::kInferred);
  EXPECT_EQ(a30.profiles[static_cast<size_t>(a30.FindProfile("2g.12gb"))].placements,
            Evidence::kObserved);
}

TEST(MigCatalogTest, FreeCapacityIsNotFit) {
  // Two 1g instances at slices 0 and 4 leave 6 free slices and no 3g placement.
  const GpuModel& a100 = *BuiltinMigCatalog().Find("A100-40GB");
  const uint8_t mask = 0b0001'0001;
  const size_t three = static_cast<size_t>(a100.FindProfile("3g.20gb"));
  EXPECT_EQ(a100.geometry.free_starts[mask][three], 0);
  EXPECT_EQ(a100.geometry.largest[mask], 2);  // a 2g at 2 or a 1g.10gb at 2 or 6
  EXPECT_DOUBLE_EQ(Fragmentation(a100, mask), 1.0 - 2.0 / 6.0);
  // The same two instances side by side keep a 3g (and the 4 slices it needs) placeable.
  EXPECT_EQ(a100.geometry.largest[0b0000'0011], 4);
  EXPECT_DOUBLE_EQ(Fragmentation(a100, 0b0000'0011), 1.0 - 4.0 / 6.0);
}

TEST(MigCatalogTest, FragmentationOfEmptyFullAndUnusableGpus) {
  const GpuModel& a100 = *BuiltinMigCatalog().Find("A100-40GB");
  EXPECT_DOUBLE_EQ(Fragmentation(a100, 0), 0.0);
  EXPECT_DOUBLE_EQ(Fragmentation(a100, 0xFF), 0.0);
  // Only slice 7 free: no profile of size 1 may start there.
  EXPECT_DOUBLE_EQ(Fragmentation(a100, 0x7F), 1.0);
}

TEST(MigCatalogTest, HeadroomComparesLargestProfilesFirst) {
  const GpuModel& a100 = *BuiltinMigCatalog().Find("A100-40GB");
  const auto& h = a100.geometry.headroom;
  // After a 3g at 4 a 4g still fits at 0; after a 3g at 0 it does not.
  EXPECT_GT(h[0xF0], h[0x0F]);
  EXPECT_EQ(h[0] >> 60, 1u);  // one 7g placement on an empty GPU
}

TEST(MigCatalogTest, ValidationNamesEveryProblem) {
  GpuModel bad = *BuiltinMigCatalog().Find("A100-40GB");
  bad.profiles[0].starts = {1};               // 7g of 8 slices at 1
  bad.profiles[1].compute_slices = 9;         // more than 7
  bad.fractions.push_back({500, "5g.25gb"});  // unknown profile
  const std::vector<std::string> problems = ValidateGpuModel(bad);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0], "A100-40GB: profile 7g.40gb: start 1 + size 8 > 8 slices");
  EXPECT_EQ(problems[1], "A100-40GB: profile 4g.20gb: compute slices 9 not in 1..7");
  EXPECT_EQ(problems[2], "A100-40GB: fraction 500 names unknown profile 5g.25gb");
}

TEST(MigCatalogTest, UpsertReplacesAModelInPlace) {
  MigCatalog catalog = BuiltinMigCatalog();
  const GpuModel* before = catalog.Find("A100-40GB");
  GpuModel changed = *before;
  changed.fractions = {{500, "4g.20gb"}};
  catalog.Upsert(changed);
  EXPECT_EQ(catalog.Find("A100-40GB"), before);
  EXPECT_EQ(before->profiles[static_cast<size_t>(before->ProfileForFraction(500))].name, "4g.20gb");
  EXPECT_EQ(BuiltinMigCatalog().Find("A100-40GB")->fractions.size(), 3u);
}

}  // namespace
}  // namespace quotient::gpu
