// GpuReclaimFit: whether a reclaiming pod's GPU request fits a node once its victims are
// gone, beside the pods already holding room there for their own reclaims.
#include "extender/devices/gpu_reclaim_fit.h"

#include <gtest/gtest.h>

#include "extender/devices/gpu_test_util.h"

namespace quotient::extender::state {
namespace {

using testing::SharedNode;
using testing::SharePod;

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
  EXPECT_TRUE(fit_.Applies("uid-reclaimer"));
  EXPECT_FALSE(fit_.FitsAfter("uid-reclaimer", "n1", {}, {}));
  EXPECT_TRUE(fit_.FitsAfter("uid-reclaimer", "n1", {"uid-victim-0"}, {}));
}

// Two reclaims must not both count on the one GPU an eviction frees.
TEST_F(GpuReclaimFitTest, APodHoldingRoomTakesTheFreedGpuFirst) {
  EXPECT_FALSE(fit_.FitsAfter("uid-reclaimer", "n1", {"uid-victim-0"}, {"uid-holder"}));
  EXPECT_TRUE(
      fit_.FitsAfter("uid-reclaimer", "n1", {"uid-victim-0", "uid-victim-1"}, {"uid-holder"}));
}

TEST_F(GpuReclaimFitTest, ThePodItselfAndUnknownHoldersTakeNothing) {
  EXPECT_TRUE(fit_.FitsAfter("uid-reclaimer", "n1", {"uid-victim-0"}, {"uid-reclaimer", "nobody"}));
}

TEST_F(GpuReclaimFitTest, AHolderThatDoesNotFitTakesNothing) {
  state_.UpsertPod(SharePod("big-holder", "", 0, 12));  // more than one GPU's memory
  EXPECT_TRUE(fit_.FitsAfter("uid-reclaimer", "n1", {"uid-victim-0"}, {"uid-big-holder"}));
}

TEST_F(GpuReclaimFitTest, AnUnknownNodeOrRequestNeverFits) {
  EXPECT_FALSE(fit_.FitsAfter("uid-reclaimer", "n9", {"uid-victim-0"}, {}));
  EXPECT_FALSE(fit_.FitsAfter("nobody", "n1", {"uid-victim-0"}, {}));
}

}  // namespace
}  // namespace quotient::extender::state
