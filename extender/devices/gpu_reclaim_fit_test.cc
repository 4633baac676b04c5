// GpuReclaimFit: whether a reclaiming pod's GPU request fits a node once its victims are
// gone, beside the pods already holding room there for their own reclaims.
#include "extender/devices/gpu_reclaim_fit.h"

#include <gtest/gtest.h>

namespace quotient::extender::state {
namespace {

// A gpushare node: 2 GPUs of 8 memory units each.
NodeInfo SharedNode(const std::string& name) {
  NodeInfo node;
  node.name = name;
  node.allocatable = {{"aliyun.com/gpu-mem", 16}, {"aliyun.com/gpu-count", 2}};
  return node;
}

// A pod asking for `units` of GPU memory; on `gpu` of `node` when bound, pending when
// `node` is empty.
PodInfo SharePod(const std::string& name, const std::string& node, int gpu, int64_t units) {
  PodInfo pod;
  pod.name = name;
  pod.ns = "a";
  pod.uid = name;
  pod.node_name = node;
  pod.requests = {{"aliyun.com/gpu-mem", units}};
  if (!node.empty()) pod.annotations = {{"ALIYUN_COM_GPU_MEM_IDX", std::to_string(gpu)}};
  return pod;
}

class GpuReclaimFitTest : public ::testing::Test {
 protected:
  GpuReclaimFitTest() {
    state_.UpsertNode(SharedNode("n1"));
    state_.UpsertPod(SharePod("victim-0", "n1", 0, 8));  // fills GPU 0
    state_.UpsertPod(SharePod("victim-1", "n1", 1, 8));  // fills GPU 1
    state_.UpsertPod(SharePod("reclaimer", "", 0, 8));   // pending
    state_.UpsertPod(SharePod("holder", "", 0, 8));      // pending, holds room on n1
  }

  GpuState state_{&gpu::BuiltinMigCatalog(), gpu::InventoryOptions{}};
  GpuReclaimFit fit_{&state_};
};

TEST_F(GpuReclaimFitTest, AFreedGpuTakesThePodWhenNobodyHoldsIt) {
  EXPECT_TRUE(fit_.Applies("reclaimer"));
  EXPECT_FALSE(fit_.FitsAfter("reclaimer", "n1", {}, {}));
  EXPECT_TRUE(fit_.FitsAfter("reclaimer", "n1", {"victim-0"}, {}));
}

// Two reclaims must not both count on the one GPU an eviction frees.
TEST_F(GpuReclaimFitTest, APodHoldingRoomTakesTheFreedGpuFirst) {
  EXPECT_FALSE(fit_.FitsAfter("reclaimer", "n1", {"victim-0"}, {"holder"}));
  EXPECT_TRUE(fit_.FitsAfter("reclaimer", "n1", {"victim-0", "victim-1"}, {"holder"}));
}

TEST_F(GpuReclaimFitTest, ThePodItselfAndUnknownHoldersTakeNothing) {
  EXPECT_TRUE(fit_.FitsAfter("reclaimer", "n1", {"victim-0"}, {"reclaimer", "nobody"}));
}

TEST_F(GpuReclaimFitTest, AHolderThatDoesNotFitTakesNothing) {
  state_.UpsertPod(SharePod("big-holder", "", 0, 12));  // more than one GPU's memory
  EXPECT_TRUE(fit_.FitsAfter("reclaimer", "n1", {"victim-0"}, {"big-holder"}));
}

TEST_F(GpuReclaimFitTest, AnUnknownNodeOrRequestNeverFits) {
  EXPECT_FALSE(fit_.FitsAfter("reclaimer", "n9", {"victim-0"}, {}));
  EXPECT_FALSE(fit_.FitsAfter("nobody", "n1", {"victim-0"}, {}));
}

}  // namespace
}  // namespace quotient::extender::state
