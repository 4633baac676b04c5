// The quota rules of the preempt verb (quota/preempt_check.h) on scenario 1's tree:
// one table row per rule, each asserting the node's verdict, the victims kept and, for
// every dropped victim, why and with which numbers.
#include "quota/preempt_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "quota/quota_test_util.h"

namespace quotient::quota {
namespace {

using ::testing::ElementsAreArray;

struct V {  // a proposed victim; cpu in cores, node dim 0 is cpu
  uint32_t id;
  std::string ns;  // "namespace1".."namespace4", anything else is unquoted
  int64_t cores = 5;
  int32_t priority = 0;
  int64_t rank = 0;
  bool preemptible = true;
  bool terminating = false;
  bool known = true;
};

struct Dropped {
  uint32_t id;
  VictimVerdict verdict;
  std::string quota = "";                    // "" = kNoQuota or not reported
  int64_t charged = 0, amount = 0, min = 0;  // cores
};

struct PreemptCase {
  std::string name;
  std::map<std::string, int64_t> charged = {};  // namespace -> cores charged on its leaf
  std::string ns = "namespace3";                // the preemptor's
  int64_t cores = 5;
  int32_t priority = 10;
  bool preemptible = true;
  bool already_charged = false;
  std::vector<V> victims = {};
  int64_t free = 0;  // cores free on the node; -1: unknown
  NodeVerdict verdict = NodeVerdict::kUnchanged;
  std::vector<uint32_t> kept = {};
  std::vector<Dropped> dropped = {};
  std::string refused_at = "";  // kQuota: the level, and which bound
  ChargeBound crossed = ChargeBound::kMax;
  bool with_tree = true;
  bool held = false;  // room on the node is held for another pod
  friend void PrintTo(const PreemptCase& c, std::ostream* os) { *os << c.name; }
};

class PreemptCheckTest : public ::testing::TestWithParam<PreemptCase> {};

TEST_P(PreemptCheckTest, KeepsOnlyWhatTheQuotaRulesAllow) {
  const PreemptCase& c = GetParam();
  auto tree = testing::Scenario1Tree().Build();
  QuotaUsage usage(tree);
  auto amounts = [&](int64_t cores) {
    return tree->ToSparse(ResourceList{{"cpu", cores * 1000}, {"pods", 1}});
  };
  for (const auto& [ns, cores] : c.charged) {
    usage.ForceCharge(tree->LeafForNamespace(ns),
                      tree->ToSparse(ResourceList{{"cpu", cores * 1000}}));
  }
  std::vector<PreemptVictim> victims;
  for (const V& v : c.victims) {
    victims.push_back({v.id,
                       tree->LeafForNamespace(v.ns),
                       amounts(v.cores),
                       {v.cores * 1000},
                       v.priority,
                       v.rank,
                       v.preemptible,
                       v.terminating,
                       v.known});
  }
  PreemptNode node{7, {}, victims, 2, c.held};
  if (c.free >= 0) node.free = {c.free * 1000};
  PreemptRequest request{tree->LeafForNamespace(c.ns),
                         amounts(c.cores),
                         {c.cores * 1000},
                         c.priority,
                         c.preemptible,
                         c.already_charged};
  const std::vector<PreemptNodeCheck> checks =
      CheckPreemption(c.with_tree ? &usage : nullptr, request, std::span(&node, 1));
  ASSERT_EQ(checks.size(), 1u);
  const PreemptNodeCheck& check = checks[0];
  EXPECT_EQ(check.node_id, 7u);
  EXPECT_EQ(check.verdict, c.verdict);
  EXPECT_THAT(check.kept, ElementsAreArray(c.kept));
  ASSERT_EQ(check.dropped.size(), c.dropped.size());
  for (size_t i = 0; i < c.dropped.size(); ++i) {
    const DroppedVictim& got = check.dropped[i];
    const Dropped& want = c.dropped[i];
    EXPECT_EQ(got.id, want.id) << i;
    EXPECT_EQ(got.verdict, want.verdict) << i;
    EXPECT_EQ(got.quota == kNoQuota ? "" : tree->name(got.quota), want.quota) << i;
    EXPECT_EQ(got.charged, want.charged * 1000) << i;
    EXPECT_EQ(got.amount, want.amount * 1000) << i;
    EXPECT_EQ(got.min, want.min * 1000) << i;
  }
  if (c.verdict == NodeVerdict::kQuota) {
    EXPECT_EQ(tree->name(check.refusal.quota), c.refused_at);
    EXPECT_EQ(check.refusal.crossed, c.crossed);
  }
  if (check.stays()) {
    EXPECT_EQ(check.pdb_violations, c.dropped.empty() ? 2 : std::min<int64_t>(2, c.kept.size()));
  }
}

using VV = VictimVerdict;
using NV = NodeVerdict;

INSTANTIATE_TEST_SUITE_P(
    Scenario1, PreemptCheckTest,
    ::testing::Values(
        PreemptCase{.name = "LowerPriorityVictimsOfItsOwnQuotaStayBeyondItsMin",
                    .charged = {{"namespace1", 20}},
                    .ns = "namespace1",
                    .victims = {{1, "namespace1"}},
                    .kept = {1}},
        PreemptCase{.name = "APreemptorBeyondItsMinLosesVictimsOfOtherQuotas",
                    .charged = {{"namespace1", 20}, {"namespace3", 10}},
                    .victims = {{1, "namespace1"}},
                    .verdict = NV::kNoVictimLeft,
                    .dropped = {{1, VV::kBeyondGuarantee, "root.b.1", 10, 5, 10}}},
        PreemptCase{.name = "APreemptorWithinItsMinTakesFromABorrower",
                    .charged = {{"namespace1", 20}, {"namespace2", 20}},
                    .victims = {{1, "namespace1"}},
                    .kept = {1}},
        PreemptCase{.name = "AVictimWhoseQuotaWouldFallBelowItsMinIsDropped",
                    .charged = {{"namespace1", 10}, {"namespace2", 20}},
                    .victims = {{1, "namespace1"}},
                    .verdict = NV::kNoVictimLeft,
                    .dropped = {{1, VV::kBelowMin, "root.a.1", 10, 5, 10}}},
        PreemptCase{.name = "VictimsKeptBeforeCountAndTheLessImportantOneIsTaken",
                    .charged = {{"namespace1", 15}, {"namespace2", 20}},
                    .victims = {{1, "namespace1", 5, 3},
                                {2, "namespace1", 5, 1, 1},
                                {3, "namespace1", 5, 1, 2}},
                    .verdict = NV::kFiltered,
                    .kept = {3},
                    .dropped = {{2, VV::kBelowMin, "root.a.1", 10, 5, 10},
                                {1, VV::kBelowMin, "root.a.1", 10, 5, 10}}},
        PreemptCase{.name = "NonPreemptibleAndUnknownVictimsAreDropped",
                    .charged = {{"namespace1", 20}, {"namespace2", 20}},
                    .victims = {{1, "namespace1", 5, 0, 0, false},
                                {2, "namespace1"},
                                {3, "namespace1", 5, 0, 0, true, false, false}},
                    .free = 0,
                    .verdict = NV::kFiltered,
                    .kept = {2},
                    .dropped = {{1, VV::kNonPreemptible}, {3, VV::kUnknown}}},
        PreemptCase{.name = "ANodeWhoseKeptVictimsNoLongerMakeRoomIsDropped",
                    .charged = {{"namespace1", 20}, {"namespace2", 20}},
                    .cores = 10,
                    .victims = {{1, "namespace1"}, {2, "namespace1", 5, 0, 0, false}},
                    .free = 0,
                    .verdict = NV::kNoRoom,
                    .kept = {1},
                    .dropped = {{2, VV::kNonPreemptible}}},
        PreemptCase{.name = "TheSchedulersFitIsTrustedWhenNothingWasDropped",
                    .charged = {{"namespace1", 20}, {"namespace2", 15}},
                    .cores = 10,
                    .victims = {{1, "namespace1"}},
                    .free = 0,
                    .kept = {1}},
        PreemptCase{.name = "RoomHeldForAnotherPodIsCheckedEvenWhenNothingWasDropped",
                    .charged = {{"namespace1", 20}, {"namespace2", 15}},
                    .cores = 10,
                    .victims = {{1, "namespace1"}},
                    .free = 0,
                    .verdict = NV::kNoRoom,
                    .kept = {1},
                    .held = true},
        PreemptCase{.name = "ANodeIsDroppedWhenThePodStillExceedsAMaxOnceTheVictimsLeave",
                    .charged = {{"namespace1", 20}},
                    .ns = "namespace1",
                    .cores = 10,
                    .victims = {{1, "namespace1"}},
                    .verdict = NV::kQuota,
                    .kept = {1},
                    .refused_at = "root.a.1"},
        PreemptCase{.name = "ANonPreemptiblePreemptorFitsItsMinOnceTheVictimsLeave",
                    .charged = {{"namespace1", 10}},
                    .ns = "namespace1",
                    .preemptible = false,
                    .victims = {{1, "namespace1"}},
                    .kept = {1}},
        PreemptCase{.name = "ANonPreemptiblePreemptorStillBeyondItsMinIsRefusedTheNode",
                    .charged = {{"namespace1", 15}},
                    .ns = "namespace1",
                    .preemptible = false,
                    .victims = {{1, "namespace1"}},
                    .verdict = NV::kQuota,
                    .kept = {1},
                    .refused_at = "root.a.1",
                    .crossed = ChargeBound::kMin},
        PreemptCase{.name = "APreemptorsOwnReservationIsNotCountedTwice",
                    .charged = {{"namespace1", 20}, {"namespace2", 10}, {"namespace3", 10}},
                    .already_charged = true,
                    .victims = {{1, "namespace1"}},
                    .kept = {1}},
        PreemptCase{.name = "APriorityNotBelowThePreemptorsIsDroppedInItsOwnQuota",
                    .charged = {{"namespace1", 20}},
                    .ns = "namespace1",
                    .victims = {{1, "namespace1", 5, 10}, {2, "namespace1", 5, 9}},
                    .verdict = NV::kFiltered,
                    .kept = {2},
                    .dropped = {{1, VV::kNotLowerPriority}}},
        PreemptCase{.name = "TerminatingVictimsStayAndCountAsRelief",
                    .charged = {{"namespace1", 15}, {"namespace2", 20}},
                    .victims = {{1, "namespace1"}, {2, "namespace1", 5, 0, 0, true, true}},
                    .verdict = NV::kFiltered,
                    .kept = {2},
                    .dropped = {{1, VV::kBelowMin, "root.a.1", 10, 5, 10}}},
        PreemptCase{.name = "AnUnquotedPreemptorTakesOnlyUnquotedVictims",
                    .ns = "kube-batch",
                    .victims = {{1, "kube-batch"}, {2, "namespace1"}},
                    .verdict = NV::kFiltered,
                    .kept = {1},
                    .dropped = {{2, VV::kBeyondGuarantee}}},
        PreemptCase{.name = "AnUnquotedVictimNeedsThePreemptorWithinItsMinUpToTheRoot",
                    .charged = {{"namespace1", 20}, {"namespace2", 20}},
                    .victims = {{1, "kube-batch"}},
                    .verdict = NV::kNoVictimLeft,
                    .dropped = {{1, VV::kBeyondGuarantee, "root", 40, 5, 40}}},
        PreemptCase{.name = "WithoutAQuotaTreeOnlyPreemptibilityAndFitCount",
                    .charged = {{"namespace3", 10}},
                    .victims = {{1, "namespace1"}, {2, "namespace2", 5, 0, 0, false}},
                    .verdict = NV::kFiltered,
                    .kept = {1},
                    .dropped = {{2, VV::kNonPreemptible}},
                    .with_tree = false}),
    [](const ::testing::TestParamInfo<PreemptCase>& p) { return p.param.name; });

TEST(PreemptCheckNodesTest, EveryNodeIsJudgedWithItsOwnRelief) {
  auto tree = testing::Scenario1Tree().Build();
  QuotaUsage usage(tree);
  usage.ForceCharge(tree->Find("root.a.1"), tree->ToSparse(ResourceList{{"cpu", 15000}}));
  usage.ForceCharge(tree->Find("root.a.2"), tree->ToSparse(ResourceList{{"cpu", 20000}}));
  const SparseAmounts five = tree->ToSparse(ResourceList{{"cpu", 5000}});
  const QuotaId a1 = tree->Find("root.a.1");
  // On each node one victim of root.a.1 may go (15 - 5 >= 10); relief never crosses nodes.
  const std::vector<PreemptVictim> on_x = {{1, a1, five, {5000}}};
  const std::vector<PreemptVictim> on_y = {{2, a1, five, {5000}}, {3, a1, five, {5000}}};
  const std::vector<PreemptNode> nodes = {{10, {}, on_x, 0}, {11, {}, on_y, 1}};
  PreemptRequest request{tree->Find("root.b.1"), five, {5000}, 0};
  const std::vector<PreemptNodeCheck> checks = CheckPreemption(&usage, request, nodes);
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].verdict, NodeVerdict::kUnchanged);
  EXPECT_THAT(checks[0].kept, ElementsAreArray({1u}));
  EXPECT_EQ(checks[1].verdict, NodeVerdict::kFiltered);
  EXPECT_THAT(checks[1].kept, ElementsAreArray({2u}));  // equal keys: the scheduler's order
  ASSERT_EQ(checks[1].dropped.size(), 1u);
  EXPECT_EQ(checks[1].dropped[0].verdict, VictimVerdict::kBelowMin);
  EXPECT_EQ(checks[1].pdb_violations, 1);
}

}  // namespace
}  // namespace quotient::quota
