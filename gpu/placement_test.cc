// Whole GPUs, GPU memory shares, static MIG devices and model selection.
#include "gpu/placement.h"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "gpu/gpu_test_util.h"

namespace quotient::gpu {
namespace {

using testing::ExclusiveNode;
using testing::Request;
using testing::Resources;
using testing::SharedNode;

GpuRequest Whole(int64_t n) {
  return Request(Resources({{"nvidia.com/gpu", n}}));
}
GpuRequest Memory(int64_t gib) {
  return Request(Resources({{"aliyun.com/gpu-mem", gib}}));
}

GpuAssignment Share(int gpu, int64_t units) {
  GpuAssignment a;
  a.kind = GpuRequestKind::kMemory;
  a.gpus = uint64_t{1} << gpu;
  a.share_units = units;
  return a;
}

GpuAssignment WholeSet(uint64_t gpus) {
  GpuAssignment a;
  a.kind = GpuRequestKind::kWhole;
  a.gpus = gpus;
  return a;
}

TEST(PlacementTest, WholeGpusAreLeftToDeviceClassesOnlyWhereNoDevicePluginOffersThem) {
  const NodeGpus dra(testing::Inventory({{"nvidia.com/gpu.count", "8"}}, Resources({})));
  EXPECT_TRUE(WholeGpusLeftToDeviceClasses(dra, Whole(1)));
  EXPECT_FALSE(WholeGpusLeftToDeviceClasses(dra, Memory(1)));  // only whole GPUs
  const NodeGpus plugin = ExclusiveNode(2);
  EXPECT_FALSE(WholeGpusLeftToDeviceClasses(plugin, Whole(1)));
  EXPECT_FALSE(WholeGpusLeftToDeviceClasses(plugin, Whole(3)));  // too many: the plugin's no
  // FitGpuRequest answers for the device plugin's GPUs alone.
  EXPECT_FALSE(FitGpuRequest(dra, Whole(1), FitOptions{}).fits());
}

TEST(PlacementTest, TwoGpusWith4GiFreeEachCannotTake8Gi) {
  NodeGpus node = SharedNode(2, 8);
  node.Assign("a", Share(0, 4));
  node.Assign("b", Share(1, 4));
  const GpuFit fit = FitGpuRequest(node, Memory(8), FitOptions{});
  EXPECT_EQ(fit.code, FitCode::kGpuMemory);
  EXPECT_EQ(FormatGpuFit(fit, Memory(8), node, "n1"),
            "gpu: no GPU on node n1 has 8Gi of GPU memory free (largest 4Gi)");
  EXPECT_TRUE(FitGpuRequest(node, Memory(4), FitOptions{}).fits());
}

TEST(PlacementTest, MemorySharesGoToTheTightestGpuThatHoldsThem) {
  NodeGpus node = SharedNode(3, 16);
  node.Assign("a", Share(0, 10));  // 6 free
  node.Assign("b", Share(1, 13));  // 3 free
  struct Case {
    const char* name;
    int64_t gib;
    PackPolicy pack;
    int gpu;
    int score;
  };
  const Case cases[] = {
      {"binpack takes the GPU with 3Gi free for 3Gi", 3, PackPolicy::kBinpack, 1, 10},
      {"binpack takes the GPU with 6Gi free for 4Gi", 4, PackPolicy::kBinpack, 0, 9},
      {"spread takes the idle GPU", 3, PackPolicy::kSpread, 2, 8},
      {"a request of a whole GPU's memory takes the idle GPU", 16, PackPolicy::kBinpack, 2, 10},
  };
  for (const Case& c : cases) {
    const GpuFit fit = FitGpuRequest(node, Memory(c.gib), FitOptions{.pack = c.pack});
    ASSERT_TRUE(fit.fits()) << c.name;
    EXPECT_EQ(fit.assignment.gpu(), c.gpu) << c.name;
    EXPECT_EQ(fit.score, c.score) << c.name;
  }
}

TEST(PlacementTest, ANodeWithoutGpushareSharesNoMemory) {
  const NodeGpus node = ExclusiveNode(2);
  const GpuFit fit = FitGpuRequest(node, Memory(4), FitOptions{});
  EXPECT_EQ(fit.code, FitCode::kNoSharing);
  EXPECT_EQ(FormatGpuFit(fit, Memory(4), node, "n1"),
            "gpu: node n1 shares no GPU memory (no aliyun.com/gpu-mem)");
}

TEST(PlacementTest, WholeGpusAreIdleGpusAndScoreByPacking) {
  NodeGpus node = ExclusiveNode(4);
  node.Assign("a", WholeSet(0b0101));
  GpuFit fit = FitGpuRequest(node, Whole(2), FitOptions{});
  ASSERT_TRUE(fit.fits());
  EXPECT_EQ(fit.assignment.gpus, 0b1010u);
  EXPECT_EQ(fit.score, 10);
  EXPECT_EQ(FitGpuRequest(node, Whole(1), FitOptions{.pack = PackPolicy::kSpread}).score, 3);

  fit = FitGpuRequest(node, Whole(3), FitOptions{});
  EXPECT_EQ(fit.code, FitCode::kWholeGpus);
  EXPECT_EQ(FormatGpuFit(fit, Whole(3), node, "n1"),
            "gpu: node n1 has 2 idle GPUs, the pod asks for 3");
}

TEST(PlacementTest, TheNodePoolsPolicyAppliesUnlessTheCallerOverridesIt) {
  // Two nodes of 4 GPUs, one busy GPU each; the second's pool spreads.
  NodeGpus packed = ExclusiveNode(4);
  NodeGpus spread(testing::Inventory({{"quotient.io/gpu-placement", "spread"}},
                                     Resources({{"nvidia.com/gpu", 4}})));
  packed.Assign("a", WholeSet(0b0001));
  spread.Assign("a", WholeSet(0b0001));
  EXPECT_EQ(FitGpuRequest(packed, Whole(1), FitOptions{}).score, 5);  // 2 of 4 in use after
  EXPECT_EQ(FitGpuRequest(spread, Whole(1), FitOptions{}).score, 5);  // 10 - 5
  EXPECT_EQ(FitGpuRequest(packed, Whole(2), FitOptions{}).score, 8);  // 7.5, rounded
  EXPECT_EQ(FitGpuRequest(spread, Whole(2), FitOptions{}).score, 3);  // 2.5, rounded
  EXPECT_EQ(FitGpuRequest(spread, Whole(2), FitOptions{.pack = PackPolicy::kBinpack}).score, 8);

  // Memory: a spread pool's share goes to the emptiest GPU.
  NodeGpus shares(
      testing::Inventory({{"quotient.io/gpu-placement", "spread"}},
                         Resources({{"aliyun.com/gpu-mem", 32}, {"aliyun.com/gpu-count", 2}})));
  shares.Assign("a", Share(0, 4));
  EXPECT_EQ(FitGpuRequest(shares, Memory(4), FitOptions{}).assignment.gpu(), 1);
  EXPECT_EQ(
      FitGpuRequest(shares, Memory(4), FitOptions{.pack = PackPolicy::kBinpack}).assignment.gpu(),
      0);
}

TEST(PlacementTest, AGpuHoldingAMemoryShareIsNotIdle) {
  NodeGpus node = SharedNode(2, 16);
  node.Assign("a", Share(0, 1));
  GpuFit fit = FitGpuRequest(node, Whole(1), FitOptions{});
  ASSERT_TRUE(fit.fits());
  EXPECT_EQ(fit.assignment.gpu(), 1);
  node.Assign("b", fit.assignment);
  EXPECT_EQ(FitGpuRequest(node, Memory(1), FitOptions{}).assignment.gpu(), 0);
  EXPECT_EQ(FitGpuRequest(node, Whole(1), FitOptions{}).code, FitCode::kWholeGpus);
}

TEST(PlacementTest, SeveralGpusPreferTheBestConnectedSet) {
  // 0-2 and 1-3 are NVLink pairs; everything else crosses the CPU.
  const StringPairs links = {
      {"quotient.io/gpu-links", "0-1=SYS,0-2=NV2,0-3=SYS,1-2=SYS,1-3=NV4,2-3=SYS"}};
  NodeGpus node = ExclusiveNode(4, "", links);
  GpuFit fit = FitGpuRequest(node, Whole(2), FitOptions{});
  ASSERT_TRUE(fit.fits());
  EXPECT_EQ(fit.assignment.gpus, 0b1010u);  // the NV4 pair
  EXPECT_EQ(fit.score, 7);                  // 0.7 x 5 (half the GPUs) + 0.3 x 10
  node.Assign("a", fit.assignment);
  fit = FitGpuRequest(node, Whole(2), FitOptions{});
  EXPECT_EQ(fit.assignment.gpus, 0b0101u);
  EXPECT_EQ(fit.score, 9);  // 0.7 x 10 + 0.3 x 10 x 200/400 = 8.5
}

TEST(PlacementTest, APodAskingForAModelFitsOnlyThatModel) {
  const GpuRequest t4 =
      Request(Resources({{"nvidia.com/gpu", 2}}), {{"quotient.io/gpu-model", "T4"}});
  EXPECT_TRUE(FitGpuRequest(ExclusiveNode(2, "T4"), t4, FitOptions{}).fits());
  EXPECT_TRUE(FitGpuRequest(ExclusiveNode(2, "Tesla-T4"), t4, FitOptions{}).fits());
  const NodeGpus v100 = ExclusiveNode(2, "V100");
  const GpuFit fit = FitGpuRequest(v100, t4, FitOptions{});
  EXPECT_EQ(fit.code, FitCode::kWrongModel);
  EXPECT_EQ(FormatGpuFit(fit, t4, v100, "v1"),
            "gpu: node v1 has V100-16GB GPUs, the pod asks for T4");
  const NodeGpus cpu = NodeGpus(testing::Inventory({}, Resources({{"cpu", 8000}})));
  EXPECT_EQ(FormatGpuFit(FitGpuRequest(cpu, t4, FitOptions{}), t4, cpu, "c1"),
            "gpu: node c1 has no GPUs, the pod asks for T4");
  // A model no catalog knows still matches by its label.
  const GpuRequest rtx =
      Request(Resources({{"nvidia.com/gpu", 1}}), {{"quotient.io/gpu-model", "rtx-4090"}});
  EXPECT_TRUE(FitGpuRequest(ExclusiveNode(1, "RTX-4090"), rtx, FitOptions{}).fits());
}

TEST(PlacementTest, StaticMigDevicesAreCountedPerProfile) {
  NodeGpus node(testing::Inventory({{"nvidia.com/gpu.product", "NVIDIA-A100-SXM4-40GB"}},
                                   Resources({{"nvidia.com/mig-3g.20gb", 2}})));
  const GpuRequest half = testing::Fraction("0.5");
  for (int i = 0; i < 2; ++i) {
    const GpuFit fit = FitGpuRequest(node, half, FitOptions{});
    ASSERT_TRUE(fit.fits());
    EXPECT_EQ(fit.assignment.static_profile, "3g.20gb");
    EXPECT_EQ(fit.score, 5 * (i + 1));
    node.Assign("pod-" + std::to_string(i), fit.assignment);
  }
  const GpuFit fit = FitGpuRequest(node, half, FitOptions{});
  EXPECT_EQ(fit.code, FitCode::kStaticMig);
  EXPECT_EQ(FormatGpuFit(fit, half, node, "n1"),
            "gpu: node n1 has 0 of 2 nvidia.com/mig-3g.20gb free, the pod asks for 1");
  node.Release("pod-0");
  EXPECT_TRUE(FitGpuRequest(node, half, FitOptions{}).fits());
}

// The node agent created pod-0's 3g.20gb instance and the device plugin advertises it:
// that device is pod-0's, not a free one. The next 3g pod gets an instance of its own.
TEST(PlacementTest, AMigDynamicNodesAdvertisedInstancesOfItsOwnPodsAreNotFreeDevices) {
  const StringPairs labels = {{"nvidia.com/gpu.product", "NVIDIA-A100-SXM4-40GB"},
                              {"nvidia.com/gpu.count", "1"},
                              {"cdmo.clear.ml/gpu-partitioning", "mig"}};
  NodeGpus node(testing::Inventory(labels, {}));
  const GpuRequest three = testing::Mig("3g.20gb");
  const GpuFit first = FitGpuRequest(node, three, FitOptions{});
  ASSERT_TRUE(first.fits());
  ASSERT_TRUE(first.assignment.dynamic_mig());
  EXPECT_EQ(first.assignment.instances[0].start, 4);
  ASSERT_TRUE(node.Assign("pod-0", first.assignment));
  node.SetInventory(testing::Inventory(labels, Resources({{"nvidia.com/mig-3g.20gb", 1}})));
  EXPECT_EQ(node.DynamicMigAssigned("3g.20gb"), 1);
  const GpuFit second = FitGpuRequest(node, three, FitOptions{});
  ASSERT_TRUE(second.fits());
  ASSERT_TRUE(second.assignment.dynamic_mig()) << "counted pod-0's instance as a free device";
  EXPECT_EQ(second.assignment.instances[0].start, 0);
  ASSERT_TRUE(node.Assign("pod-1", second.assignment));
  // Both instances exist now; a third 3g pod fits nowhere, and one recorded on an
  // existing device (from its annotations) is an overlap.
  node.SetInventory(testing::Inventory(labels, Resources({{"nvidia.com/mig-3g.20gb", 2}})));
  EXPECT_FALSE(FitGpuRequest(node, three, FitOptions{}).fits());
  GpuAssignment on_a_held_device;
  on_a_held_device.kind = GpuRequestKind::kMig;
  on_a_held_device.static_profile = "3g.20gb";
  on_a_held_device.count = 1;
  EXPECT_FALSE(node.Assign("pod-2", on_a_held_device));
  // An instance nobody placed (created by hand, listed in the layout) is a free device.
  NodeGpus by_hand(testing::Inventory(labels, Resources({{"nvidia.com/mig-3g.20gb", 1}}),
                                      {{"quotient.io/gpu-layout", "0:mig-dynamic:3g.20gb@4"}}));
  const GpuFit existing = FitGpuRequest(by_hand, three, FitOptions{});
  ASSERT_TRUE(existing.fits());
  EXPECT_EQ(existing.assignment.static_profile, "3g.20gb");
}

TEST(PlacementTest, AFractionNeedsAPartitionableModel) {
  const NodeGpus t4 = ExclusiveNode(1, "T4");
  const GpuFit fit = FitGpuRequest(t4, testing::Fraction("0.5"), FitOptions{});
  EXPECT_EQ(fit.code, FitCode::kNotMig);
  EXPECT_EQ(FormatGpuFit(fit, testing::Fraction("0.5"), t4, "t1"),
            "gpu: node t1 has no 0.5 GPU MIG device and no GPU to partition (T4)");
}

// Any valid quantity is a count a pod may ask for ("2P", "9E"): each is decided against
// what the node could hold before anything is sized by it.
TEST(PlacementTest, CountsNoNodeCouldHoldAreRefusedBeforeAnythingIsSizedByThem) {
  const NodeGpus a100 = testing::DynamicMigNode("NVIDIA-A100-SXM4-40GB", 2);
  const NodeGpus static_mig(
      testing::Inventory({{"nvidia.com/gpu.product", "NVIDIA-A100-SXM4-40GB"}},
                         Resources({{"nvidia.com/mig-3g.20gb", 2}})));
  const int64_t kPeta2 = 2'000'000'000'000'000;
  const int64_t kExa9 = 9'000'000'000'000'000'000;
  struct Case {
    const char* name;
    NodeGpus node;
    GpuRequest request;
    int64_t most;
    const char* text;
  };
  const std::vector<Case> table = {
      {"2P MIG devices on two partitionable A100s (7 1g.5gb each)", a100,
       Request(Resources({{"nvidia.com/mig-1g.5gb", kPeta2}})), 14,
       "gpu: the pod asks for 2000000000000000 1g.5gb instances; node n1 holds at most 14"},
      {"9E MIG devices", a100, Request(Resources({{"nvidia.com/mig-1g.5gb", kExa9}})), 14,
       "gpu: the pod asks for 9000000000000000000 1g.5gb instances; node n1 holds at most 14"},
      {"one more 3g.20gb than two per GPU", a100,
       Request(Resources({{"nvidia.com/mig-3g.20gb", 5}})), 4,
       "gpu: the pod asks for 5 3g.20gb instances; node n1 holds at most 4"},
      {"static devices count too, when the node has no partitionable GPU", static_mig,
       Request(Resources({{"nvidia.com/mig-3g.20gb", kPeta2}})), 2, nullptr},
      {"2P whole GPUs on a node of 4", ExclusiveNode(4),
       Request(Resources({{"nvidia.com/gpu", kPeta2}})), 4,
       "gpu: the pod asks for 2000000000000000 GPUs; node n1 holds at most 4"},
      {"a memory share larger than any GPU of the node", SharedNode(2, 16), Memory(17), 16,
       "gpu: the pod asks for 17Gi of GPU memory on one GPU; the largest GPU of node n1 holds "
       "16Gi"},
      {"a memory share too large to count in bytes", SharedNode(2, 16),
       Request(Resources({{"aliyun.com/gpu-mem", kExa9}})), 16,
       "gpu: the pod asks for 9000000000000000000 units of aliyun.com/gpu-mem of GPU memory on "
       "one GPU; the largest GPU of node n1 holds 16Gi"},
  };
  for (const Case& c : table) {
    SCOPED_TRACE(c.name);
    const GpuFit fit = FitGpuRequest(c.node, c.request, FitOptions{});
    if (c.node.inventory().CountMode(GpuMode::kMigDynamic) == 0 &&
        c.request.kind == GpuRequestKind::kMig) {
      EXPECT_EQ(fit.code, FitCode::kStaticMig);  // no GPU to partition: nothing is sized
      EXPECT_EQ(fit.have, c.most);
      continue;
    }
    EXPECT_EQ(FitCodeName(fit.code), "exceeds_node");
    EXPECT_EQ(fit.have, c.most);
    EXPECT_TRUE(fit.assignment.instances.empty());
    EXPECT_EQ(FormatGpuFit(fit, c.request, c.node, "n1"), c.text);
  }
}

TEST(PlacementTest, TheMostInstancesANodeHoldsStillFit) {
  const NodeGpus a100 = testing::DynamicMigNode("NVIDIA-A100-SXM4-40GB", 2);
  const GpuFit fit =
      FitGpuRequest(a100, Request(Resources({{"nvidia.com/mig-1g.5gb", 14}})), FitOptions{});
  ASSERT_TRUE(fit.fits());
  EXPECT_EQ(fit.assignment.instances.size(), 14u);
}

TEST(PlacementTest, AHugeMemoryShareRecordedFromAPodIsAnOverlapNotAnOverflow) {
  NodeGpus node = SharedNode(1, 16);
  EXPECT_TRUE(node.Assign("a", Share(0, 8)));
  EXPECT_FALSE(node.Assign("b", Share(0, std::numeric_limits<int64_t>::max())));
  EXPECT_EQ(node.use()[0].share_used, std::numeric_limits<int64_t>::max());
  node.Release("b");
  EXPECT_EQ(node.use()[0].share_used, 8);
}

TEST(PlacementTest, APodWithoutGpusFitsEverywhereWithScoreZero) {
  const GpuFit fit = FitGpuRequest(ExclusiveNode(1), GpuRequest{}, FitOptions{});
  EXPECT_TRUE(fit.fits());
  EXPECT_EQ(fit.score, 0);
}

}  // namespace
}  // namespace quotient::gpu
