#include "extender/decide/quota_decider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "extender/control/control_test_util.h"
#include "quota/quota_test_util.h"

namespace quotient::extender::state {
namespace {

using testing::FakeBinder;
using ::testing::HasSubstr;
using testing::MakeNode;
using testing::MakePod;
using testing::RunAwaitable;

quota::ResourceList Cpu(int64_t cores) {
  return {{"cpu", cores * 1000}};
}

class QuotaDeciderTest : public ::testing::Test {
 protected:
  QuotaDeciderTest() {
    quota::testing::TreeBuilder tree({Cpu(40), Cpu(40), {}});
    tree.AddQuota("team-a", "root", {Cpu(0), Cpu(10), {"a"}})
        .AddQuota("team-b", "root", {Cpu(0), Cpu(10), {"b"}})
        .SetAttribute("team-b", "quotient.io/node-selector", "org=b");
    ledger_.Reload(tree.Build(), quota::Clock::now());
    state_.UpsertNode(MakeNode("n1", 16, 4, {{"org", "a"}}));
    state_.UpsertNode(MakeNode("n2", 16, 4, {{"org", "b"}}));
  }
  ExtenderArgs Args(const PodInfo& pod, std::vector<std::string_view> nodes = {"n1", "n2"}) {
    ExtenderArgs args;
    args.pod = pod;
    args.has_node_names = true;
    for (auto n : nodes) args.nodes.push_back(WireNode{n, {}});
    return args;
  }
  BindDecision Bind(const PodInfo& pod, std::string node) {
    return RunAwaitable(decider_.Bind(BindingArgs{pod.name, pod.ns, pod.uid, std::move(node)}));
  }
  std::vector<std::string> Passed(const ExtenderArgs& args, const FilterDecision& d) {
    std::vector<std::string> names;
    for (size_t i : d.answer.passed) names.emplace_back(args.nodes[i].name);
    return names;
  }

  bool synced_ = true;
  quota::QuotaLedger ledger_{quota::testing::TreeBuilder().Build(), {}};
  ClusterState state_{&ledger_};
  FakeBinder binder_;
  QuotaDecider decider_{&ledger_, &state_, &binder_,
                        [this] { return synced_ ? std::string() : std::string("not synced"); },
                        QuotaDeciderOptions{std::chrono::seconds(30), {"nvidia.com/gpu"}}};
};

TEST_F(QuotaDeciderTest, BeforeTheFirstSyncFilterAnswersAnError) {
  synced_ = false;
  FilterDecision d = decider_.Filter(Args(MakePod("u1", "a", 1)));
  EXPECT_EQ(d.result, DecisionResult::kError);
  EXPECT_EQ(d.reason, DecisionReason::kNotSynced);
  EXPECT_EQ(d.answer.error, "Quotient is not ready: not synced");
}

TEST_F(QuotaDeciderTest, AnAdmittedPodReservesItsQuota) {
  auto args = Args(MakePod("u1", "a", 4));
  FilterDecision d = decider_.Filter(args);
  EXPECT_EQ(d.result, DecisionResult::kAccepted);
  EXPECT_EQ(d.reason, DecisionReason::kQuotaAdmitted);
  EXPECT_EQ(Passed(args, d), (std::vector<std::string>{"n1", "n2"}));
  EXPECT_TRUE(ledger_.Holds("u1"));
}

TEST_F(QuotaDeciderTest, APodBeyondItsMaxFailsEveryNodeWithTheSameReadableReason) {
  ASSERT_TRUE(decider_.Filter(Args(MakePod("u1", "a", 8))).answer.passed.size() == 2);
  FilterDecision d = decider_.Filter(Args(MakePod("u2", "a", 4)));
  EXPECT_EQ(d.result, DecisionResult::kRejected);
  EXPECT_EQ(d.reason, DecisionReason::kQuotaMax);
  ASSERT_EQ(d.answer.failed_unresolvable.size(), 2u);
  EXPECT_EQ(d.answer.failed_unresolvable[0].second,
            "quota team-a: cpu used 0 + reserved 8 + request 4 > max 10");
  EXPECT_EQ(d.answer.failed_unresolvable[1].second, d.answer.failed_unresolvable[0].second);
  EXPECT_FALSE(ledger_.Holds("u2"));
}

TEST_F(QuotaDeciderTest, FilteringTheSamePodTwiceReservesOnce) {
  decider_.Filter(Args(MakePod("u1", "a", 6)));
  FilterDecision d = decider_.Filter(Args(MakePod("u1", "a", 6)));
  EXPECT_EQ(d.result, DecisionResult::kAccepted);
  EXPECT_EQ(ledger_.reserved_count(), 1u);
}

// A pod retried while it holds its reservation (its cycle failed after filter) is checked
// as held: still within its node pool.
TEST_F(QuotaDeciderTest, APodFilteredAgainWhileItHoldsItsReservationKeepsItsNodePool) {
  auto args = Args(MakePod("u1", "b", 1));
  ASSERT_EQ(Passed(args, decider_.Filter(args)), std::vector<std::string>{"n2"});
  ASSERT_TRUE(ledger_.Holds("u1"));
  FilterDecision again = decider_.Filter(args);
  EXPECT_EQ(again.result, DecisionResult::kAccepted);
  EXPECT_EQ(Passed(args, again), std::vector<std::string>{"n2"});
}

TEST_F(QuotaDeciderTest, ANodePoolKeepsAQuotasPodsOnItsNodes) {
  auto args = Args(MakePod("u1", "b", 1));
  FilterDecision d = decider_.Filter(args);
  EXPECT_EQ(Passed(args, d), std::vector<std::string>{"n2"});
  ASSERT_EQ(d.answer.failed_unresolvable.size(), 1u);
  EXPECT_EQ(d.answer.failed_unresolvable[0].second,
            "node pool: quota team-b allows only nodes labelled org=b");
}

TEST_F(QuotaDeciderTest, NodeFitCountsManagedResourcesOfBoundPods) {
  state_.UpsertPod(MakePod("r1", "x", 1, "n1", /*gpus=*/4));
  auto args = Args(MakePod("u1", "a", 1, "", /*gpus=*/1));
  FilterDecision d = decider_.Filter(args);
  EXPECT_EQ(Passed(args, d), std::vector<std::string>{"n2"});
  ASSERT_EQ(d.answer.failed.size(), 1u);
  EXPECT_EQ(d.answer.failed[0].second, "node fit: nvidia.com/gpu requested 1, free 0 of 4");
}

TEST_F(QuotaDeciderTest, NoNodeFittingMeansNoReservation) {
  state_.UpsertPod(MakePod("r1", "x", 1, "n1", 4));
  state_.UpsertPod(MakePod("r2", "x", 1, "n2", 4));
  FilterDecision d = decider_.Filter(Args(MakePod("u1", "a", 1, "", 1)));
  EXPECT_EQ(d.result, DecisionResult::kRejected);
  EXPECT_EQ(d.reason, DecisionReason::kNodeFit);
  EXPECT_FALSE(ledger_.Holds("u1"));
}

TEST_F(QuotaDeciderTest, UnknownNodesFailAsRetriableForAPodThatNeedsANodeCheck) {
  auto args = Args(MakePod("u1", "a", 1, "", /*gpus=*/1), {"n9"});
  FilterDecision d = decider_.Filter(args);
  EXPECT_EQ(d.reason, DecisionReason::kUnknownNode);
  ASSERT_EQ(d.answer.failed.size(), 1u);
  EXPECT_EQ(d.answer.failed[0].second, "node not in Quotient's cache yet");
}

// No node pool, no fit resource, no hold: nothing per node can refuse the pod, so every
// candidate passes without a lookup, a node the cache does not know yet included.
TEST_F(QuotaDeciderTest, APodNoNodeCheckConcernsPassesEveryCandidate) {
  auto args = Args(MakePod("u1", "a", 1), {"n1", "n9", "n2"});
  FilterDecision d = decider_.Filter(args);
  EXPECT_EQ(d.result, DecisionResult::kAccepted);
  EXPECT_EQ(d.reason, DecisionReason::kQuotaAdmitted);
  EXPECT_EQ(Passed(args, d), (std::vector<std::string>{"n1", "n9", "n2"}));
  EXPECT_TRUE(d.answer.failed.empty());
  EXPECT_TRUE(ledger_.Holds("u1"));
}

// A hold anywhere puts every pod back on the node walk (the held node may not take it),
// until the hold is dropped.
TEST_F(QuotaDeciderTest, AHoldAnywhereMakesEveryPodCheckTheNodes) {
  state_.UpsertPod(MakePod("r1", "x", 14, "n1"));
  state_.SetHold("n1", "reclaimer", Cpu(2));
  EXPECT_TRUE(state_.HasHolds());
  auto args = Args(MakePod("u1", "a", 1), {"n1", "n9"});
  FilterDecision d = decider_.Filter(args);
  EXPECT_TRUE(d.answer.passed.empty());
  ASSERT_EQ(d.answer.failed.size(), 2u);
  EXPECT_EQ(d.answer.failed[0].second,
            "node room is held for a pod that is reclaiming its guaranteed quota");
  EXPECT_EQ(d.answer.failed[1].second, "node not in Quotient's cache yet");

  state_.DropHold("reclaimer");
  EXPECT_FALSE(state_.HasHolds());
  d = decider_.Filter(args);
  EXPECT_EQ(Passed(args, d), (std::vector<std::string>{"n1", "n9"}));
}

TEST_F(QuotaDeciderTest, PrioritizePrefersTheFullerNodeForManagedResources) {
  state_.UpsertPod(MakePod("r1", "x", 1, "n2", 2));
  ExtenderArgs args = Args(MakePod("u1", "a", 1, "", 1));
  PrioritizeDecision d = decider_.Prioritize(args);
  ASSERT_EQ(d.scores.size(), 2u);
  EXPECT_EQ(d.scores[0], 2);  // 1 of 4 after placement
  EXPECT_EQ(d.scores[1], 7);  // 3 of 4 after placement
}

TEST_F(QuotaDeciderTest, BindingChargesTheNodeAndQuotaAtOnce) {
  PodInfo pod = MakePod("u1", "a", 4, "", 1);
  decider_.Filter(Args(pod));
  BindDecision d = Bind(pod, "n1");
  EXPECT_TRUE(d.error.empty()) << d.error;
  EXPECT_EQ(d.reason, DecisionReason::kBound);
  EXPECT_EQ(binder_.bound, std::vector<std::string>{"a/pod-u1@n1"});
  EXPECT_EQ(ledger_.bound_count(), 1u);
  // n1 has 3 GPUs left: a 4-GPU pod now fits only on n2.
  auto next_args = Args(MakePod("u2", "a", 1, "", 4));
  EXPECT_EQ(Passed(next_args, decider_.Filter(next_args)), std::vector<std::string>{"n2"});
}

TEST_F(QuotaDeciderTest, ARefusedBindingForgetsTheReservationAndSaysWhy) {
  PodInfo pod = MakePod("u1", "a", 4);
  decider_.Filter(Args(pod));
  binder_.bind_outcome = {ApiOutcome::Kind::kRefused, 403, "API server answered 403: forbidden"};
  BindDecision d = Bind(pod, "n1");
  EXPECT_EQ(d.reason, DecisionReason::kBindRefused);
  EXPECT_THAT(d.error, HasSubstr("forbidden"));
  EXPECT_FALSE(ledger_.Holds("u1"));
}

// A Binding that may have landed (no answer; or 409: the pod is bound already, by an
// earlier Binding whose answer was lost) keeps the reservation: the room is not handed to
// another pod before the watch shows this one bound.
TEST_F(QuotaDeciderTest, ABindingThatMayHaveLandedKeepsTheReservation) {
  const PodInfo lost = MakePod("u1", "a", 6);
  decider_.Filter(Args(lost));
  binder_.bind_outcome = {ApiOutcome::Kind::kUnavailable, 0, "connection reset by peer"};
  BindDecision d = Bind(lost, "n1");
  EXPECT_EQ(d.reason, DecisionReason::kApiUnavailable);
  EXPECT_TRUE(ledger_.Holds("u1"));
  const PodInfo already = MakePod("u2", "a", 4);
  decider_.Filter(Args(already));
  binder_.bind_outcome = {ApiOutcome::Kind::kRefused, 409,
                          "API server answered 409: pod pod-u2 is already assigned"};
  d = Bind(already, "n1");
  EXPECT_EQ(d.reason, DecisionReason::kBindRefused);
  EXPECT_TRUE(ledger_.Holds("u2"));
  // team-a's max 10 is held whole: another pod of it is refused.
  EXPECT_EQ(decider_.Filter(Args(MakePod("u3", "a", 1))).reason, DecisionReason::kQuotaMax);
}

TEST_F(QuotaDeciderTest, BindingWithoutAReservationChecksTheQuotaFirst) {
  // Quotient restarted between filter and bind: it reads the pod and checks its quota.
  state_.UpsertPod(MakePod("r1", "a", 8, "n1"));
  PodInfo pod = MakePod("u1", "a", 4);
  binder_.pods.push_back(pod);
  BindDecision d = Bind(pod, "n1");
  EXPECT_EQ(binder_.gets, 1);
  EXPECT_EQ(d.result, DecisionResult::kRejected);
  EXPECT_EQ(d.reason, DecisionReason::kQuotaMax);
  EXPECT_THAT(d.error, HasSubstr("quota team-a: cpu used 8"));
  EXPECT_TRUE(binder_.bound.empty());
}

TEST_F(QuotaDeciderTest, BindingAPodTheWatchKnowsNeedsNoRead) {
  PodInfo pod = MakePod("u1", "a", 4);
  state_.UpsertPod(pod);
  BindDecision d = Bind(pod, "n1");
  EXPECT_TRUE(d.error.empty()) << d.error;
  EXPECT_EQ(binder_.gets, 0);
  EXPECT_EQ(ledger_.bound_count(), 1u);
}

TEST_F(QuotaDeciderTest, AQuotaRefusalThatALowerPriorityPodOfTheSameQuotaCouldFixIsResolvable) {
  PodInfo low = MakePod("low", "a", 8, "n1");
  low.priority = 1;
  state_.UpsertPod(low);
  PodInfo high = MakePod("high", "a", 4);
  high.priority = 100;
  FilterDecision d = decider_.Filter(Args(high));
  EXPECT_EQ(d.reason, DecisionReason::kQuotaMax);
  EXPECT_EQ(d.answer.failed.size(), 2u) << "priority preemption may evict the low pod";
  EXPECT_TRUE(d.answer.failed_unresolvable.empty());
  PodInfo equal = MakePod("equal", "a", 4);
  equal.priority = 1;
  FilterDecision same = decider_.Filter(Args(equal));
  EXPECT_EQ(same.answer.failed_unresolvable.size(), 2u) << "no lower priority: nothing can";
  high.preemption_never = true;
  EXPECT_EQ(decider_.Filter(Args(high)).answer.failed_unresolvable.size(), 2u);
}

TEST_F(QuotaDeciderTest, RoomHeldForAReclaimingPodIsRefusedToOthersButNotToIt) {
  state_.UpsertPod(MakePod("u1", "a", 10, "n1"));
  state_.SetHold("n1", "reclaimer", quota::ResourceList{{"cpu", 4000}, {"pods", 1}});
  FilterDecision other = decider_.Filter(Args(MakePod("u2", "free", 4), {"n1"}));
  EXPECT_EQ(other.result, DecisionResult::kRejected);
  EXPECT_EQ(other.reason, DecisionReason::kReclaimHold);
  ASSERT_EQ(other.answer.failed.size(), 1u);
  EXPECT_EQ(other.answer.failed[0].second,
            "node room is held for a pod that is reclaiming its guaranteed quota");
  EXPECT_EQ(decider_.Filter(Args(MakePod("u3", "free", 2), {"n1"})).answer.passed.size(), 1u)
      << "16 - 10 - 4 held leaves 2 cores";
  EXPECT_EQ(decider_.Filter(Args(MakePod("reclaimer", "free", 4), {"n1"})).answer.passed.size(),
            1u);
}

TEST_F(QuotaDeciderTest, PreemptBeforeTheFirstSyncAnswersAnErrorAndNoVictims) {
  synced_ = false;
  PreemptionArgs args;
  args.pod = MakePod("p", "a", 1);
  PreemptDecision d = decider_.Preempt(args);
  EXPECT_EQ(d.result, DecisionResult::kError);
  EXPECT_EQ(d.reason, DecisionReason::kNotSynced);
  EXPECT_TRUE(d.nodes.empty());
}

// Rule 7 through the decider: kube-scheduler evicted v2 for p and retried p; Quotient's
// filter refused p (quota) from a cache that still had v2, and the watch removed v2 before
// the preempt call that refusal led to: no second set of victims.
TEST_F(QuotaDeciderTest, APreemptCallAfterAStaleQuotaRefusalTakesNoSecondVictim) {
  for (const char* uid : {"v1", "v2"}) {
    PodInfo victim = MakePod(uid, "a", 5, "n1");
    victim.phase = "Running";
    state_.UpsertPod(victim);
  }
  PodInfo p = MakePod("p", "a", 5);
  p.priority = 100;
  PreemptionArgs args;
  args.pod = p;
  args.nodes.push_back(NodeVictims{"n1", {"v2"}, 0});
  ASSERT_EQ(decider_.Preempt(args).result, DecisionResult::kAccepted);
  args.pod.nominated_node = "n1";
  EXPECT_EQ(decider_.Filter(Args(args.pod)).reason, DecisionReason::kQuotaMax);
  state_.DeletePod("v2");
  args.nodes = {NodeVictims{"n1", {"v1"}, 0}};
  const PreemptDecision again = decider_.Preempt(args);
  EXPECT_EQ(again.result, DecisionResult::kRejected);
  EXPECT_EQ(again.reason, DecisionReason::kPreemptVictimsLeaving);
  // The retry the Requeuer sends is admitted.
  EXPECT_EQ(decider_.Filter(Args(args.pod)).reason, DecisionReason::kQuotaAdmitted);
}

}  // namespace
}  // namespace quotient::extender::state
