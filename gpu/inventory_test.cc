#include "gpu/inventory.h"

#include <gtest/gtest.h>

#include <limits>

#include "gpu/gpu_test_util.h"

namespace quotient::gpu {
namespace {

using testing::Inventory;
using testing::Resources;

std::vector<GpuMode> Modes(const NodeGpuInventory& inv) {
  std::vector<GpuMode> out;
  for (const GpuDevice& g : inv.gpus) out.push_back(g.mode);
  return out;
}

TEST(InventoryTest, AMixedStrategyNodeHasWholeGpusAndStaticMigDevices) {
  // GFD labels and allocatable of an 8 x A100-40GB node, 4 GPUs partitioned.
  const NodeGpuInventory inv = Inventory(
      {{"nvidia.com/gpu.product", "NVIDIA-A100-SXM4-40GB"},
       {"nvidia.com/gpu.count", "8"},
       {"nvidia.com/gpu.memory", "40960"},
       {"nvidia.com/mig.strategy", "mixed"}},
      Resources(
          {{"nvidia.com/gpu", 4}, {"nvidia.com/mig-3g.20gb", 4}, {"nvidia.com/mig-1g.5gb.me", 4}}));
  ASSERT_NE(inv.model, nullptr);
  EXPECT_EQ(inv.model_name, "A100-40GB");
  EXPECT_EQ(inv.memory_mib, 40960);
  EXPECT_EQ(inv.CountMode(GpuMode::kExclusive), 4);
  EXPECT_EQ(inv.CountMode(GpuMode::kMig), 4);
  const std::vector<std::pair<std::string, int64_t>> mig = {{"1g.5gb.me", 4}, {"3g.20gb", 4}};
  EXPECT_EQ(inv.static_mig, mig);
}

TEST(InventoryTest, TheDevicePluginsWholeGpusAreItsAllocatable) {
  EXPECT_EQ(Inventory({{"nvidia.com/gpu.count", "8"}}, Resources({{"nvidia.com/gpu", 6}}))
                .device_plugin_gpus,
            6);
  // GFD labels and no device plugin at all (a DRA node): no GPU is Quotient's to place,
  // and none is unhealthy.
  const NodeGpuInventory dra = Inventory({{"nvidia.com/gpu.count", "8"}}, Resources({}));
  EXPECT_EQ(dra.device_plugin_gpus, 0);
  EXPECT_TRUE(dra.gpus.empty());
  // A device plugin that offers none of them (every GPU withdrawn, or re-registering after
  // a kubelet restart): they are unhealthy.
  const NodeGpuInventory withdrawn =
      Inventory({{"nvidia.com/gpu.count", "8"}}, Resources({{"nvidia.com/gpu", 0}}));
  EXPECT_EQ(withdrawn.CountMode(GpuMode::kUnhealthy), 8);
}

TEST(InventoryTest, AGpushareNodeSplitsItsMemoryEvenly) {
  const NodeGpuInventory inv =
      Inventory({}, Resources({{"aliyun.com/gpu-mem", 33}, {"aliyun.com/gpu-count", 2}}));
  ASSERT_EQ(inv.gpus.size(), 2u);
  EXPECT_EQ(Modes(inv), (std::vector<GpuMode>{GpuMode::kShared, GpuMode::kShared}));
  EXPECT_EQ(inv.gpus[0].share_units, 17);
  EXPECT_EQ(inv.gpus[1].share_units, 16);
}

// Found by fuzz_gpu_placement: allocatable is any quantity a node reports.
TEST(InventoryTest, AHugeGpushareAllocatableSaturatesTheMemoryInsteadOfOverflowing) {
  const NodeGpuInventory inv =
      Inventory({}, Resources({{"aliyun.com/gpu-mem", int64_t{627} << 50}}));
  ASSERT_EQ(inv.gpus.size(), 1u);
  EXPECT_EQ(inv.gpus[0].share_units, int64_t{627} << 50);
  EXPECT_EQ(inv.memory_mib, std::numeric_limits<int64_t>::max());
}

TEST(InventoryTest, TheDynamicMigLabelMakesEveryGpuPartitionable) {
  const NodeGpuInventory inv = Inventory({{"nvidia.com/gpu.product", "NVIDIA-H100-80GB-HBM3"},
                                          {"nvidia.com/gpu.count", "2"},
                                          {"cdmo.clear.ml/gpu-partitioning", "mig"}},
                                         Resources({{"nvidia.com/gpu", 2}}));
  EXPECT_EQ(Modes(inv), (std::vector<GpuMode>{GpuMode::kMigDynamic, GpuMode::kMigDynamic}));
}

TEST(InventoryTest, TheDynamicMigLabelIsIgnoredOnGpusWithoutMig) {
  const NodeGpuInventory inv =
      Inventory({{"gpu-type", "T4"}, {"cdmo.clear.ml/gpu-partitioning", "mig"}},
                Resources({{"nvidia.com/gpu", 1}}));
  EXPECT_EQ(inv.model_name, "T4");
  EXPECT_EQ(Modes(inv), std::vector<GpuMode>{GpuMode::kExclusive});
}

TEST(InventoryTest, ThePlacementLabelSetsTheNodePoolsPolicy) {
  const quota::ResourceList gpus = Resources({{"nvidia.com/gpu", 2}});
  EXPECT_EQ(Inventory({}, gpus).pack, PackPolicy::kBinpack);
  EXPECT_EQ(Inventory({{"quotient.io/gpu-placement", "spread"}}, gpus).pack, PackPolicy::kSpread);
  EXPECT_EQ(Inventory({{"quotient.io/gpu-placement", "binpack"}}, gpus).pack, PackPolicy::kBinpack);

  InventoryOptions options;
  options.pack = PackPolicy::kSpread;
  options.placement_label = "pool-policy";
  std::vector<std::string> warnings;
  EXPECT_EQ(BuildNodeInventory({}, {}, gpus, BuiltinMigCatalog(), options, &warnings).pack,
            PackPolicy::kSpread);
  EXPECT_EQ(BuildNodeInventory({{"pool-policy", "binpack"}}, {}, gpus, BuiltinMigCatalog(), options,
                               &warnings)
                .pack,
            PackPolicy::kBinpack);
  EXPECT_TRUE(warnings.empty());
}

TEST(InventoryTest, AnUnknownPlacementIsTheDefaultWithAWarning) {
  std::vector<std::string> warnings;
  const NodeGpuInventory inv = BuildNodeInventory(
      {{"quotient.io/gpu-placement", "tight"}}, {}, Resources({{"nvidia.com/gpu", 1}}),
      BuiltinMigCatalog(), InventoryOptions{}, &warnings);
  EXPECT_EQ(inv.pack, PackPolicy::kBinpack);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "label quotient.io/gpu-placement=\"tight\" is neither binpack nor spread; using "
            "binpack");
  EXPECT_EQ(inv.gpus.size(), 1u);  // the rest of the inventory stands
}

TEST(InventoryTest, AnUnknownModelKeepsTheLabelsName) {
  const NodeGpuInventory inv =
      Inventory({{"gpu-type", "RTX-4090"}}, Resources({{"nvidia.com/gpu", 1}}));
  EXPECT_EQ(inv.model, nullptr);
  EXPECT_EQ(inv.model_name, "RTX-4090");
  EXPECT_EQ(inv.model_canonical, "RTX4090");
}

TEST(InventoryTest, GpusMissingFromAllocatableAreUnhealthy) {
  const NodeGpuInventory inv =
      Inventory({{"nvidia.com/gpu.count", "8"}}, Resources({{"nvidia.com/gpu", 7}}));
  EXPECT_EQ(inv.CountMode(GpuMode::kExclusive), 7);
  EXPECT_EQ(inv.CountMode(GpuMode::kUnhealthy), 1);
}

TEST(InventoryTest, TheLayoutAnnotationSetsModesAndExistingInstances) {
  const NodeGpuInventory inv = Inventory(
      {{"nvidia.com/gpu.product", "NVIDIA-A100-SXM4-40GB"}, {"nvidia.com/gpu.count", "3"}},
      Resources({{"nvidia.com/gpu", 3}}),
      {{"quotient.io/gpu-layout", "0:mig-dynamic:1g.5gb@6,3g.20gb@0; 2:unhealthy"}});
  EXPECT_EQ(Modes(inv),
            (std::vector<GpuMode>{GpuMode::kMigDynamic, GpuMode::kExclusive, GpuMode::kUnhealthy}));
  ASSERT_EQ(inv.gpus[0].existing.size(), 2u);
  EXPECT_EQ(inv.model->profiles[static_cast<size_t>(inv.gpus[0].existing[1].profile)].name,
            "3g.20gb");
  EXPECT_EQ(inv.gpus[0].existing[0].start, 6);
}

TEST(InventoryTest, AMalformedAnnotationIsIgnoredWithAWarning) {
  struct Case {
    const char* name;
    const char* key;
    const char* value;
    const char* warning;
  };
  const Case cases[] = {
      {"an unknown mode", "quotient.io/gpu-layout", "0:partitioned",
       "quotient.io/gpu-layout ignored: GPU 0: unknown mode \"partitioned\""},
      {"an illegal start", "quotient.io/gpu-layout", "0:mig:3g.20gb@2",
       "quotient.io/gpu-layout ignored: GPU 0: 3g.20gb may not start at slice 2"},
      {"a profile of another model", "quotient.io/gpu-layout", "0:mig:3g.40gb@0",
       "quotient.io/gpu-layout ignored: GPU 0: \"3g.40gb@0\" is not a A100-40GB "
       "<profile>@<start>"},
      {"a link to a GPU the node lacks", "quotient.io/gpu-links", "0-5=NV2",
       "quotient.io/gpu-links ignored: entry \"0-5=NV2\" is not <gpu>-<gpu>=<topo> over GPUs "
       "0..1"},
      {"an unknown link", "quotient.io/gpu-links", "0-1=QPI",
       "quotient.io/gpu-links ignored: entry \"0-1=QPI\": unknown link \"QPI\""},
  };
  for (const Case& c : cases) {
    std::vector<std::string> warnings;
    const NodeGpuInventory inv = BuildNodeInventory(
        {{"nvidia.com/gpu.product", "NVIDIA-A100-SXM4-40GB"}}, {{c.key, c.value}},
        Resources({{"nvidia.com/gpu", 2}}), BuiltinMigCatalog(), InventoryOptions{}, &warnings);
    EXPECT_EQ(warnings, std::vector<std::string>{c.warning}) << c.name;
    EXPECT_EQ(Modes(inv), (std::vector<GpuMode>{GpuMode::kExclusive, GpuMode::kExclusive}))
        << c.name;
    EXPECT_TRUE(inv.links.empty()) << c.name;
  }
}

TEST(InventoryTest, LinksAreSymmetricScores) {
  const NodeGpuInventory inv = Inventory({}, Resources({{"nvidia.com/gpu", 3}}),
                                         {{"quotient.io/gpu-links", "0-1=NV12, 1-2=PIX"}});
  EXPECT_EQ(inv.Link(0, 1), 1200);
  EXPECT_EQ(inv.Link(1, 0), 1200);
  EXPECT_EQ(inv.Link(2, 1), 60);
  EXPECT_EQ(inv.Link(0, 2), 0);
}

TEST(InventoryTest, LinkScoresFollowNvidiaSmiTopo) {
  EXPECT_EQ(LinkScore("NV2"), 200);
  EXPECT_EQ(LinkScore("PIX"), 60);
  EXPECT_EQ(LinkScore("SYS"), 10);
  EXPECT_EQ(LinkScore("NV"), 0);
  EXPECT_EQ(LinkScore("X"), 0);
}

}  // namespace
}  // namespace quotient::gpu
