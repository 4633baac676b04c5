// The min bound of non-preemptible pods (PodDemand::preemptible, ChargeBound::kMin):
// admission within the guarantee at every level, max reported first, max-only
// resources, and the all-or-nothing charge.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "quota/quota_ledger.h"
#include "quota/quota_test_util.h"

namespace quotient::quota {
namespace {

ResourceList Cores(int64_t cores) {
  return ResourceList{{"cpu", cores * 1000}, {"pods", 1}};
}

struct Bound {
  std::string ns;
  int64_t cores;
};

struct MinCase {
  std::string name;
  std::vector<Bound> running;  // bound before the pod asks
  std::string ns;
  int64_t cores;
  bool preemptible;
  AdmitCode code;
  // On refusal: where, and which bound.
  std::string quota = "";
  ChargeBound crossed = ChargeBound::kMax;
  int64_t used = 0, request = 0, limit = 0;  // cores
  friend void PrintTo(const MinCase& c, std::ostream* os) { *os << c.name; }
};

class NonPreemptibleAdmissionTest : public ::testing::TestWithParam<MinCase> {};

TEST_P(NonPreemptibleAdmissionTest, DecidesAndSaysWhy) {
  const MinCase& c = GetParam();
  QuotaLedger ledger(testing::Scenario1Tree().Build(), {});
  int i = 0;
  for (const Bound& b : c.running) ledger.Bind({"r" + std::to_string(i++), b.ns, Cores(b.cores)});
  PodDemand pod{"p", c.ns, Cores(c.cores), c.preemptible};
  const AdmitDecision check = ledger.Check(pod);
  const AdmitDecision reserve = ledger.Reserve(pod, TimePoint{});
  for (const AdmitDecision& d : {check, reserve}) {
    EXPECT_EQ(d.code, c.code);
    if (c.code != AdmitCode::kRejectedMax) continue;
    const QuotaTree& tree = ledger.usage().tree();
    EXPECT_EQ(tree.name(d.refusal.quota), c.quota);
    EXPECT_EQ(tree.resource_name(d.refusal.resource), "cpu");
    EXPECT_EQ(d.refusal.crossed, c.crossed);
    EXPECT_EQ(d.refused_by_min(), c.crossed == ChargeBound::kMin);
    EXPECT_EQ(d.refusal.used, c.used * 1000);
    EXPECT_EQ(d.refusal.reserved, 0);
    EXPECT_EQ(d.refusal.request, c.request * 1000);
    EXPECT_EQ(c.crossed == ChargeBound::kMin ? d.refusal.min : d.refusal.max, c.limit * 1000);
  }
  EXPECT_EQ(ledger.Holds("p"), reserve.admitted());
}

INSTANTIATE_TEST_SUITE_P(
    Scenario1, NonPreemptibleAdmissionTest,
    ::testing::Values(MinCase{"ANonPreemptiblePodThatFillsItsLeafsMinIsAdmitted",
                              {{"namespace1", 5}},
                              "namespace1",
                              5,
                              false,
                              AdmitCode::kAdmitted},
                      MinCase{"ANonPreemptiblePodBeyondItsLeafsMinIsRefusedThere",
                              {{"namespace1", 10}},
                              "namespace1",
                              5,
                              false,
                              AdmitCode::kRejectedMax,
                              "root.a.1",
                              ChargeBound::kMin,
                              10,
                              5,
                              10},
                      MinCase{"APreemptiblePodBeyondItsMinBorrowsUpToMax",
                              {{"namespace1", 10}},
                              "namespace1",
                              5,
                              true,
                              AdmitCode::kAdmitted},
                      MinCase{"ANonPreemptiblePodIsRefusedByAParentsMin",
                              {{"namespace1", 5}, {"namespace2", 15}},
                              "namespace1",
                              5,
                              false,
                              AdmitCode::kRejectedMax,
                              "root.a",
                              ChargeBound::kMin,
                              20,
                              5,
                              20},
                      MinCase{"PreemptiblePodsBeyondMinCountAgainstANonPreemptiblePod",
                              {{"namespace1", 10}},
                              "namespace1",
                              1,
                              false,
                              AdmitCode::kRejectedMax,
                              "root.a.1",
                              ChargeBound::kMin,
                              10,
                              1,
                              10},
                      MinCase{"ALevelOverItsMaxReportsTheMax",
                              {{"namespace1", 20}},
                              "namespace1",
                              5,
                              false,
                              AdmitCode::kRejectedMax,
                              "root.a.1",
                              ChargeBound::kMax,
                              20,
                              5,
                              20},
                      MinCase{"UnquotedNonPreemptiblePodsAreAdmittedAsAnyUnquotedPod",
                              {},
                              "elsewhere",
                              100,
                              false,
                              AdmitCode::kUnquoted}),
    [](const ::testing::TestParamInfo<MinCase>& p) { return p.param.name; });

// A tree that guarantees cpu and caps pods without guaranteeing them.
std::shared_ptr<const QuotaTree> CpuMinPodCapTree() {
  testing::TreeBuilder b({ResourceList{{"cpu", 10000}}, {}, {}});
  b.AddQuota("team", "root", {ResourceList{{"cpu", 4000}}, ResourceList{{"pods", 2}}, {"team"}});
  return b.Build();
}

TEST(NonPreemptibleAdmissionTest, AMaxOnlyResourceLimitsANonPreemptiblePodByItsMaxOnly) {
  QuotaLedger ledger(CpuMinPodCapTree(), {});
  ledger.Bind({"r0", "team", Cores(1)});
  // pods: 1 + 1 <= max 2 although min pods is 0: a pod cap guarantees nothing.
  EXPECT_EQ(ledger.Reserve({"p", "team", Cores(1), false}, TimePoint{}).code, AdmitCode::kAdmitted);
  const AdmitDecision third = ledger.Check({"q", "team", Cores(1), false});
  EXPECT_EQ(third.code, AdmitCode::kRejectedMax);
  EXPECT_EQ(ledger.usage().tree().resource_name(third.refusal.resource), "pods");
  EXPECT_EQ(third.refusal.crossed, ChargeBound::kMax);
}

TEST(NonPreemptibleAdmissionTest, AResourceTheTreeGuaranteesElsewhereHasMinZeroWhereUnset) {
  // root guarantees cpu 10 and `team` 4; `other` sets no min: it guarantees no cpu.
  testing::TreeBuilder b({ResourceList{{"cpu", 10000}}, {}, {}});
  b.AddQuota("team", "root", {ResourceList{{"cpu", 4000}}, {}, {"team"}})
      .AddQuota("other", "root", {{}, {}, {"other"}});
  QuotaLedger ledger(b.Build(), {});
  const AdmitDecision d = ledger.Check({"p", "other", Cores(1), false});
  EXPECT_EQ(d.code, AdmitCode::kRejectedMax);
  EXPECT_EQ(ledger.usage().tree().name(d.refusal.quota), "other");
  EXPECT_EQ(d.refusal.crossed, ChargeBound::kMin);
  EXPECT_EQ(d.refusal.min, 0);
  EXPECT_TRUE(ledger.Check({"q", "other", Cores(1), true}).admitted());
}

TEST(QuotaUsageMinTest, ARefusedMinChargeRollsBackEveryLevelAndResource) {
  auto tree = testing::Scenario1Tree().Build();
  QuotaUsage usage(tree);
  const QuotaId leaf = tree->Find("root.a.2");
  const int32_t cpu = tree->ResourceIndex("cpu");
  ASSERT_TRUE(usage.TryCharge(tree->Find("root.a.1"), tree->ToSparse(Cores(12)), nullptr));
  // root.a.2: 0 + 9 <= 10, then root.a: 12 + 9 > min 20.
  ChargeRefusal refusal;
  EXPECT_FALSE(usage.TryCharge(leaf, tree->ToSparse(Cores(9)), &refusal, ChargeBound::kMin));
  EXPECT_EQ(refusal.quota, tree->Find("root.a"));
  EXPECT_EQ(refusal.crossed, ChargeBound::kMin);
  EXPECT_EQ(usage.Charged(leaf, cpu), 0);
  EXPECT_EQ(usage.Charged(tree->Find("root.a"), cpu), 12000);
  EXPECT_EQ(usage.Charged(leaf, tree->ResourceIndex("pods")), 0);
  EXPECT_FALSE(usage.WouldAdmit(leaf, tree->ToSparse(Cores(9)), nullptr, ChargeBound::kMin));
  EXPECT_TRUE(usage.WouldAdmit(leaf, tree->ToSparse(Cores(8)), nullptr, ChargeBound::kMin));
  EXPECT_TRUE(usage.TryCharge(leaf, tree->ToSparse(Cores(8)), nullptr, ChargeBound::kMin));
  EXPECT_EQ(usage.Charged(tree->Find("root.a"), cpu), 20000);
}

}  // namespace
}  // namespace quotient::quota
