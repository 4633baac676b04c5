// Filter and bind with a pod's DRA claim charge (PodInfo::claim_charge, set by
// state::DraState): charged to the quota, never to the node; a claim that cannot be charged
// refuses the pod naming it; a quota refusal caused by the claims names them; DRA devices
// held for a reclaiming pod are refused to other pods with claims.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "extender/control/control_test_util.h"
#include "extender/decide/quota_decider.h"
#include "extender/devices/dra_reclaim_fit.h"
#include "quota/quota_test_util.h"

namespace quotient::extender::state {
namespace {

using testing::FakeBinder;
using ::testing::HasSubstr;
using testing::MakeNode;
using testing::MakePod;
using testing::RunAwaitable;

constexpr std::string_view kGpu = "nvidia.com/gpu";

class ClaimQuotaTest : public ::testing::Test {
 protected:
  ClaimQuotaTest() {
    quota::testing::TreeBuilder tree;
    tree.AddQuota("team-a", "root", {{}, {{"cpu", 40'000}, {kGpu, 1}}, {"a"}});
    ledger_.Reload(tree.Build(), quota::Clock::now());
    state_.UpsertNode(MakeNode("dra-node", 16));  // no nvidia.com/gpu: DRA devices only
  }
  static PodInfo ClaimPod(std::string uid, int64_t gpus) {
    PodInfo pod = MakePod(std::move(uid), "a", 1);
    pod.resource_claims = {{"gpu", "claim-" + pod.uid, ""}};
    pod.claim_charge = {{kGpu, gpus}};
    pod.claim_note = "claim claim-" + pod.uid + " (device class gpu.nvidia.com: nvidia.com/gpu=1)";
    return pod;
  }
  static ExtenderArgs Args(const PodInfo& pod) {
    ExtenderArgs args;
    args.pod = pod;
    args.has_node_names = true;
    args.nodes.push_back(WireNode{"dra-node", {}});
    return args;
  }
  int64_t ChargedGpus() {
    const quota::QuotaTree& tree = ledger_.usage().tree();
    return ledger_.usage().Charged(tree.Find("team-a"), tree.ResourceIndex(kGpu));
  }

  quota::QuotaLedger ledger_{quota::testing::TreeBuilder().Build(), {}};
  ClusterState state_{&ledger_};
  FakeBinder binder_;
  QuotaDecider decider_{&ledger_, &state_, &binder_, [] { return std::string(); },
                        QuotaDeciderOptions{std::chrono::seconds(30), {std::string(kGpu)}}};
};

TEST_F(ClaimQuotaTest, AClaimChargeCountsInTheQuotaButNotOnTheNode) {
  FilterDecision d = decider_.Filter(Args(ClaimPod("u1", 1)));
  EXPECT_EQ(d.result, DecisionResult::kAccepted);
  EXPECT_EQ(d.answer.passed.size(), 1u) << "node fit ignores the claim: DRA checks devices";
  EXPECT_EQ(ChargedGpus(), 1);
}

TEST_F(ClaimQuotaTest, ASecondClaimPastTheMaxIsRefusedNamingTheClaimAndClass) {
  ASSERT_EQ(decider_.Filter(Args(ClaimPod("u1", 1))).result, DecisionResult::kAccepted);
  FilterDecision d = decider_.Filter(Args(ClaimPod("u2", 1)));
  EXPECT_EQ(d.result, DecisionResult::kRejected);
  EXPECT_EQ(d.reason, DecisionReason::kQuotaMaxClaim);
  EXPECT_THAT(d.message, HasSubstr("quota team-a: nvidia.com/gpu used 0 + reserved 1 + request 1 "
                                   "> max 1 (DRA: claim claim-u2 (device class gpu.nvidia.com"));
  ASSERT_EQ(d.answer.failed_unresolvable.size(), 1u);
  EXPECT_EQ(d.answer.failed_unresolvable[0].second, d.message);
}

TEST_F(ClaimQuotaTest, AQuotaRefusalOfAnotherResourceKeepsItsPlainReason) {
  PodInfo pod = ClaimPod("u1", 1);
  pod.requests.Set("cpu", 41'000);
  FilterDecision d = decider_.Filter(Args(pod));
  EXPECT_EQ(d.reason, DecisionReason::kQuotaMax);
}

TEST_F(ClaimQuotaTest, AClaimNotThereYetRefusesEveryNodeUnresolvably) {
  PodInfo pod = ClaimPod("u1", 0);
  pod.claim_charge = {};
  pod.claim_problem = ClaimProblem::kPending;
  pod.claim_note = "ResourceClaim a/claim-u1 not seen yet";
  FilterDecision d = decider_.Filter(Args(pod));
  EXPECT_EQ(d.result, DecisionResult::kRejected);
  EXPECT_EQ(d.reason, DecisionReason::kClaimPending);
  EXPECT_THAT(d.message, HasSubstr("DRA: ResourceClaim a/claim-u1 not seen yet: its quota charge "
                                   "is unknown until the claim exists"));
  EXPECT_EQ(d.answer.failed_unresolvable.size(), 1u);
  EXPECT_FALSE(ledger_.Holds("u1"));
}

TEST_F(ClaimQuotaTest, AClaimWhoseChargeIsRefusedRefusesThePod) {
  PodInfo pod = ClaimPod("u1", 0);
  pod.claim_problem = ClaimProblem::kRefused;
  pod.claim_note = "ResourceClaim a/claim-u1: claim request gpu: 40 devices > 32";
  FilterDecision d = decider_.Filter(Args(pod));
  EXPECT_EQ(d.reason, DecisionReason::kClaimRefused);
  EXPECT_THAT(d.message, HasSubstr("40 devices > 32"));
}

TEST_F(ClaimQuotaTest, BindingKeepsTheClaimChargeOffTheNode) {
  PodInfo pod = ClaimPod("u1", 1);
  state_.UpsertPod(pod);  // the watch saw it pending: its own requests are known
  ASSERT_EQ(decider_.Filter(Args(pod)).result, DecisionResult::kAccepted);
  BindDecision b = RunAwaitable(decider_.Bind(BindingArgs{pod.name, pod.ns, pod.uid, "dra-node"}));
  ASSERT_EQ(b.result, DecisionResult::kAccepted) << b.error;
  EXPECT_EQ(ChargedGpus(), 1);
  state_.ReadNodes([&](auto lookup) {
    EXPECT_EQ(lookup("dra-node")->requested.Get(kGpu), 0);
    return 0;
  });
  PodRecord record;
  ASSERT_TRUE(state_.FindPod("u1", &record));
  EXPECT_EQ(record.claim_charge, (quota::ResourceList{{kGpu, 1}}));
}

}  // namespace
}  // namespace quotient::extender::state

namespace quotient::extender::state {
namespace {

// DRA devices held for a reclaiming pod (its claims asked 2 of the node's GPUs) are refused
// to other pods with claims, as a hold's CPU is.
class ClaimHoldTest : public ClaimQuotaTest {
 protected:
  void Publish(int gpus) {
    auto lock = dra_.apply_lock();
    ResourceSliceInfo slice;
    slice.name = "dra-node-gpus";
    slice.driver = "gpu.nvidia.com";
    slice.pool = "dra-node";
    slice.node_name = "dra-node";
    for (int i = 0; i < gpus; ++i) {
      slice.devices.push_back({slice.driver, slice.pool, fmt::format("gpu-{}", i), {}, {}});
    }
    dra_.UpsertSlice(slice);
    for (auto [uid, count] : {std::pair{"reclaimer", 2}, {"u1", 1}}) {
      ResourceClaimInfo claim;
      claim.name = std::string("claim-") + uid;
      claim.ns = "a";
      quota::DeviceSubRequest sub;
      sub.device_class = "gpu.nvidia.com";
      sub.count = count;
      claim.requests.push_back({"gpu", false, {sub}});
      dra_.UpsertClaim(claim);
      PodInfo pod = ClaimPod(uid, count);
      dra_.IndexPod(false, pod);
    }
  }
  static quota::DeviceChargeConfig Mapping() {
    quota::DeviceChargeConfig config;
    std::string error;
    EXPECT_TRUE(quota::DeviceChargeConfig::Build(
        {{"gpu.nvidia.com", std::string(kGpu), quota::DeviceChargeMode::kDevices, "", ""}}, &config,
        &error));
    return config;
  }
  DraState dra_{Mapping(), nullptr};
  DraReclaimFit claims_{&dra_};
  QuotaDecider held_decider_{
      &ledger_, &state_, &binder_, [] { return std::string(); },
      QuotaDeciderOptions{std::chrono::seconds(30), {}, nullptr, nullptr, &claims_}};
};

TEST_F(ClaimHoldTest, DevicesHeldForAReclaimingPodAreRefusedToAnotherClaimPod) {
  Publish(2);
  ASSERT_EQ(held_decider_.Filter(Args(ClaimPod("u1", 1))).result, DecisionResult::kAccepted);
  ledger_.CancelReservation("u1");
  state_.SetHold("dra-node", "reclaimer", quota::ResourceList{{"cpu", 1000}});
  const FilterDecision d = held_decider_.Filter(Args(ClaimPod("u1", 1)));
  EXPECT_EQ(d.result, DecisionResult::kRejected);
  EXPECT_EQ(d.reason, DecisionReason::kReclaimHold);
}

TEST_F(ClaimHoldTest, DevicesBesideTheHoldRemainFreeToOthers) {
  Publish(3);
  state_.SetHold("dra-node", "reclaimer", quota::ResourceList{{"cpu", 1000}});
  EXPECT_EQ(held_decider_.Filter(Args(ClaimPod("u1", 1))).result, DecisionResult::kAccepted);
}

}  // namespace
}  // namespace quotient::extender::state
