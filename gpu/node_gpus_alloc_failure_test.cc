// NodeGpus under allocation failure (test/support/alloc_failure.h): Release and ReleaseAll
// allocate nothing, so they cannot fail; Assign and SetInventory give the strong
// guarantee: whichever of their allocations fails, the node is as it was. GpuState's own
// strong guarantee is built on these.
#include <gtest/gtest.h>

#include "gpu/gpu_test_util.h"
#include "gpu/node_gpus.h"
#include "test/support/alloc_failure.h"

namespace quotient::gpu {
namespace {

using quotient::testing::ForEachAllocationFailure;
using quotient::testing::RunWithNthAllocationFailing;
using testing::DynamicMigNode;
using testing::Inventory;
using testing::Resources;

// 1g.5gb instances at (gpu, start) on an A100-40GB: more than one puts them on the heap.
GpuAssignment Instances(std::vector<std::pair<int, int>> where) {
  return testing::Instances("1g.5gb", std::move(where));
}

GpuAssignment Static(const std::string& profile, int64_t count) {
  GpuAssignment a;
  a.kind = GpuRequestKind::kMig;
  a.static_profile = profile;
  a.count = count;
  return a;
}

// A node of static MIG devices (the mixed strategy) that holds one 3g.20gb device.
NodeGpus StaticNode() {
  NodeGpus node(
      Inventory({}, Resources({{"nvidia.com/mig-3g.20gb", 2}, {"nvidia.com/mig-1g.5gb", 4}})));
  EXPECT_TRUE(node.Assign("held", Static("3g.20gb", 1)));
  return node;
}

// Every allocation of `change` failing in turn leaves the node as `make` built it; the
// change that meets no failure is checked by `done`. Returns the allocations it made.
template <typename Make, typename Change, typename Done>
size_t ExpectStrong(Make make, Change change, Done done) {
  return ForEachAllocationFailure([&](size_t n) {
    NodeGpus node = make();
    const std::string before = node.DebugString();
    if (RunWithNthAllocationFailing(n, [&] { change(node); })) {
      EXPECT_EQ(node.DebugString(), before) << "allocation " << n << " failed";
    } else {
      done(node);
    }
  });
}

TEST(NodeGpusAllocFailureTest, ReleaseAllocatesNothingForAnyKindOfAssignment) {
  auto dynamic = [] {
    NodeGpus node = DynamicMigNode("A100-40GB", 2);
    EXPECT_TRUE(node.Assign("a", Instances({{0, 0}, {0, 1}, {1, 6}})));
    EXPECT_TRUE(node.Assign("b", Instances({{0, 2}})));
    return node;
  };
  auto statics = [] {
    NodeGpus node = StaticNode();
    EXPECT_TRUE(node.Assign("b", Static("1g.5gb", 2)));
    return node;
  };
  const std::vector<std::string_view> all = {"b", "held", "a"};
  for (auto make : {+dynamic, +statics}) {
    EXPECT_EQ(ExpectStrong(
                  make, [](NodeGpus& node) { EXPECT_TRUE(node.Release("b")); },
                  [](const NodeGpus& node) { EXPECT_EQ(node.assignments().size(), 1u); }),
              0u);
    EXPECT_EQ(ExpectStrong(
                  make, [&](NodeGpus& node) { node.ReleaseAll(all); },
                  [](const NodeGpus& node) { EXPECT_TRUE(node.assignments().empty()); }),
              0u);
  }
}

TEST(NodeGpusAllocFailureTest, AssigningANewOwnerIsAllOrNothing) {
  const size_t dynamic = ExpectStrong(
      [] { return DynamicMigNode("A100-40GB", 2); },
      [](NodeGpus& node) {
        node.Assign("a-pod-uid-longer-than-a-short-string", Instances({{0, 0}, {1, 6}}));
      },
      [](const NodeGpus& node) { EXPECT_EQ(node.use()[1].instances, 1); });
  EXPECT_GT(dynamic, 0u);
  // A profile the node holds no counter for yet: the counter is made first.
  const size_t fresh_profile = ExpectStrong(
      StaticNode, [](NodeGpus& node) { node.Assign("b", Static("1g.5gb", 3)); },
      [](const NodeGpus& node) { EXPECT_EQ(node.StaticMigUsed("1g.5gb"), 3); });
  EXPECT_GT(fresh_profile, 0u);
}

TEST(NodeGpusAllocFailureTest, ReplacingAnOwnersAssignmentIsAllOrNothing) {
  auto make = [] {
    NodeGpus node = DynamicMigNode("A100-40GB", 2);
    EXPECT_TRUE(node.Assign("a", Instances({{0, 0}})));
    return node;
  };
  EXPECT_GT(ExpectStrong(
                make,
                [](NodeGpus& node) {
                  node.Assign("a", Instances({{0, 3}, {1, 4}, {1, 5}}));
                },
                [](const NodeGpus& node) {
                  EXPECT_EQ(node.use()[0].mask, 0b1000);
                  EXPECT_EQ(node.use()[1].instances, 2);
                }),
            0u);
  // A static owner moving to a profile without a counter, its old counter dropping to zero.
  EXPECT_GT(ExpectStrong(
                StaticNode, [](NodeGpus& node) { node.Assign("held", Static("1g.5gb", 1)); },
                [](const NodeGpus& node) {
                  EXPECT_EQ(node.StaticMigUsed("3g.20gb"), 0);
                  EXPECT_EQ(node.StaticMigUsed("1g.5gb"), 1);
                }),
            0u);
}

TEST(NodeGpusAllocFailureTest, ANewInventoryIsAllOrNothing) {
  auto make = [] {
    NodeGpus node = DynamicMigNode("A100-40GB", 2);
    EXPECT_TRUE(node.Assign("a", Instances({{0, 0}, {1, 6}})));
    return node;
  };
  const NodeGpuInventory bigger = DynamicMigNode("A100-40GB", 8).inventory();
  EXPECT_GT(ExpectStrong(
                make, [&](NodeGpus& node) { node.SetInventory(bigger); },
                [](const NodeGpus& node) {
                  EXPECT_EQ(node.use().size(), 8u);
                  EXPECT_EQ(node.use()[1].instances, 1);
                }),
            0u);
}

}  // namespace
}  // namespace quotient::gpu
