#include "extender/control/reclaim_planner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

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

TEST_F(ReclaimPlannerTest, APodsClaimChargeCountsTowardsItsGuarantee) {
  PodInfo within = MakePod("within", "namespace3", 5);
  within.unschedulable = true;
  within.claim_charge = quota::ResourceList{{"cpu", 5000}};  // 5 + 5 <= min 10
  state_.UpsertPod(within);
  PodInfo beyond = MakePod("beyond", "namespace4", 5);
  beyond.unschedulable = true;
  beyond.claim_charge = quota::ResourceList{{"cpu", 6000}};  // 5 + 6 > min 10
  state_.UpsertPod(beyond);
  const std::vector<ReclaimCandidate> candidates = Candidates();
  ASSERT_EQ(candidates.size(), 1u);
  EXPECT_EQ(candidates[0].pod.uid, "within");
  EXPECT_EQ(candidates[0].requests.Get("cpu"), 5000) << "the node fits the requests only";
  EXPECT_EQ(candidates[0].quota_requests().Get("cpu"), 10000);
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

// A third node n2 holding a4 and a5 of namespace1 (root.a.1 is 10 above its min), and an
// Unschedulable 5-core pod p of namespace3 within its guarantee.
class ThreeNodePlanTest : public ReclaimPlannerTest {
 protected:
  ThreeNodePlanTest() {
    state_.UpsertNode(MakeNode("n2", 10));
    for (int i = 4; i < 6; ++i) {
      PodInfo extra = MakePod("a" + std::to_string(i), "namespace1", 5, "n2");
      extra.creation_timestamp = "2026-12-02T07:00:0" + std::to_string(i) + "Z";
      state_.UpsertPod(extra);
    }
    PodInfo pod = MakePod("p", "namespace3", 5);
    pod.unschedulable = true;
    state_.UpsertPod(pod);
  }
  ReclaimChoice Plan(const ReclaimCandidate& candidate, const VictimFilter& filter) {
    return state_.ReadAll([&](const NodeMap& nodes, const PodMap& pods) {
      return PlanReclaimFor(ledger_.usage(), candidate, nodes, pods, filter);
    });
  }
  ReclaimChoice Plan(const ReclaimCandidate& candidate, const DeviceFitCheck* devices) {
    return Plan(candidate, VictimFilter{{}, {}, devices});
  }
};

TEST_F(ThreeNodePlanTest, PodsAlreadyLeavingAreReliefAndNeverChosenTwice) {
  const ReclaimCandidate candidate = Candidates().at(0);
  ReclaimChoice first = Plan(candidate, VictimFilter{});
  ASSERT_EQ(first.outcome, quota::ReclaimOutcome::kPlanned);
  ASSERT_EQ(first.victims.size(), 1u);
  EXPECT_EQ(first.victims[0].uid, "a5");  // root.a.1 is 10 above its min: its newest pod
  EXPECT_EQ(first.victim_quotas[0], "root.a.1");
  ReclaimChoice waiting =
      Plan(candidate, VictimFilter{nullptr, [](const std::string& uid) { return uid == "a5"; }});
  EXPECT_EQ(waiting.outcome, quota::ReclaimOutcome::kPlanned);
  EXPECT_TRUE(waiting.victims.empty()) << "the room is on its way: wait, evict nobody";
}

// A device check that refuses the nodes in `refused` outright and, with `refuse_plans`,
// any set of fewer than `need` leaving pods.
class FakeDevices : public DeviceFitCheck {
 public:
  bool Applies(std::string_view) const override { return true; }
  bool DecidesResource(std::string_view resource) const override {
    return resource == "example.com/slice";
  }
  bool FitsAfter(std::string_view, std::string_view node,
                 const std::vector<std::string_view>& leaving,
                 const std::vector<std::string_view>& held_for) const override {
    holders.assign(held_for.begin(), held_for.end());
    calls.push_back(std::string(node) + ":" + std::to_string(leaving.size()));
    if (refused.contains(std::string(node))) return false;
    // The pre-check passes every possible victim (both pods of the node) first.
    if (pre_check_passes && !pre_checked.contains(std::string(node))) {
      pre_checked.insert(std::string(node));
      return true;
    }
    return !(refuse_plans && leaving.size() < need);
  }
  std::set<std::string> refused;
  bool refuse_plans = false;
  size_t need = 2;
  bool pre_check_passes = false;             // the first call per node passes whatever it is asked
  mutable std::vector<std::string> holders;  // of the last call
  mutable std::set<std::string> pre_checked;
  mutable std::vector<std::string> calls;
};

using DeviceCheckedPlanTest = ThreeNodePlanTest;

TEST_F(DeviceCheckedPlanTest, ANodeWherePodFitsNotEvenWithEveryVictimGoneIsNoCandidate) {
  FakeDevices devices;
  devices.refused = {"n2"};  // where the resource plan alone would go (a5, the newest)
  const ReclaimChoice choice = Plan(Candidates().at(0), &devices);
  ASSERT_EQ(choice.outcome, quota::ReclaimOutcome::kPlanned);
  EXPECT_EQ(choice.node, "n0");
  ASSERT_EQ(choice.victims.size(), 1u);
  EXPECT_EQ(choice.victims[0].uid, "a1");
}

TEST_F(DeviceCheckedPlanTest, VictimsAreAddedUntilThePodFitsAtDeviceLevel) {
  FakeDevices devices;
  devices.refuse_plans = true;  // only both pods of a node gone free its device
  const ReclaimChoice choice = Plan(Candidates().at(0), &devices);
  ASSERT_EQ(choice.outcome, quota::ReclaimOutcome::kPlanned);
  EXPECT_EQ(choice.node, "n2");
  std::set<std::string> victims;
  for (const PodRef& v : choice.victims) victims.insert(v.uid);
  EXPECT_EQ(victims, (std::set<std::string>{"a4", "a5"}));
  // The one-victim plan that counting alone would make was asked about, and refused.
  EXPECT_THAT(devices.calls, ::testing::Contains("n2:1"));
}

TEST_F(DeviceCheckedPlanTest, APlanWhoseVictimsNeverFreeDeviceRoomIsNeverEvicted) {
  FakeDevices devices;
  devices.refuse_plans = true;
  devices.need = 3;  // more than any node's victims: passes only the pre-check's own call
  devices.pre_check_passes = true;
  const ReclaimChoice choice = Plan(Candidates().at(0), &devices);
  EXPECT_EQ(choice.outcome, quota::ReclaimOutcome::kNoNodeFits);
  EXPECT_TRUE(choice.victims.empty());
  EXPECT_TRUE(choice.node.empty());
}

TEST_F(DeviceCheckedPlanTest, TheDeviceCheckIsToldWhoElseHoldsRoomOnTheNode) {
  state_.SetHold("n2", "other", quota::ResourceList{{"cpu", 0}});
  FakeDevices devices;
  devices.refused = {"n0", "n1"};
  const ReclaimChoice choice = Plan(Candidates().at(0), &devices);
  ASSERT_EQ(choice.outcome, quota::ReclaimOutcome::kPlanned);
  EXPECT_EQ(choice.node, "n2");
  EXPECT_THAT(devices.holders, ::testing::ElementsAre("other"));
}

TEST_F(DeviceCheckedPlanTest, ResourcesDecidedAtDeviceLevelAreNoNodeRoom) {
  // No node advertises example.com/slice (a MIG device before it is carved).
  ReclaimCandidate candidate = Candidates().at(0);
  candidate.requests.Set("example.com/slice", 1);
  EXPECT_NE(Plan(candidate, nullptr).outcome, quota::ReclaimOutcome::kPlanned);
  FakeDevices devices;
  const ReclaimChoice choice = Plan(candidate, &devices);
  EXPECT_EQ(choice.outcome, quota::ReclaimOutcome::kPlanned);
  EXPECT_EQ(choice.victims.size(), 1u);
}

}  // namespace
}  // namespace quotient::extender::state
