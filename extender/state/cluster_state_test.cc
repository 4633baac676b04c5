#include "extender/state/cluster_state.h"

#include <gtest/gtest.h>

#include "extender/state/state_test_util.h"
#include "quota/quota_test_util.h"

namespace quotient::extender::state {
namespace {

using testing::MakeNode;
using testing::MakePod;

class ClusterStateTest : public ::testing::Test {
 protected:
  int64_t UsedCpu(const std::string& quota) {
    const quota::QuotaUsage& u = ledger_.usage();
    return u.Used(u.tree().Find(quota), u.tree().ResourceIndex("cpu")) / 1000;
  }
  int64_t ChargedCpu(const std::string& quota) {
    const quota::QuotaUsage& u = ledger_.usage();
    return u.Charged(u.tree().Find(quota), u.tree().ResourceIndex("cpu")) / 1000;
  }
  int64_t NodeCpu(const std::string& name) {
    return state_.ReadNodes([&](auto lookup) {
      const NodeEntry* node = lookup(name);
      return node == nullptr ? int64_t{-1} : node->requested.Get("cpu") / 1000;
    });
  }
  ClusterState::Clock::time_point now_{std::chrono::seconds(100)};
  quota::QuotaLedger ledger_{quota::testing::Scenario1Tree().Build(), {}};
  ClusterState state_{&ledger_, [this] { return now_; }};
};

TEST_F(ClusterStateTest, ABoundPodChargesItsNodeAndQuota) {
  state_.UpsertNode(MakeNode("n1", 16));
  state_.UpsertPod(MakePod("u1", "namespace1", 5, "n1"));
  EXPECT_EQ(NodeCpu("n1"), 5);
  EXPECT_EQ(UsedCpu("root.a.1"), 5);
  EXPECT_EQ(state_.counts().bound_pods, 1u);
}

TEST_F(ClusterStateTest, APreemptiblePodMovedOrResizedStaysCountedAsPreemptible) {
  // The pod is alone in its (namespace, priority) count: releasing its old hold must not
  // drop the count its new hold goes into.
  state_.UpsertNode(MakeNode("n1", 16));
  state_.UpsertNode(MakeNode("n2", 16));
  state_.UpsertPod(MakePod("u1", "namespace1", 5, "n1"));
  state_.UpsertPod(MakePod("u1", "namespace1", 5, "n2"));  // the API's word: moved
  EXPECT_TRUE(state_.HasPreemptiblePodBelow({"namespace1"}, 1));
  state_.UpsertPod(MakePod("u1", "namespace1", 6, "n2"));  // resized in place
  EXPECT_TRUE(state_.HasPreemptiblePodBelow({"namespace1"}, 1));
  EXPECT_EQ(NodeCpu("n1"), 0);
  EXPECT_EQ(NodeCpu("n2"), 6);
  EXPECT_EQ(UsedCpu("root.a.1"), 6);
  EXPECT_EQ(state_.CheckInvariants(), "");
  state_.DeletePod("u1");
  EXPECT_FALSE(state_.HasPreemptiblePodBelow({"namespace1"}, 1));
  EXPECT_EQ(state_.CheckInvariants(), "");
}

TEST_F(ClusterStateTest, APendingPodChargesNothing) {
  state_.UpsertNode(MakeNode("n1", 16));
  state_.UpsertPod(MakePod("u1", "namespace1", 5));
  EXPECT_EQ(NodeCpu("n1"), 0);
  EXPECT_EQ(ChargedCpu("root.a.1"), 0);
  EXPECT_EQ(state_.counts().pods, 1u);
}

TEST_F(ClusterStateTest, EachNodeKnowsThePodsHoldingItAndTheHoldsOfReclaimingPods) {
  state_.UpsertNode(MakeNode("n1", 16));
  state_.UpsertPod(MakePod("u1", "namespace1", 5, "n1"));
  state_.UpsertPod(MakePod("u2", "namespace1", 5, "n1"));
  state_.DeletePod("u1");
  const uint64_t before = state_.generation();
  state_.SetHold("n1", "p1", quota::ResourceList{{"cpu", 4000}});
  EXPECT_GT(state_.generation(), before);
  state_.ReadNodes([&](auto lookup) {
    const NodeEntry* node = lookup("n1");
    EXPECT_EQ(node->held_by.size(), 1u);
    if (node->held_by.size() == 1) {
      EXPECT_EQ(node->held_by[0]->first, "u2");
      EXPECT_EQ(node->held_by[0]->second.ns, "namespace1");
    }
    EXPECT_EQ(node->FreeFor("cpu", "someone"), 7000);  // 16 - 5 - 4 held
    EXPECT_EQ(node->FreeFor("cpu", "p1"), 11000);      // its own hold is its own room
    return 0;
  });
  state_.DropHold("p1");
  EXPECT_EQ(state_.ReadNodes([](auto lookup) { return lookup("n1")->holds.size(); }), 0u);
}

TEST_F(ClusterStateTest, LowerPriorityPreemptiblePodsAreFoundPerNamespace) {
  PodInfo low = MakePod("u1", "namespace1", 5, "n1");
  low.priority = 10;
  state_.UpsertPod(low);
  PodInfo guarded = MakePod("u2", "namespace2", 5, "n1");
  guarded.priority = 1;
  guarded.labels = {{"quotient.io/preemptible", "false"}};
  state_.UpsertPod(guarded);
  EXPECT_TRUE(state_.HasPreemptiblePodBelow({"namespace1"}, 11));
  EXPECT_FALSE(state_.HasPreemptiblePodBelow({"namespace1"}, 10));
  EXPECT_FALSE(state_.HasPreemptiblePodBelow({"namespace2"}, 100)) << "non-preemptible";
  low.labels = {{"quotient.io/preemptible", "false"}};  // relabelled while running
  state_.UpsertPod(low);
  EXPECT_FALSE(state_.HasPreemptiblePodBelow({"namespace1"}, 11));
  state_.DeletePod("u2");
  state_.DeletePod("u1");
  EXPECT_FALSE(state_.HasPreemptiblePodBelow({"namespace1", "namespace2"}, 100));
}

TEST_F(ClusterStateTest, RepeatedUpdatesOfABoundPodCountItOnce) {
  state_.UpsertPod(MakePod("u1", "namespace1", 5, "n1"));
  PodInfo running = MakePod("u1", "namespace1", 5, "n1");
  running.phase = "Running";
  state_.UpsertPod(running);
  state_.UpsertPod(running);
  EXPECT_EQ(NodeCpu("n1"), 5);
  EXPECT_EQ(ChargedCpu("root.a.1"), 5);
}

TEST_F(ClusterStateTest, DeletionAndCompletionGiveEverythingBack) {
  state_.UpsertNode(MakeNode("n1", 16));
  state_.UpsertPod(MakePod("u1", "namespace1", 5, "n1"));
  state_.UpsertPod(MakePod("u2", "namespace1", 3, "n1"));
  state_.DeletePod("u1");
  PodInfo done = MakePod("u2", "namespace1", 3, "n1");
  done.phase = "Succeeded";
  state_.UpsertPod(done);
  EXPECT_EQ(NodeCpu("n1"), 0);
  EXPECT_EQ(ChargedCpu("root.a.1"), 0);
}

TEST_F(ClusterStateTest, DeletingAPendingPodDropsItsReservation) {
  ASSERT_TRUE(ledger_
                  .Reserve({"u1", "namespace1", {{"cpu", 5000}, {"pods", 1}}},
                           quota::Clock::now() + std::chrono::hours(1))
                  .admitted());
  state_.UpsertPod(MakePod("u1", "namespace1", 5));
  state_.DeletePod("u1");
  EXPECT_EQ(ChargedCpu("root.a.1"), 0);
}

TEST_F(ClusterStateTest, AnAssumedBindingIsConfirmedByTheWatchWithoutDoubleCounting) {
  state_.UpsertNode(MakeNode("n1", 16));
  state_.UpsertPod(MakePod("u1", "namespace1", 5));
  state_.AssumeBound({"u1", "namespace1", {{"cpu", 5000}, {"pods", 1}}}, "pod-u1", "n1");
  EXPECT_EQ(NodeCpu("n1"), 5);
  EXPECT_EQ(state_.counts().assumed_pods, 1u);
  // A stale event from before the binding does not undo it...
  state_.UpsertPod(MakePod("u1", "namespace1", 5));
  EXPECT_EQ(NodeCpu("n1"), 5);
  // ...and the bound event confirms it.
  state_.UpsertPod(MakePod("u1", "namespace1", 5, "n1"));
  EXPECT_EQ(NodeCpu("n1"), 5);
  EXPECT_EQ(UsedCpu("root.a.1"), 5);
  EXPECT_EQ(state_.counts().assumed_pods, 0u);
}

TEST_F(ClusterStateTest, ARelistDropsPodsAndNodesThatAreGone) {
  state_.UpsertNode(MakeNode("n1", 16));
  state_.UpsertNode(MakeNode("n2", 16));
  state_.UpsertPod(MakePod("u1", "namespace1", 5, "n1"));
  state_.UpsertPod(MakePod("u2", "namespace1", 5, "n2"));
  state_.BeginNodeList();
  state_.UpsertNode(MakeNode("n1", 16));
  state_.EndNodeList();
  state_.BeginPodList();
  state_.UpsertPod(MakePod("u1", "namespace1", 5, "n1"));
  state_.EndPodList();
  EXPECT_EQ(NodeCpu("n1"), 5);
  EXPECT_EQ(NodeCpu("n2"), -1);
  EXPECT_EQ(ChargedCpu("root.a.1"), 5);
  EXPECT_EQ(state_.counts().nodes, 1u);
}

TEST_F(ClusterStateTest, APodAssumedDuringARelistSurvivesIt) {
  state_.UpsertNode(MakeNode("n1", 16));
  state_.BeginPodList();
  now_ += std::chrono::seconds(1);
  state_.AssumeBound({"u1", "namespace1", {{"cpu", 5000}, {"pods", 1}}}, "pod-u1", "n1");
  state_.EndPodList();
  EXPECT_EQ(NodeCpu("n1"), 5);
  EXPECT_EQ(ChargedCpu("root.a.1"), 5);
}

TEST_F(ClusterStateTest, PodsOnANodeNotYetSeenAreCountedWhenItArrives) {
  state_.UpsertPod(MakePod("u1", "namespace1", 5, "n1"));
  EXPECT_EQ(state_.counts().nodes, 0u);
  state_.UpsertNode(MakeNode("n1", 16));
  EXPECT_EQ(NodeCpu("n1"), 5);
  EXPECT_EQ(state_.counts().nodes, 1u);
}

TEST_F(ClusterStateTest, ADeletedNodeKeepsItsPodsChargedUntilTheyGo) {
  state_.UpsertNode(MakeNode("n1", 16));
  state_.UpsertPod(MakePod("u1", "namespace1", 5, "n1"));
  state_.DeleteNode("n1");
  EXPECT_EQ(state_.counts().nodes, 0u);
  EXPECT_EQ(ChargedCpu("root.a.1"), 5);
  state_.DeletePod("u1");
  EXPECT_EQ(NodeCpu("n1"), -1);
  EXPECT_EQ(ChargedCpu("root.a.1"), 0);
}

}  // namespace
}  // namespace quotient::extender::state
