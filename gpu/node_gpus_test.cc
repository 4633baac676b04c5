// NodeGpus: assignments applied to the per-GPU use, overlap checks and release.
#include "gpu/node_gpus.h"

#include <gtest/gtest.h>

#include "gpu/gpu_test_util.h"

namespace quotient::gpu {
namespace {

using testing::DynamicMigNode;
using testing::Instances;

struct AssignCase {
  const char* name;
  GpuAssignment assignment;
  bool ok;
  uint8_t mask0;  // GPU 0's slices after
};

TEST(NodeGpusTest, EveryInstanceOfAnAssignmentIsChecked) {
  const std::vector<AssignCase> table = {
      {"two instances side by side", Instances("1g.5gb", {{0, 0}, {0, 1}}), true, 0b11},
      {"two instances of one pod on the same slices overlap", Instances("1g.5gb", {{0, 0}, {0, 0}}),
       false, 0b1},
      {"a third 2g.10gb back over the first overlaps",
       Instances("2g.10gb", {{0, 0}, {0, 2}, {0, 0}}), false, 0x0F},
      {"instances on two GPUs", Instances("3g.20gb", {{0, 4}, {1, 4}}), true, 0xF0},
      {"a start the profile does not have is refused and not counted",
       Instances("3g.20gb", {{0, 2}}), false, 0},
      {"a GPU the node lacks is refused", Instances("1g.5gb", {{0, 0}, {2, 0}}), false, 0b1},
  };
  for (const AssignCase& c : table) {
    SCOPED_TRACE(c.name);
    NodeGpus node = DynamicMigNode("A100-40GB", 2);
    EXPECT_EQ(node.Assign("pod", c.assignment), c.ok);
    EXPECT_EQ(node.use()[0].mask, c.mask0);
  }
}

TEST(NodeGpusTest, AnInstanceOverlappingAnotherPodIsRefusedAndReleaseFreesAll) {
  NodeGpus node = DynamicMigNode("A100-40GB", 2);
  ASSERT_TRUE(node.Assign("a", Instances("1g.5gb", {{0, 0}, {0, 1}, {1, 6}})));
  EXPECT_FALSE(node.Assign("b", Instances("1g.5gb", {{0, 2}, {0, 1}})));
  EXPECT_EQ(node.use()[0].mask, 0b111);  // counted anyway: the pod runs where it runs
  EXPECT_TRUE(node.Release("a"));
  EXPECT_EQ(node.use()[0].mask, 0b110);
  EXPECT_EQ(node.use()[1].mask, 0);
  EXPECT_EQ(node.use()[0].instances, 2);
  EXPECT_TRUE(node.Release("b"));
  EXPECT_EQ(node.use()[0].mask, 0);
  EXPECT_EQ(node.use()[0].instances, 0);
}

TEST(NodeGpusTest, ReleaseAllForgetsEveryOwnerItKnows) {
  NodeGpus node = DynamicMigNode("A100-40GB", 2);
  ASSERT_TRUE(node.Assign("a", Instances("1g.5gb", {{0, 0}})));
  ASSERT_TRUE(node.Assign("b", Instances("1g.5gb", {{0, 1}})));
  ASSERT_TRUE(node.Assign("c", Instances("1g.5gb", {{1, 6}})));
  EXPECT_EQ(node.ReleaseAll({"a", "c", "unknown"}), 2u);
  EXPECT_EQ(node.use()[0].mask, 0b10);
  EXPECT_EQ(node.use()[1].mask, 0);
  EXPECT_EQ(node.assignments().size(), 1u);
  EXPECT_EQ(node.ReleaseAll({"a"}), 0u);
}

}  // namespace
}  // namespace quotient::gpu
