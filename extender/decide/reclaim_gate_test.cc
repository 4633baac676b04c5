// Filter and an active reclaim together: a reclaiming pod is refused every node until
// the Eviction API has accepted each of its victims (the soak test found it binding
// first, which leaves the quota's parent over max when an eviction then fails).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <map>

#include "extender/control/control_test_util.h"
#include "extender/control/reclaimer.h"
#include "extender/decide/quota_decider.h"
#include "quota/quota_test_util.h"

namespace quotient::extender::state {
namespace {

using testing::FakeBinder;
using ::testing::HasSubstr;
using testing::MakeNode;
using testing::MakePod;
using testing::RunAwaitable;

// Answers evictions with `answers[name]` (default: accepted).
class AnsweringEvictor : public PodEvictor {
 public:
  boost::asio::awaitable<ApiOutcome> Evict(const PodRef& pod) override {
    evicted.push_back(pod.name);
    auto it = answers.find(pod.name);
    co_return it == answers.end() ? ApiOutcome{} : it->second;
  }
  boost::asio::awaitable<ApiOutcome> PostEvent(const PodEvent&) override { co_return ApiOutcome{}; }
  std::map<std::string, ApiOutcome> answers;
  std::vector<std::string> evicted;
};

// Scenario 1 on two nodes of 10 cores, fully used by borrowers of namespace1 and
// namespace2; a pod of namespace3 (below its min) waits as Unschedulable. Node fit
// checks GPUs only (the default): cpu room is kube-scheduler's to judge, so only the quota
// stands between the reclaiming pod and a node.
class ReclaimGateTest : public ::testing::Test {
 protected:
  ReclaimGateTest() {
    ledger_.Reload(quota::testing::Scenario1Tree().Build(), quota::Clock::now());
    for (int n = 0; n < 4; ++n) state_.UpsertNode(MakeNode("n" + std::to_string(n), 10));
    int i = 0;
    for (const char* ns : {"namespace1", "namespace2"}) {
      for (int k = 0; k < 4; ++k, ++i) {
        PodInfo pod =
            MakePod(std::string(ns) + "-" + std::to_string(k), ns, 5, "n" + std::to_string(i / 2));
        pod.phase = "Running";
        pod.creation_timestamp = fmt::format("2026-12-02T07:00:{:02}Z", i);
        state_.UpsertPod(pod);
      }
    }
    waiting_ = MakePod("p1", "namespace3", 5);
    waiting_.unschedulable = true;
    waiting_.creation_timestamp = "2026-12-02T07:01:00Z";
    state_.UpsertPod(waiting_);
    decider_.AttachReclaimer(&reclaimer_);
  }
  FilterDecision Filter() {
    ExtenderArgs args;
    args.pod = waiting_;
    args.has_node_names = true;
    for (const std::string& n : nodes_) args.nodes.push_back(WireNode{n, {}});
    return decider_.Filter(args);
  }
  // The evicted pod has terminated and the watch deleted it (`name` is pod-<uid>).
  void Gone(const std::string& name) { state_.DeletePod(name.substr(4)); }
  // The evictions a pass posted, run on the io_context as the service does.
  void RunEvictions() {
    ioc_.restart();
    ioc_.poll();
  }

  const std::vector<std::string> nodes_{"n0", "n1", "n2", "n3"};
  PodInfo waiting_;
  boost::asio::io_context ioc_;
  quota::QuotaLedger ledger_{quota::testing::TreeBuilder().Build(), {}};
  ClusterState state_{&ledger_};
  AnsweringEvictor evictor_;
  FakeBinder binder_;
  // The reclaimer's clock: real time at the start (reservations expire by it), moved by hand.
  Reclaimer::Clock::time_point now_ = Reclaimer::Clock::now();
  Reclaimer reclaimer_{ioc_,
                       &ledger_,
                       &state_,
                       &evictor_,
                       nullptr,
                       nullptr,
                       [] { return true; },
                       ReclaimerOptions{},
                       [this] { return now_; }};
  QuotaDecider decider_{&ledger_, &state_, &binder_, [] { return std::string(); },
                        QuotaDeciderOptions{std::chrono::seconds(30), {"nvidia.com/gpu"}}};
};

TEST_F(ReclaimGateTest, AReclaimingPodFailsEveryNodeUntilItsVictimsAreEvicted) {
  reclaimer_.RunPass();  // reserves p1's quota beyond max, holds a node, posts evictions
  ASSERT_TRUE(reclaimer_.StatusOf("p1").active);
  ASSERT_TRUE(evictor_.evicted.empty());
  EXPECT_TRUE(reclaimer_.AwaitingEvictions("p1"));
  EXPECT_FALSE(reclaimer_.AwaitingEvictions("namespace1-0"));

  FilterDecision before = Filter();
  EXPECT_EQ(before.result, DecisionResult::kRejected);
  EXPECT_EQ(before.reason, DecisionReason::kReclaiming);
  EXPECT_THAT(before.message, HasSubstr("reclaiming 1 pod from root.a.2 for quota root.b.1"));
  EXPECT_THAT(before.message, HasSubstr("evicting"));
  EXPECT_TRUE(before.answer.passed.empty());
  ASSERT_EQ(before.answer.failed_unresolvable.size(), nodes_.size())
      << "unresolvable: kube-scheduler must not preempt on top of the reclaim";

  RunEvictions();
  ASSERT_EQ(evictor_.evicted.size(), 1u);
  EXPECT_FALSE(reclaimer_.AwaitingEvictions("p1"));
  Gone(evictor_.evicted[0]);
  FilterDecision after = Filter();
  EXPECT_EQ(after.result, DecisionResult::kAccepted) << after.message;
  EXPECT_EQ(after.answer.passed.size(), nodes_.size());
}

TEST_F(ReclaimGateTest, APodWhoseEvictionFailedNeverPassesUntilAnEvictionIsAccepted) {
  reclaimer_.RunPass();
  ASSERT_TRUE(reclaimer_.StatusOf("p1").active);
  // Whichever borrower is chosen, the API fails its eviction.
  for (int k = 0; k < 4; ++k) {
    for (const char* ns : {"namespace1", "namespace2"}) {
      evictor_.answers[fmt::format("pod-{}-{}", ns, k)] =
          ApiOutcome{ApiOutcome::Kind::kUnavailable, 500, "etcdserver: request timed out"};
    }
  }
  RunEvictions();
  ASSERT_EQ(evictor_.evicted.size(), 1u);
  EXPECT_TRUE(reclaimer_.AwaitingEvictions("p1"));
  EXPECT_EQ(Filter().reason, DecisionReason::kReclaiming);

  // The next pass aborts that reclaim (reservation and hold given back) and does not
  // plan it again at once: a failing API would restart it every second.
  reclaimer_.RunPass();
  EXPECT_FALSE(reclaimer_.StatusOf("p1").active);
  EXPECT_FALSE(ledger_.Holds("p1"));
  EXPECT_EQ(Filter().reason, DecisionReason::kQuotaMax);
  now_ += std::chrono::seconds(5);
  reclaimer_.RunPass();
  EXPECT_FALSE(reclaimer_.StatusOf("p1").active) << "backing off";

  now_ += std::chrono::seconds(6);
  evictor_.answers.clear();  // the API is back
  reclaimer_.RunPass();
  EXPECT_TRUE(reclaimer_.AwaitingEvictions("p1"));
  EXPECT_EQ(Filter().reason, DecisionReason::kReclaiming);
  RunEvictions();
  ASSERT_EQ(evictor_.evicted.size(), 2u);
  EXPECT_FALSE(reclaimer_.AwaitingEvictions("p1"));
  Gone(evictor_.evicted[1]);
  FilterDecision after = Filter();
  EXPECT_EQ(after.result, DecisionResult::kAccepted) << after.message;
}

TEST_F(ReclaimGateTest, ABindArrivingWhileVictimsAreBeingEvictedIsRefusedAndKeepsTheReservation) {
  reclaimer_.RunPass();
  ASSERT_TRUE(reclaimer_.AwaitingEvictions("p1"));
  BindDecision bind = RunAwaitable(decider_.Bind(BindingArgs{"pod-p1", "namespace3", "p1", "n0"}));
  EXPECT_EQ(bind.result, DecisionResult::kError);
  EXPECT_EQ(bind.reason, DecisionReason::kReclaiming);
  EXPECT_THAT(bind.error, HasSubstr("reclaiming 1 pod"));
  EXPECT_TRUE(binder_.bound.empty()) << "no Binding was posted";
  EXPECT_TRUE(ledger_.Holds("p1")) << "the reclaim's reservation stays";
}

TEST_F(ReclaimGateTest, APodHoldingAReservationIsBindingAndNeverReclaims) {
  // Filter admitted it after it was marked Unschedulable (here: room made by hand).
  ASSERT_EQ(ledger_
                .ReserveReclaimed({"p1", "namespace3", waiting_.requests},
                                  quota::Clock::now() + std::chrono::seconds(30))
                .code,
            quota::AdmitCode::kAdmitted);
  reclaimer_.RunPass();
  RunEvictions();
  EXPECT_FALSE(reclaimer_.StatusOf("p1").active);
  EXPECT_TRUE(evictor_.evicted.empty());
}

}  // namespace
}  // namespace quotient::extender::state
