// The decision log: the last verdict per pod, node reasons aggregated, bounded.
#include "extender/debug/decision_log.h"

#include <gtest/gtest.h>

#include "extender/debug/debug_test_util.h"

namespace quotient::extender {
namespace {

using testing::PodArgs;
using testing::QuotaRefusal;
using Time = std::chrono::system_clock::time_point;

struct FakeClock {
  Time now{std::chrono::seconds(1'800'000'000)};
  DecisionLog::Clock fn() {
    return [this] { return now; };
  }
};

TEST(DecisionLogTest, KeepsTheLastFilterVerdictOfAPodWithItsRequests) {
  FakeClock clock;
  DecisionLog log(100, clock.fn());
  log.RecordFilter(PodArgs("team-a", "train", "u1", 5, 3),
                   QuotaRefusal(3, "quota root.a: cpu used 20 + reserved 0 + request 5 > max 20"));
  DecisionRecord r;
  ASSERT_TRUE(log.Find("team-a", "train", &r));
  EXPECT_EQ(r.uid, "u1");
  EXPECT_EQ(r.requests.Get("cpu"), 5000);
  EXPECT_EQ(r.result, DecisionResult::kRejected);
  EXPECT_EQ(r.reason, DecisionReason::kQuotaMax);
  EXPECT_EQ(r.nodes, 3u);
  EXPECT_EQ(r.passed, 0u);
  ASSERT_EQ(r.node_reasons.size(), 1u);
  EXPECT_EQ(r.node_reasons[0].nodes, 3u);
  EXPECT_TRUE(r.node_reasons[0].unresolvable);
  EXPECT_EQ(r.filter_at, clock.now);
  EXPECT_FALSE(log.Find("team-a", "other", &r));
  EXPECT_FALSE(log.Find("team-b", "train", &r));
}

TEST(DecisionLogTest, ANewerVerdictReplacesTheOlderOne) {
  FakeClock clock;
  DecisionLog log(100, clock.fn());
  log.RecordFilter(PodArgs("team-a", "train", "u1", 5, 3), QuotaRefusal(3, "over"));
  clock.now += std::chrono::seconds(30);
  FilterDecision admitted;
  admitted.reason = DecisionReason::kQuotaAdmitted;
  admitted.answer.passed = {0, 2};
  admitted.answer.failed = {{1, "node fit: cpu requested 5, free 1 of 8"}};
  log.RecordFilter(PodArgs("team-a", "train", "u1", 5, 3), admitted);
  DecisionRecord r;
  ASSERT_TRUE(log.Find("team-a", "train", &r));
  EXPECT_EQ(r.result, DecisionResult::kAccepted);
  EXPECT_EQ(r.passed, 2u);
  ASSERT_EQ(r.node_reasons.size(), 1u);
  EXPECT_EQ(r.node_reasons[0].reason, "node fit: cpu requested 5, free 1 of 8");
  EXPECT_FALSE(r.node_reasons[0].unresolvable);
  EXPECT_EQ(r.filter_at, clock.now);
  EXPECT_EQ(log.size(), 1u);
}

TEST(DecisionLogTest, AggregatesNodeReasonsMostFrequentFirstAndCountsTheRest) {
  FilterAnswer answer;
  answer.failed = {{0, "b"}, {1, "a"}, {2, "a"}, {3, "c"}};
  answer.failed_unresolvable = {{4, "pool"}};
  size_t other = 0;
  auto reasons = AggregateNodeReasons(answer, 2, &other);
  ASSERT_EQ(reasons.size(), 2u);
  // Unresolvable reasons are taken first; "a", "a" and "c" came after both slots were taken.
  EXPECT_EQ(reasons[0].reason, "pool");
  EXPECT_EQ(reasons[1].reason, "b");
  EXPECT_EQ(other, 3u);
  size_t none = 0;
  auto all = AggregateNodeReasons(answer, 8, &none);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].reason, "a");
  EXPECT_EQ(all[0].nodes, 2u);
  EXPECT_EQ(none, 0u);
}

TEST(DecisionLogTest, ForgetsTheOldestPodsBeyondItsCapacity) {
  FakeClock clock;
  DecisionLog log(DecisionLog::kShards, clock.fn());  // one record per shard
  for (int i = 0; i < 1000; ++i) {
    log.RecordFilter(PodArgs("ns", "pod-" + std::to_string(i), "u", 1, 1), FilterDecision{});
  }
  EXPECT_LE(log.size(), DecisionLog::kShards);
  DecisionRecord r;
  EXPECT_TRUE(log.Find("ns", "pod-999", &r)) << "the newest record was dropped";
}

TEST(DecisionLogTest, RecordsABindAndForgetsItWhenAPodOfTheSameNameIsRecreated) {
  FakeClock clock;
  DecisionLog log(100, clock.fn());
  log.RecordFilter(PodArgs("team-a", "train", "u1", 5, 1), FilterDecision{});
  BindingArgs bind{"train", "team-a", "u1", "node-1"};
  log.RecordBind(bind, BindDecision{});
  DecisionRecord r;
  ASSERT_TRUE(log.Find("team-a", "train", &r));
  EXPECT_EQ(r.bind_node, "node-1");
  EXPECT_TRUE(r.bind_error.empty());
  log.RecordFilter(PodArgs("team-a", "train", "u2", 5, 1), FilterDecision{});
  ASSERT_TRUE(log.Find("team-a", "train", &r));
  EXPECT_EQ(r.uid, "u2");
  EXPECT_TRUE(r.bind_node.empty());
}

TEST(DecisionLogTest, ABindOfAPodNeverFilteredStillMakesARecord) {
  DecisionLog log;
  BindDecision refused;
  refused.result = DecisionResult::kError;
  refused.error = "pods \"train\" not found";
  log.RecordBind(BindingArgs{"train", "team-a", "u1", "node-1"}, refused);
  DecisionRecord r;
  ASSERT_TRUE(log.Find("team-a", "train", &r));
  EXPECT_FALSE(r.filtered);
  EXPECT_EQ(r.bind_error, "pods \"train\" not found");
}

}  // namespace
}  // namespace quotient::extender
