// GpuState's bookkeeping of which pods are counted on which node: pods arriving before
// their node, nodes leaving and coming back, re-delivered pods, relabelled nodes.
#include "extender/devices/gpu_state.h"

#include <gtest/gtest.h>

#include "extender/devices/gpu_test_util.h"

namespace quotient::extender::state {
namespace {

using testing::SharedNode;
using testing::SharePod;

class GpuStateTest : public ::testing::Test {
 protected:
  // Memory units used on GPU `gpu` of `node`, -1 when the node is unknown.
  int64_t Used(const std::string& node, size_t gpu) {
    return state_.Read([&](auto lookup) -> int64_t {
      const gpu::NodeGpus* n = lookup(node);
      return n == nullptr ? -1 : n->use()[gpu].share_used;
    });
  }
  size_t Assignments(const std::string& node) {
    return state_.Read([&](auto lookup) -> size_t {
      const gpu::NodeGpus* n = lookup(node);
      return n == nullptr ? 0 : n->assignments().size();
    });
  }

  // Bind's Reserve of a pod the state knows (its request as the watch or filter gave it);
  // the outputs land in assignment_, annotations_ and why_.
  GpuState::ReserveResult ReserveOn(const PodInfo& pod, const std::string& node) {
    gpu::GpuRequest request;
    EXPECT_TRUE(state_.FindRequest(pod.uid, &request));
    return state_.Reserve(pod.uid, node, request, {}, 0, &assignment_, &annotations_, &why_);
  }

  GpuState state_{&gpu::BuiltinMigCatalog(), gpu::InventoryOptions{}};
  gpu::GpuAssignment assignment_;
  StringPairs annotations_;
  std::string why_;
};

TEST_F(GpuStateTest, PodsListedBeforeTheirNodesAreCountedWhenEachNodeArrives) {
  state_.ObservePodList(true);
  state_.ObservePod(false, SharePod("a1", "n1", 0, 4));
  state_.ObservePod(false, SharePod("a2", "n1", 1, 8));
  state_.ObservePod(false, SharePod("b1", "n2", 0, 6));
  state_.ObservePodList(false);
  state_.UpsertNode(SharedNode("n1"));
  EXPECT_EQ(Used("n1", 0), 4);
  EXPECT_EQ(Used("n1", 1), 8);
  EXPECT_EQ(Used("n2", 0), -1);
  state_.UpsertNode(SharedNode("n2"));
  EXPECT_EQ(Used("n2", 0), 6);
  EXPECT_EQ(Assignments("n1"), 2u);
  EXPECT_EQ(Assignments("n2"), 1u);
}

TEST_F(GpuStateTest, APodDeliveredAgainWithTheSamePlacementIsCountedOnce) {
  state_.UpsertNode(SharedNode("n1"));
  const PodInfo pod = SharePod("a1", "n1", 0, 4);
  state_.UpsertPod(pod);
  state_.UpsertPod(pod);
  state_.ObservePodList(true);
  state_.ObservePod(false, pod);
  state_.ObservePodList(false);
  EXPECT_EQ(Used("n1", 0), 4);
  EXPECT_EQ(Assignments("n1"), 1u);
}

TEST_F(GpuStateTest, APodCountedOnOneNodeAndBoundToAnotherIsCountedOnlyOnTheSecond) {
  state_.UpsertNode(SharedNode("n1"));
  state_.UpsertNode(SharedNode("n2"));
  PodInfo pod = SharePod("a1", "", 0, 4);
  state_.UpsertPod(pod);  // pending
  // A bind reserved on n1; the scheduler's retry (its first call timed out) while it is in
  // flight changes nothing; once it failed, the retry places the pod on n2.
  ASSERT_EQ(ReserveOn(pod, "n1"), GpuState::ReserveResult::kReserved);
  EXPECT_EQ(Used("n1", 0) + Used("n1", 1), 4);
  EXPECT_EQ(ReserveOn(pod, "n2"), GpuState::ReserveResult::kDuplicate);
  EXPECT_EQ(why_,
            "gpu: another bind of the pod is in flight (kube-scheduler retried a bind that "
            "outlived its timeout); its devices are not chosen twice");
  EXPECT_EQ(Used("n1", 0) + Used("n1", 1), 4);
  EXPECT_EQ(Used("n2", 0) + Used("n2", 1), 0);
  state_.FinishBind(pod.uid, false);
  EXPECT_EQ(Used("n1", 0) + Used("n1", 1), 0);
  ASSERT_EQ(ReserveOn(pod, "n2"), GpuState::ReserveResult::kReserved);
  state_.FinishBind(pod.uid, false);
  ASSERT_EQ(ReserveOn(pod, "n2"), GpuState::ReserveResult::kReserved);
  EXPECT_EQ(Used("n1", 0) + Used("n1", 1), 0);
  EXPECT_EQ(Used("n2", 0) + Used("n2", 1), 4);

  // Reserved on n1 by a bind, then the watch says n2: the API's word wins.
  state_.FinishBind(pod.uid, false);
  ASSERT_EQ(ReserveOn(pod, "n1"), GpuState::ReserveResult::kReserved);
  EXPECT_EQ(Used("n1", 0) + Used("n1", 1), 4);
  EXPECT_EQ(Used("n2", 0) + Used("n2", 1), 0);
  pod.node_name = "n2";
  state_.UpsertPod(pod);
  EXPECT_EQ(Assignments("n1"), 0u);
  EXPECT_EQ(Used("n2", 0), 4);

  // Deleted, it is counted nowhere.
  state_.DeletePod(pod.uid);
  EXPECT_EQ(Assignments("n2"), 0u);
}

TEST_F(GpuStateTest, ARefusedReserveOfAnUnknownPodLeavesNoEntry) {
  state_.UpsertNode(SharedNode("n1"));
  gpu::GpuRequest request;
  request.kind = gpu::GpuRequestKind::kMemory;
  request.share_units = 64;  // more than any GPU of n1
  gpu::GpuAssignment assignment;
  StringPairs annotations;
  std::string why;
  EXPECT_EQ(state_.Reserve("uid-x", "n1", request, {}, 0, &assignment, &annotations, &why),
            GpuState::ReserveResult::kNoFit);
  EXPECT_FALSE(why.empty());
  EXPECT_FALSE(state_.FindRequest("uid-x", &request));
}

// kube-scheduler's bind timed out and it bound the pod again: the first Binding landed, the
// second is refused (409). The failed bind releases nothing of the running pod, and no later
// bind chooses its devices again.
TEST_F(GpuStateTest, AFailedBindOfAPodBoundMeanwhileReleasesNothing) {
  state_.UpsertNode(SharedNode("n1"));
  PodInfo pod = SharePod("a1", "", 0, 4);
  state_.UpsertPod(pod);
  ASSERT_EQ(ReserveOn(pod, "n1"), GpuState::ReserveResult::kReserved);
  pod.node_name = "n1";
  pod.annotations = annotations_;
  state_.UpsertPod(pod);  // the watch: the first Binding landed, its answer was lost
  state_.FinishBind(pod.uid, false);
  EXPECT_EQ(Used("n1", 0) + Used("n1", 1), 4);
  EXPECT_EQ(ReserveOn(pod, "n1"), GpuState::ReserveResult::kDuplicate);
  EXPECT_EQ(why_, "gpu: the pod is bound already to n1; its devices are not chosen again");
  EXPECT_EQ(Used("n1", 0) + Used("n1", 1), 4);
  // A Binding that succeeded marks the pod bound before the watch says so.
  const PodInfo other = SharePod("a2", "", 0, 4);
  state_.UpsertPod(other);
  ASSERT_EQ(ReserveOn(other, "n1"), GpuState::ReserveResult::kReserved);
  state_.FinishBind(other.uid, true);
  EXPECT_EQ(ReserveOn(other, "n1"), GpuState::ReserveResult::kDuplicate);
  state_.FinishBind(other.uid, false);  // a stray end changes nothing either
  EXPECT_EQ(Used("n1", 0) + Used("n1", 1), 8);
  EXPECT_EQ(state_.CheckIndex(), "");
}

TEST_F(GpuStateTest, ARelabelledNodeKeepsItsPodsCounted) {
  state_.UpsertNode(SharedNode("n1"));
  state_.UpsertPod(SharePod("a1", "n1", 1, 4));
  NodeInfo relabelled = SharedNode("n1");
  relabelled.labels = {{"gpu-type", "T4"}};
  state_.UpsertNode(relabelled);
  EXPECT_EQ(Used("n1", 1), 4);
  EXPECT_EQ(state_.Read([](auto lookup) { return lookup("n1")->inventory().model_name; }), "T4");
}

TEST_F(GpuStateTest, PodsOfADeletedNodeAreCountedAgainWhenItComesBack) {
  state_.UpsertNode(SharedNode("n1"));
  state_.UpsertPod(SharePod("a1", "n1", 0, 4));
  state_.DeleteNode("n1");
  EXPECT_EQ(Used("n1", 0), -1);
  state_.UpsertNode(SharedNode("n1"));
  EXPECT_EQ(Used("n1", 0), 4);
  // Dropped by a node relist, back in the next one.
  state_.ObserveNodeList(true);
  state_.ObserveNodeList(false);
  EXPECT_EQ(Used("n1", 0), -1);
  state_.ObserveNodeList(true);
  state_.ObserveNode(false, SharedNode("n1"));
  state_.ObserveNodeList(false);
  EXPECT_EQ(Used("n1", 0), 4);
  EXPECT_EQ(Assignments("n1"), 1u);
}

TEST_F(GpuStateTest, DeletedAndFinishedPodsAreNotCountedWhenTheirNodeArrives) {
  state_.UpsertPod(SharePod("deleted", "n1", 0, 4));
  state_.DeletePod("uid-deleted");
  PodInfo finished = SharePod("finished", "n1", 1, 4);
  state_.UpsertPod(finished);
  finished.phase = "Succeeded";
  state_.UpsertPod(finished);
  state_.ObservePodList(true);
  state_.ObservePodList(false);  // a relist without it forgets a waiting pod too
  state_.UpsertNode(SharedNode("n1"));
  EXPECT_EQ(Used("n1", 0), 0);
  EXPECT_EQ(Used("n1", 1), 0);
  EXPECT_EQ(Assignments("n1"), 0u);
}

TEST_F(GpuStateTest, AnUnreservedPodIsNotCountedWhenItsNodeReturns) {
  state_.UpsertNode(SharedNode("n1"));
  gpu::GpuRequest request;
  std::string error;
  ASSERT_TRUE(gpu::ParseGpuRequest({{"aliyun.com/gpu-mem", 4}}, {}, {}, gpu::BuiltinMigCatalog(),
                                   &request, &error));
  gpu::GpuAssignment assignment;
  StringPairs annotations;
  std::string why;
  ASSERT_EQ(state_.Reserve("p1", "n1", request, {}, 0, &assignment, &annotations, &why),
            GpuState::ReserveResult::kReserved);
  state_.FinishBind("p1", false);
  state_.DeleteNode("n1");
  state_.UpsertNode(SharedNode("n1"));
  EXPECT_EQ(Assignments("n1"), 0u);
}

TEST_F(GpuStateTest, APodWhoseDevicesCannotBeCountedWaitsAndIsTriedAgainOnItsNextNode) {
  // GPU 5 is not on a 2-GPU node: not counted (with a warning), still bound there.
  state_.UpsertNode(SharedNode("n1"));
  state_.UpsertPod(SharePod("bad", "n1", 5, 4));
  EXPECT_EQ(Assignments("n1"), 0u);
  EXPECT_FALSE(state_.warnings().empty());
  NodeInfo bigger = SharedNode("n1");
  bigger.allocatable = {{"aliyun.com/gpu-mem", 64}, {"aliyun.com/gpu-count", 8}};
  state_.DeleteNode("n1");
  state_.UpsertNode(bigger);
  EXPECT_EQ(Used("n1", 5), 4);
}

// The device plugin re-registered: the node's GPUs were gone from its allocatable for a
// moment, and a pod bound to it then could not be counted. An update that changes the
// inventory places it; one that does not (a status heartbeat) tries nothing again.
TEST_F(GpuStateTest, AWaitingPodIsTriedAgainWhenItsNodesInventoryChanges) {
  NodeInfo empty = SharedNode("n1");
  empty.allocatable = {};
  state_.UpsertNode(empty);
  state_.UpsertPod(SharePod("p", "n1", 1, 4));
  EXPECT_EQ(Assignments("n1"), 0u);
  const size_t warned = state_.warnings().size();
  ASSERT_GT(warned, 0u);
  state_.UpsertNode(empty);  // the same inventory
  EXPECT_EQ(state_.warnings().size(), warned);
  state_.UpsertNode(SharedNode("n1"));
  EXPECT_EQ(Used("n1", 1), 4);
  EXPECT_EQ(state_.CheckIndex(), "");
}

// Issue 18: a pod asking for "2P" MIG devices, bound to a dynamic-MIG node, made FitMig
// reserve 2P slots; std::bad_alloc escaped between Unindex and Index and ended the pod
// watch. Now it is not counted (with a warning), in either arrival order, and the node's
// other pods and the index stay right.
TEST_F(GpuStateTest, APodAskingForMoreMigDevicesThanANodeHoldsIsNotCountedAndBreaksNothing) {
  NodeInfo node;
  node.name = "mig-1";
  node.labels = {{"nvidia.com/gpu.product", "NVIDIA-A100-SXM4-40GB"},
                 {"nvidia.com/gpu.count", "1"},
                 {"cdmo.clear.ml/gpu-partitioning", "mig"}};
  PodInfo huge;
  huge.name = "huge";
  huge.ns = "a";
  huge.uid = "uid-huge";
  huge.node_name = "mig-1";
  huge.requests = {{"nvidia.com/mig-1g.5gb", int64_t{2'000'000'000'000'000}}};
  PodInfo small = huge;
  small.name = "small";
  small.uid = "uid-small";
  small.requests = {{"nvidia.com/mig-1g.5gb", 1}};

  state_.UpsertPod(huge);  // before its node: placed when the node arrives
  state_.UpsertNode(node);
  state_.UpsertPod(small);
  state_.UpsertPod(huge);  // again, the node known
  EXPECT_EQ(Assignments("mig-1"), 1u);
  bool warned = false;
  for (const std::string& w : state_.warnings()) {
    warned = warned || w.find(
                           "the pod asks for 2000000000000000 1g.5gb instances; the node "
                           "holds at most 7") != std::string::npos;
  }
  EXPECT_TRUE(warned);
  // The index still knows both: the node leaving and returning places them again.
  state_.DeleteNode("mig-1");
  EXPECT_EQ(Assignments("mig-1"), 0u);
  state_.UpsertNode(node);
  EXPECT_EQ(Assignments("mig-1"), 1u);
  state_.DeletePod("uid-huge");
  state_.DeletePod("uid-small");
  EXPECT_EQ(Assignments("mig-1"), 0u);
}

}  // namespace
}  // namespace quotient::extender::state
