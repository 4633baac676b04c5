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

TEST_F(ClusterStateTest, APendingPodChargesNothing) {
  state_.UpsertNode(MakeNode("n1", 16));
  state_.UpsertPod(MakePod("u1", "namespace1", 5));
  EXPECT_EQ(NodeCpu("n1"), 0);
  EXPECT_EQ(ChargedCpu("root.a.1"), 0);
  EXPECT_EQ(state_.counts().pods, 1u);
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
  ASSERT_TRUE(ledger_.Reserve({"u1", "namespace1", {{"cpu", 5000}, {"pods", 1}}},
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
