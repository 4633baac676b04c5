// The live GPU-equivalent charge: what each kind of GPU request adds as
// quotient.io/gpu-milli, and one quota governing mixed requests through the live decider,
// the watch records and reclaim's node room.
#include "extender/devices/gpu_equivalent_enricher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "extender/control/control_test_util.h"
#include "extender/control/reclaim_planner.h"
#include "extender/decide/quota_decider.h"
#include "quota/quota_test_util.h"

namespace quotient::extender::state {
namespace {

using ::testing::HasSubstr;

PodInfo GpuPod(std::string uid, quota::ResourceList requests, StringPairs labels = {},
               StringPairs annotations = {}) {
  PodInfo pod;
  pod.uid = uid;
  pod.name = "pod-" + uid;
  pod.ns = "a";
  pod.requests = std::move(requests);
  pod.requests.Set("pods", 1);
  pod.labels = std::move(labels);
  pod.annotations = std::move(annotations);
  return pod;
}

int64_t MilliOf(const GpuEquivalentEnricher& enricher, PodInfo pod) {
  enricher.Enrich(&pod);
  return pod.requests.Get(gpu::kResourceGpuMilli);
}

struct ChargeCase {
  std::string name;
  PodInfo pod;
  int64_t milli;
};

TEST(GpuEquivalentEnricherTest, EachKindOfGpuRequestIsChargedItsEquivalent) {
  gpu::EquivalentOptions options;
  options.profile_milli = {{"2g.10gb", 300}};
  const GpuEquivalentEnricher enricher(&gpu::BuiltinMigCatalog(), options);
  const std::vector<ChargeCase> cases = {
      {"two whole GPUs are 2000", GpuPod("w", {{"nvidia.com/gpu", 2}}), 2000},
      {"a 3g.20gb is 3 of 7 compute slices, rounded up",
       GpuPod("m", {{"nvidia.com/mig-3g.20gb", 1}}), 429},
      {"two 1g.5gb are 2 x 143", GpuPod("m2", {{"nvidia.com/mig-1g.5gb", 2}}), 286},
      {"an override table entry wins", GpuPod("o", {{"nvidia.com/mig-2g.10gb", 1}}), 300},
      {"a half GPU by label is 500", GpuPod("f", {}, {{"required-resources", "0.5"}}), 500},
      {"a quarter GPU by annotation is 250",
       GpuPod("fa", {}, {}, {{"quotient.io/gpu-fraction", "25%"}}), 250},
      {"gpushare memory of a named model is its part of that GPU",
       GpuPod("s", {{"aliyun.com/gpu-mem", 4}}, {{"quotient.io/gpu-model", "T4"}}), 250},
      {"gpushare memory of no named model is not charged",
       GpuPod("s2", {{"aliyun.com/gpu-mem", 4}}), 0},
      {"a pod without GPUs is not charged", GpuPod("c", {{"cpu", 1000}}), 0},
      {"a malformed fraction is not charged (the GPU decider refuses it)",
       GpuPod("bad", {}, {{"required-resources", "lots"}}), 0},
      {"a pod's own gpu-milli without GPUs is kept", GpuPod("own", {{"quotient.io/gpu-milli", 70}}),
       70},
      {"a pod's own gpu-milli with GPUs is replaced",
       GpuPod("both", {{"nvidia.com/gpu", 1}, {"quotient.io/gpu-milli", 70}}), 1000},
  };
  for (const ChargeCase& c : cases) EXPECT_EQ(MilliOf(enricher, c.pod), c.milli) << c.name;
}

TEST(GpuEquivalentEnricherTest, TheChargeLeavesTheOtherRequestsAsTheyWere) {
  const GpuEquivalentEnricher enricher(&gpu::BuiltinMigCatalog(), {});
  PodInfo pod = GpuPod("m", {{"cpu", 2000}, {"nvidia.com/mig-3g.20gb", 1}});
  enricher.Enrich(&pod);
  EXPECT_EQ(pod.requests, (quota::ResourceList{{"cpu", 2000},
                                               {"nvidia.com/mig-3g.20gb", 1},
                                               {"pods", 1},
                                               {"quotient.io/gpu-milli", 429}}));
}

// One quota of one GPU-equivalent (1000) over MIG devices, fractions and whole GPUs.
class GpuMilliQuotaTest : public ::testing::Test {
 protected:
  GpuMilliQuotaTest() {
    const quota::ResourceList milli{{"quotient.io/gpu-milli", 1000}};
    quota::testing::TreeBuilder tree({milli, {{"quotient.io/gpu-milli", 2000}}, {}});
    tree.AddQuota("team-a", "root", {milli, milli, {"a"}});
    ledger_.Reload(tree.Build(), quota::Clock::now());
    NodeInfo node = testing::MakeNode("n1", 16, 8);
    node.allocatable.Set("nvidia.com/mig-3g.20gb", 2);
    node.allocatable.Set("nvidia.com/mig-1g.5gb", 7);
    state_.UpsertNode(node);
  }
  // What the webhook path does: decode, enrich, decide.
  FilterDecision Filter(PodInfo pod) {
    enricher_.Enrich(&pod);
    ExtenderArgs args;
    args.pod = pod;
    args.has_node_names = true;
    args.nodes.push_back(WireNode{"n1", {}});
    return decider_.Filter(args);
  }
  // What the watch path does for a pod bound on n1.
  void Watch(PodInfo pod) {
    pod.node_name = "n1";
    pod.phase = "Running";
    enricher_.Enrich(&pod);
    state_.UpsertPod(pod);
  }

  quota::QuotaLedger ledger_{quota::testing::TreeBuilder().Build(), {}};
  ClusterState state_{&ledger_};
  testing::FakeBinder binder_;
  QuotaDecider decider_{&ledger_, &state_, &binder_, [] { return std::string(); },
                        QuotaDeciderOptions{}};
  const GpuEquivalentEnricher enricher_{&gpu::BuiltinMigCatalog(), {}};
};

TEST_F(GpuMilliQuotaTest, OneGpuEquivalentQuotaGovernsMixedRequests) {
  // 429 (3g.20gb) + 500 (half GPU) = 929 of 1000: both admitted.
  EXPECT_EQ(Filter(GpuPod("mig", {{"nvidia.com/mig-3g.20gb", 1}})).result,
            DecisionResult::kAccepted);
  EXPECT_EQ(Filter(GpuPod("half", {}, {{"required-resources", "0.5"}})).result,
            DecisionResult::kAccepted);
  // + 143 (1g.5gb) = 1072 > 1000: refused, with the numbers.
  const FilterDecision refused = Filter(GpuPod("small", {{"nvidia.com/mig-1g.5gb", 1}}));
  EXPECT_EQ(refused.result, DecisionResult::kRejected);
  EXPECT_EQ(refused.reason, DecisionReason::kQuotaMax);
  EXPECT_THAT(refused.message, HasSubstr("quotient.io/gpu-milli"));
  EXPECT_THAT(refused.message, HasSubstr("request 143"));
}

TEST_F(GpuMilliQuotaTest, WatchedPodsAreChargedTheSameAsAdmittedOnes) {
  Watch(GpuPod("w1", {{"nvidia.com/gpu", 1}}));
  const FilterDecision refused = Filter(GpuPod("small", {{"nvidia.com/mig-1g.5gb", 1}}));
  EXPECT_EQ(refused.reason, DecisionReason::kQuotaMax);
  EXPECT_THAT(refused.message, HasSubstr("used 1000"));
}

TEST(GpuMilliReclaimTest, ReclaimPlansNodeRoomWithoutTheDerivedCharge) {
  // team-b borrows both GPUs of n1 (2000 milli); team-a asks one within its min of 1000.
  // No node advertises quotient.io/gpu-milli: were it a node resource, nothing would fit.
  const quota::ResourceList two{{"quotient.io/gpu-milli", 2000}};
  quota::testing::TreeBuilder tree({two, two, {}});
  tree.AddQuota("team-a", "root", {{{"quotient.io/gpu-milli", 1000}}, two, {"a"}})
      .AddQuota("team-b", "root", {{}, two, {"b"}});
  quota::QuotaLedger ledger(tree.Build(), {});
  ClusterState state(&ledger);
  const GpuEquivalentEnricher enricher(&gpu::BuiltinMigCatalog(), {});
  state.UpsertNode(testing::MakeNode("n1", 16, 2));
  for (const char* uid : {"b1", "b2"}) {
    PodInfo pod = testing::MakePod(uid, "b", 1, "n1", 1);
    pod.phase = "Running";
    enricher.Enrich(&pod);
    state.UpsertPod(pod);
  }
  PodInfo pod = testing::MakePod("a1", "a", 1, "", 1);
  enricher.Enrich(&pod);
  ASSERT_EQ(pod.requests.Get(gpu::kResourceGpuMilli), 1000);
  const ReclaimCandidate candidate{{pod.ns, pod.name, pod.uid},
                                   ledger.usage().tree().LeafForNamespace("a"),
                                   pod.requests,
                                   {},
                                   0,
                                   ""};
  const ReclaimChoice choice = state.ReadAll([&](const auto& nodes, const auto& pods) {
    return PlanReclaimFor(ledger.usage(), candidate, nodes, pods, {}, {});
  });
  EXPECT_EQ(choice.outcome, quota::ReclaimOutcome::kPlanned);
  EXPECT_EQ(choice.node, "n1");
  ASSERT_EQ(choice.victims.size(), 1u);
}

}  // namespace
}  // namespace quotient::extender::state
