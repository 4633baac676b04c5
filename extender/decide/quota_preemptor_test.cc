// The preempt verb over a live cluster state: scenario 1's tree, two 20-core nodes, pods
// of 5 cores. Each test asserts the answer (nodes and victims), the reason code and the
// message.
#include "extender/decide/quota_preemptor.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "extender/objects/preemptible.h"
#include "extender/state/state_test_util.h"
#include "quota/quota_test_util.h"

namespace quotient::extender::state {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::MakeNode;
using testing::MakePod;

class QuotaPreemptorTest : public ::testing::Test {
 protected:
  QuotaPreemptorTest() {
    state_.BeginNodeList();
    state_.UpsertNode(MakeNode("n1", 20));
    state_.UpsertNode(MakeNode("n2", 20));
    state_.EndNodeList();
  }
  // Runs `count` 5-core pods of `ns` on `node`: uids <ns>-0, <ns>-1, ...
  void Run(const std::string& ns, int count, const std::string& node, bool preemptible = true) {
    for (int i = 0; i < count; ++i) {
      PodInfo pod = MakePod(ns + "-" + std::to_string(next_[ns]++), ns, 5, node);
      pod.phase = "Running";
      pod.creation_timestamp = fmt::format("2026-12-02T07:00:{:02}Z", ++created_);
      if (!preemptible) pod.labels = {{std::string(kPreemptibleLabel), "false"}};
      state_.UpsertPod(pod);
    }
  }
  // The scheduler's proposal: node -> victim uids (kept alive for the string_views).
  PreemptionArgs Args(const PodInfo& pod, std::map<std::string, std::vector<std::string>> plan) {
    PreemptionArgs args;
    args.pod = pod;
    for (auto& [node, uids] : plan) {
      NodeVictims& n = args.nodes.emplace_back();
      n.node = names_.emplace_back(node);
      for (auto& uid : uids) n.victim_uids.push_back(names_.emplace_back(uid));
      n.num_pdb_violations = 1;
    }
    return args;
  }
  static PodInfo Preemptor(std::string ns, int64_t cores = 5) {
    PodInfo pod = MakePod("p", std::move(ns), cores);
    pod.name = "web-0";
    pod.priority = 100;
    return pod;
  }
  static std::vector<std::string> Answer(const PreemptDecision& d) {
    std::vector<std::string> out;
    for (const NodeVictims& n : d.nodes) {
      std::string line = std::string(n.node) + ":";
      for (auto uid : n.victim_uids) line += " " + std::string(uid);
      out.push_back(line + " pdb=" + std::to_string(n.num_pdb_violations));
    }
    return out;
  }

  quota::QuotaLedger ledger_{quota::testing::Scenario1Tree().Build(), {}};
  ClusterState state_{&ledger_};
  QuotaPreemptor preemptor_{&ledger_, &state_};
  std::map<std::string, int> next_;
  int created_ = 0;
  std::deque<std::string> names_;
};

TEST_F(QuotaPreemptorTest, AProposalThatKeepsTheQuotaRulesPassesUnchanged) {
  Run("namespace1", 4, "n1");
  Run("namespace2", 4, "n2");
  std::string message = "stale";
  const PreemptDecision d = preemptor_.Preempt(
      Args(Preemptor("namespace3"), {{"n1", {"namespace1-3"}}, {"n2", {"namespace2-3"}}}),
      &message);
  EXPECT_EQ(d.result, DecisionResult::kAccepted);
  EXPECT_EQ(d.reason, DecisionReason::kPreemptPassed);
  EXPECT_THAT(Answer(d), ElementsAre("n1: namespace1-3 pdb=1", "n2: namespace2-3 pdb=1"));
  EXPECT_EQ(message, "");
}

// kube-scheduler deleted the victim on n1 and nominated the pod there, but the deletion has
// not reached Quotient's watch: a second preemption (on n2) is refused until it has, or
// until the record runs out.
TEST_F(QuotaPreemptorTest, NoSecondSetOfVictimsWhileTheFirstIsStillLeaving) {
  Run("namespace1", 4, "n1");
  Run("namespace2", 4, "n2");
  auto now = PreemptionsInFlight::Clock::time_point{} + std::chrono::hours(1);
  QuotaPreemptor preemptor(&ledger_, &state_, nullptr, [&] { return now; });
  PodInfo pod = Preemptor("namespace3");
  ASSERT_EQ(preemptor.Preempt(Args(pod, {{"n1", {"namespace1-3"}}})).reason,
            DecisionReason::kPreemptPassed);
  pod.nominated = true;
  pod.nominated_node = "n1";
  std::string message;
  PreemptDecision d = preemptor.Preempt(Args(pod, {{"n2", {"namespace2-3"}}}), &message);
  EXPECT_EQ(d.result, DecisionResult::kRejected);
  EXPECT_EQ(d.reason, DecisionReason::kPreemptVictimsLeaving);
  EXPECT_THAT(d.nodes, IsEmpty());
  EXPECT_EQ(message,
            "preempt namespace3/web-0: no more victims while namespace1/pod-namespace1-3 chosen "
            "for it on n1 still leave");
  // Another preemptor, or this one nominated elsewhere, is not held back.
  PodInfo other = Preemptor("namespace3");
  other.uid = "other";
  other.nominated_node = "n1";
  EXPECT_EQ(preemptor.Preempt(Args(other, {{"n2", {"namespace2-3"}}})).reason,
            DecisionReason::kPreemptPassed);
  // The watch sees the victim gone and the pod fits n1 now. Quotient's filter refused the
  // pod just before the call, from the cache before (its retry places the pod): still no
  // victim.
  state_.DeletePod("namespace1-3");
  preemptor.NoteFilterRefusal(pod.uid);
  d = preemptor.Preempt(Args(pod, {{"n2", {"namespace2-3"}}}), &message);
  EXPECT_EQ(d.result, DecisionResult::kRejected);
  EXPECT_EQ(d.reason, DecisionReason::kPreemptVictimsLeaving);
  EXPECT_EQ(message,
            "preempt namespace3/web-0: no more victims: those chosen for it on n1 have left, and "
            "it fits there and within its quota now (Quotient's refusal read its cache before "
            "they left; its retry places the pod)");
  // Once that refusal is not recent (something Quotient does not model refused the pod
  // since), preemption goes on.
  now += PreemptionsInFlight::kRecentRefusal;
  EXPECT_EQ(preemptor.Preempt(Args(pod, {{"n2", {"namespace2-3"}}})).reason,
            DecisionReason::kPreemptPassed);
  // A victim that never leaves holds the pod back for 30 s at most.
  pod.nominated_node = "n2";
  EXPECT_EQ(preemptor.Preempt(Args(pod, {{"n1", {"namespace1-2"}}})).reason,
            DecisionReason::kPreemptVictimsLeaving);
  now += std::chrono::seconds(30);
  EXPECT_EQ(preemptor.Preempt(Args(pod, {{"n1", {"namespace1-2"}}})).reason,
            DecisionReason::kPreemptPassed);
}

// The room the victims left is free on the node, but the preemptor's quota is full again
// (another pod of the quota was admitted meanwhile): preemption goes on.
TEST_F(QuotaPreemptorTest, VictimsGoneButTheQuotaFullAgainLetsPreemptionGoOn) {
  Run("namespace1", 4, "n1");
  Run("namespace2", 4, "n2");
  QuotaPreemptor preemptor(&ledger_, &state_);
  PodInfo pod = Preemptor("namespace1");  // beyond its min: only its own pods
  pod.priority = 1000;
  ASSERT_EQ(preemptor.Preempt(Args(pod, {{"n1", {"namespace1-3"}}})).result,
            DecisionResult::kAccepted);
  pod.nominated_node = "n1";
  state_.DeletePod("namespace1-3");
  preemptor.NoteFilterRefusal(pod.uid);
  ASSERT_EQ(ledger_
                .Reserve({"late", "namespace1", quota::ResourceList{{"cpu", 5000}}, true},
                         quota::TimePoint::max())
                .code,
            quota::AdmitCode::kAdmitted);
  EXPECT_EQ(preemptor.Preempt(Args(pod, {{"n1", {"namespace1-2"}}})).result,
            DecisionResult::kAccepted);
}

// The victims left n1, but a pod took the room there meanwhile: preemption goes on.
TEST_F(QuotaPreemptorTest, VictimsGoneButTheRoomTakenLetsPreemptionGoOn) {
  Run("namespace1", 4, "n1");
  Run("namespace2", 4, "n2");
  QuotaPreemptor preemptor(&ledger_, &state_);
  PodInfo pod = Preemptor("namespace3");
  ASSERT_EQ(preemptor.Preempt(Args(pod, {{"n1", {"namespace1-3"}}})).result,
            DecisionResult::kAccepted);
  pod.nominated_node = "n1";
  state_.DeletePod("namespace1-3");
  Run("namespace4", 1, "n1");
  preemptor.NoteFilterRefusal(pod.uid);
  EXPECT_EQ(preemptor.Preempt(Args(pod, {{"n2", {"namespace2-3"}}})).reason,
            DecisionReason::kPreemptPassed);
}

// kube-scheduler's status write (the nomination) has not reached the pod it passes yet:
// the node it chose is the one whose approved victim is terminating.
TEST_F(QuotaPreemptorTest, WithoutANominationTheNodeWhoseVictimIsTerminatingHoldsThePodBack) {
  Run("namespace1", 4, "n1");
  Run("namespace2", 4, "n2");
  QuotaPreemptor preemptor(&ledger_, &state_);
  PodInfo pod = Preemptor("namespace3");
  ASSERT_EQ(
      preemptor.Preempt(Args(pod, {{"n1", {"namespace1-3"}}, {"n2", {"namespace2-3"}}})).reason,
      DecisionReason::kPreemptPassed);
  // Nothing terminating yet: the scheduler did not act on the answer (or not yet).
  EXPECT_EQ(preemptor.Preempt(Args(pod, {{"n2", {"namespace2-3", "namespace2-2"}}})).reason,
            DecisionReason::kPreemptPassed);
  PodInfo victim = MakePod("namespace2-3", "namespace2", 5, "n2");
  victim.phase = "Running";
  victim.terminating = true;
  state_.UpsertPod(victim);
  std::string message;
  const PreemptDecision d = preemptor.Preempt(Args(pod, {{"n1", {"namespace1-3"}}}), &message);
  EXPECT_EQ(d.reason, DecisionReason::kPreemptVictimsLeaving);
  EXPECT_EQ(message,
            "preempt namespace3/web-0: no more victims while namespace2/pod-namespace2-3, "
            "namespace2/pod-namespace2-2 chosen for it on n2 still leave");
  // An approved victim the scheduler has not deleted (its delete failed, say) is not
  // handed back: the answer must make it delete nothing.
  EXPECT_EQ(preemptor.Preempt(Args(pod, {{"n2", {"namespace2-2"}}})).result,
            DecisionResult::kRejected);
  // The dry run still counts the terminating victim on n2 and proposes it again: n2 alone
  // comes back (the scheduler deletes nothing and nominates the pod to n2 again).
  const PreemptDecision same =
      preemptor.Preempt(Args(pod, {{"n1", {"namespace1-3"}}, {"n2", {"namespace2-3"}}}), &message);
  EXPECT_EQ(same.result, DecisionResult::kAccepted);
  EXPECT_EQ(same.reason, DecisionReason::kPreemptVictimsLeaving);
  EXPECT_THAT(Answer(same), ElementsAre("n2: namespace2-3 pdb=1"));
  EXPECT_EQ(message,
            "preempt namespace3/web-0: no new victims: kept node n2 alone, whose victims "
            "namespace2/pod-namespace2-3, namespace2/pod-namespace2-2 chosen for it earlier "
            "still leave");
  // ... but not with a victim that was not approved there.
  EXPECT_EQ(preemptor.Preempt(Args(pod, {{"n2", {"namespace2-3", "namespace2-1"}}})).result,
            DecisionResult::kRejected);
  // A nomination to a node no approval names (an older one the informer still shows):
  // the same.
  pod.nominated_node = "n9";
  EXPECT_EQ(preemptor.Preempt(Args(pod, {{"n1", {"namespace1-3"}}})).reason,
            DecisionReason::kPreemptVictimsLeaving);
}

TEST_F(QuotaPreemptorTest, AVictimWhoseQuotaWouldFallBelowItsMinIsDroppedWithItsNode) {
  Run("namespace1", 2, "n1");  // root.a.1 at its min 10
  Run("namespace2", 4, "n2");  // root.a.2 10 above
  std::string message;
  const PreemptDecision d = preemptor_.Preempt(
      Args(Preemptor("namespace3"), {{"n1", {"namespace1-1"}}, {"n2", {"namespace2-3"}}}),
      &message);
  EXPECT_EQ(d.result, DecisionResult::kAccepted);
  EXPECT_EQ(d.reason, DecisionReason::kPreemptQuotaFiltered);
  EXPECT_THAT(Answer(d), ElementsAre("n2: namespace2-3 pdb=1"));
  EXPECT_EQ(message,
            "preempt namespace3/web-0: kept 1 of 2 nodes; victim namespace1/pod-namespace1-1 on "
            "n1: quota root.a.1 would fall below its min cpu 10 (cpu 10 - 5 < 10); node n1 "
            "dropped: no victim left");
}

TEST_F(QuotaPreemptorTest, APreemptorBeyondItsMinMayNotTakeFromOtherQuotas) {
  Run("namespace1", 4, "n1");
  Run("namespace3", 2, "n2");  // root.b.1 at its min
  std::string message;
  const PreemptDecision d =
      preemptor_.Preempt(Args(Preemptor("namespace3"), {{"n1", {"namespace1-3"}}}), &message);
  EXPECT_EQ(d.result, DecisionResult::kRejected);
  EXPECT_EQ(d.reason, DecisionReason::kPreemptQuotaFiltered);
  EXPECT_THAT(d.nodes, IsEmpty());
  EXPECT_EQ(message,
            "preempt namespace3/web-0: kept 0 of 1 nodes; victim namespace1/pod-namespace1-3 on "
            "n1: the preemptor is beyond its min at quota root.b.1 (cpu 10 + 5 > min 10); it may "
            "take only lower-priority pods of its own quota; node n1 dropped: no victim left");
}

TEST_F(QuotaPreemptorTest, BeyondItsMinAPreemptorStillTakesLowerPriorityPodsOfItsOwnQuota) {
  Run("namespace1", 4, "n1");  // root.a.1 at its max
  const PreemptDecision d =
      preemptor_.Preempt(Args(Preemptor("namespace1"), {{"n1", {"namespace1-3"}}}));
  EXPECT_EQ(d.reason, DecisionReason::kPreemptPassed);
  EXPECT_THAT(Answer(d), ElementsAre("n1: namespace1-3 pdb=1"));
}

TEST_F(QuotaPreemptorTest, ANonPreemptibleVictimIsReplacedByPreemptiblePodsOfTheSameNode) {
  Run("namespace1", 1, "n1", /*preemptible=*/false);
  Run("namespace1", 3, "n1");
  std::string message;
  const PreemptDecision d = preemptor_.Preempt(
      Args(Preemptor("namespace1", 10), {{"n1", {"namespace1-0", "namespace1-1"}}}), &message);
  EXPECT_EQ(d.result, DecisionResult::kAccepted);
  EXPECT_EQ(d.reason, DecisionReason::kPreemptQuotaFiltered);
  EXPECT_THAT(Answer(d), ElementsAre("n1: namespace1-3 namespace1-2 pdb=0"));
  EXPECT_EQ(message,
            "preempt namespace1/web-0: kept 1 of 1 nodes; victim namespace1/pod-namespace1-0 on "
            "n1: labelled quotient.io/preemptible=false; node n1 dropped: the victims left free "
            "cpu 5 of the 10 requested; node n1: swapped in namespace1/pod-namespace1-3, "
            "namespace1/pod-namespace1-2 instead");
}

TEST_F(QuotaPreemptorTest, ANodeWithNoRuleAbidingVictimsIsDropped) {
  Run("namespace1", 2, "n1", /*preemptible=*/false);
  std::string message;
  const PreemptDecision d = preemptor_.Preempt(
      Args(Preemptor("namespace1", 10), {{"n1", {"namespace1-0", "namespace1-1"}}}), &message);
  EXPECT_EQ(d.result, DecisionResult::kRejected);
  EXPECT_THAT(d.nodes, IsEmpty());
  EXPECT_EQ(message,
            "preempt namespace1/web-0: kept 0 of 1 nodes; victim namespace1/pod-namespace1-1 on "
            "n1: labelled quotient.io/preemptible=false; victim namespace1/pod-namespace1-0 on "
            "n1: labelled quotient.io/preemptible=false; node n1 dropped: no victim left");
}

TEST_F(QuotaPreemptorTest, AVictimQuotientDoesNotKnowIsDroppedAndTheRestKept) {
  Run("namespace1", 4, "n1");
  Run("namespace2", 4, "n2");
  std::string message;
  const PreemptDecision d = preemptor_.Preempt(
      Args(Preemptor("namespace3"), {{"n1", {"ghost", "namespace1-3"}}}), &message);
  EXPECT_EQ(d.reason, DecisionReason::kPreemptQuotaFiltered);
  EXPECT_THAT(Answer(d), ElementsAre("n1: namespace1-3 pdb=1"));  // min(1, kept 1)
  EXPECT_EQ(message,
            "preempt namespace3/web-0: kept 1 of 1 nodes; victim ghost on n1: not in Quotient's "
            "cache");
}

TEST_F(QuotaPreemptorTest, VictimsThatLeaveThePodAboveItsMaxAreReplacedByEnoughOfThem) {
  Run("namespace1", 4, "n1");  // root.a.1 at its max 20
  std::string message;
  const PreemptDecision d =
      preemptor_.Preempt(Args(Preemptor("namespace1", 10), {{"n1", {"namespace1-3"}}}), &message);
  EXPECT_EQ(d.result, DecisionResult::kAccepted);
  EXPECT_THAT(Answer(d), ElementsAre("n1: namespace1-3 namespace1-2 pdb=0"));
  EXPECT_EQ(message,
            "preempt namespace1/web-0: kept 1 of 1 nodes; node n1 dropped: once its victims "
            "leave, quota root.a.1: cpu 15 + request 10 = 25 > max 20; node n1: swapped in "
            "namespace1/pod-namespace1-3, namespace1/pod-namespace1-2 instead");
}

TEST_F(QuotaPreemptorTest, RoomHeldForAReclaimingPodIsNotFreedByTheSchedulersVictims) {
  Run("namespace1", 3, "n1");  // 15 of 20 cores
  PodInfo pod = Preemptor("namespace1");
  state_.SetHold("n1", pod.uid, pod.requests);  // its own hold is room it may use
  const PreemptionArgs args = Args(pod, {{"n1", {"namespace1-2"}}});
  EXPECT_EQ(preemptor_.Preempt(args).reason, DecisionReason::kPreemptPassed);
  state_.SetHold("n1", "reclaimer", quota::ResourceList{{"cpu", 10000}});
  std::string message;
  const PreemptDecision d = preemptor_.Preempt(args, &message);
  EXPECT_EQ(d.reason, DecisionReason::kPreemptQuotaFiltered);
  // Only more victims make room beside the hold.
  EXPECT_THAT(Answer(d), ElementsAre("n1: namespace1-2 namespace1-1 pdb=0"));
  EXPECT_EQ(message,
            "preempt namespace1/web-0: kept 1 of 1 nodes; node n1 dropped: the victims left free "
            "cpu 0 of the 5 requested; node n1: swapped in namespace1/pod-namespace1-2, "
            "namespace1/pod-namespace1-1 instead");
}

TEST_F(QuotaPreemptorTest, AReservedPreemptorIsNotCountedTwice) {
  Run("namespace1", 4, "n1");
  Run("namespace2", 2, "n2");
  Run("namespace3", 1, "n2");
  PodInfo pod = Preemptor("namespace3");
  ASSERT_TRUE(ledger_.Reserve({pod.uid, pod.ns, pod.requests}, quota::TimePoint::max()).admitted());
  // root.b.1 holds 5 + its own 5: within its min 10 once its own charge is set aside.
  const PreemptDecision d = preemptor_.Preempt(Args(pod, {{"n1", {"namespace1-3"}}}));
  EXPECT_EQ(d.reason, DecisionReason::kPreemptPassed);
  EXPECT_THAT(Answer(d), ElementsAre("n1: namespace1-3 pdb=1"));
}

TEST_F(QuotaPreemptorTest, WithoutAQuotaTreeOnlyNonPreemptibleVictimsAreDropped) {
  QuotaPreemptor no_tree(nullptr, &state_);
  Run("namespace1", 1, "n1", /*preemptible=*/false);
  Run("namespace1", 3, "n1");
  const PreemptDecision d =
      no_tree.Preempt(Args(Preemptor("namespace3"), {{"n1", {"namespace1-0", "namespace1-1"}}}));
  EXPECT_EQ(d.reason, DecisionReason::kPreemptQuotaFiltered);
  EXPECT_THAT(Answer(d), ElementsAre("n1: namespace1-1 pdb=1"));
}

}  // namespace
}  // namespace quotient::extender::state
