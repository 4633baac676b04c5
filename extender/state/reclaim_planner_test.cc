#include "extender/state/reclaim_planner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "extender/state/state_test_util.h"
#include "quota/quota_test_util.h"

namespace quotient::extender::state {
namespace {

using testing::MakeNode;
using testing::MakePod;

TEST(TimestampTest, ParsesRfc3339ToSecondsSinceTheEpoch) {
  EXPECT_EQ(ParseTimestampSeconds("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseTimestampSeconds("2026-12-02T07:50:01Z"), 1'796'197'801);
  EXPECT_EQ(ParseTimestampSeconds("2026-12-02T07:50:01.123456Z"), 1'796'197'801);
  EXPECT_EQ(ParseTimestampSeconds(""), 0);
  EXPECT_EQ(ParseTimestampSeconds("yesterday"), 0);
  EXPECT_EQ(ParseTimestampSeconds("2026-13-02T07:50:01Z"), 0);
}

class ReclaimPlannerTest : public ::testing::Test {
 protected:
  ReclaimPlannerTest() {
    ledger_.Reload(quota::testing::Scenario1Tree().Build(), quota::Clock::now());
    state_.UpsertNode(MakeNode("n0", 10));
    state_.UpsertNode(MakeNode("n1", 10));
    for (int i = 0; i < 4; ++i) {
      PodInfo pod = MakePod("a" + std::to_string(i), i < 2 ? "namespace1" : "namespace2", 5,
                            i < 2 ? "n0" : "n1");
      pod.creation_timestamp = "2026-12-02T07:00:0" + std::to_string(i) + "Z";
      state_.UpsertPod(pod);
    }
  }
  std::vector<ReclaimCandidate> Candidates() {
    return state_.ReadForReclaim([&](const NodeMap&, const PodMap& pods, const auto& waiting) {
      return FindReclaimCandidates(ledger_.usage(), pods, waiting, {"default-scheduler"},
                                   [](const std::string&) { return false; });
    });
  }
  quota::QuotaLedger ledger_{quota::testing::TreeBuilder().Build(), {}};
  ClusterState state_{&ledger_};
};

TEST_F(ReclaimPlannerTest, CandidatesAreUnschedulablePodsWithinTheirGuaranteeByPriorityThenAge) {
  for (auto [uid, ns, priority, stamp] :
       {std::tuple{"late", "namespace3", 0, "2026-12-02T08:00:00Z"},
        {"early", "namespace3", 0, "2026-12-02T07:30:00Z"},
        {"urgent", "namespace4", 100, "2026-12-02T09:00:00Z"}}) {
    PodInfo pod = MakePod(uid, ns, 5);
    pod.unschedulable = true;
    pod.priority = priority;
    pod.creation_timestamp = stamp;
    state_.UpsertPod(pod);
  }
  PodInfo unquoted = MakePod("free", "elsewhere", 5);
  unquoted.unschedulable = true;
  state_.UpsertPod(unquoted);
  PodInfo big = MakePod("big", "namespace4", 15);  // 15 > min 10: beyond its guarantee
  big.unschedulable = true;
  state_.UpsertPod(big);
  std::vector<std::string> uids;
  for (const auto& c : Candidates()) uids.push_back(c.pod.uid);
  EXPECT_THAT(uids, ::testing::ElementsAre("urgent", "early", "late"));
}

TEST_F(ReclaimPlannerTest, ThePlanNamesTheNodeAndTheVictimsWithTheirQuotas) {
  PodInfo pod = MakePod("p", "namespace3", 5);
  pod.unschedulable = true;
  state_.UpsertPod(pod);
  std::vector<ReclaimCandidate> candidates = Candidates();
  ASSERT_EQ(candidates.size(), 1u);
  // The tree allows root 40 but only 20 cores exist: root.a is at 20, within its min.
  ReclaimChoice choice = state_.ReadAll([&](const NodeMap& nodes, const PodMap& pods) {
    return PlanReclaimFor(ledger_.usage(), candidates[0], nodes, pods, {});
  });
  EXPECT_EQ(choice.outcome, quota::ReclaimOutcome::kNoEligibleVictims)
      << "root.a.1 and root.a.2 are each at their min (10): nobody may be taken";
}

TEST_F(ReclaimPlannerTest, PodsAlreadyLeavingAreReliefAndNeverChosenTwice) {
  state_.UpsertNode(MakeNode("n2", 10));
  for (int i = 4; i < 6; ++i) {
    PodInfo extra = MakePod("a" + std::to_string(i), "namespace1", 5, "n2");
    extra.creation_timestamp = "2026-12-02T07:00:0" + std::to_string(i) + "Z";
    state_.UpsertPod(extra);
  }
  PodInfo pod = MakePod("p", "namespace3", 5);
  pod.unschedulable = true;
  state_.UpsertPod(pod);
  const ReclaimCandidate candidate = Candidates().at(0);
  auto plan = [&](const VictimFilter& filter) {
    return state_.ReadAll([&](const NodeMap& nodes, const PodMap& pods) {
      return PlanReclaimFor(ledger_.usage(), candidate, nodes, pods, filter);
    });
  };
  ReclaimChoice first = plan({});
  ASSERT_EQ(first.outcome, quota::ReclaimOutcome::kPlanned);
  ASSERT_EQ(first.victims.size(), 1u);
  EXPECT_EQ(first.victims[0].uid, "a5");  // root.a.1 is 10 above its min: its newest pod
  EXPECT_EQ(first.victim_quotas[0], "root.a.1");
  ReclaimChoice waiting =
      plan({nullptr, [](const std::string& uid) { return uid == "a5"; }});
  EXPECT_EQ(waiting.outcome, quota::ReclaimOutcome::kPlanned);
  EXPECT_TRUE(waiting.victims.empty()) << "the room is on its way: wait, evict nobody";
}

}  // namespace
}  // namespace quotient::extender::state
