#include "extender/decide/requeue_tracking_decider.h"

#include <gtest/gtest.h>

namespace quotient::extender::state {
namespace {

// Answers every filter with `next`.
class CannedDecider : public Decider {
 public:
  explicit CannedDecider(const FilterDecision* next) : next_(next) {}
  std::string Describe() const override { return "canned"; }
  FilterDecision Filter(const ExtenderArgs&) override { return *next_; }
  PrioritizeDecision Prioritize(const ExtenderArgs&) override { return {}; }
  PreemptDecision Preempt(const PreemptionArgs&) override { return {}; }
  boost::asio::awaitable<BindDecision> Bind(BindingArgs) override { co_return BindDecision{}; }

 private:
  const FilterDecision* next_;
};

class RequeueTrackingDeciderTest : public ::testing::Test {
 protected:
  RequeueTrackingDeciderTest() {
    args_.pod.uid = "u1";
    args_.pod.ns = "gpu-research";
    args_.pod.name = "quarter";
  }

  boost::asio::io_context ioc_;
  kube::ApiClient client_{ioc_, kube::ClientConfig{}};
  metrics::Registry registry_;
  Requeuer requeuer_{ioc_, &client_, &registry_, [](const std::string&) { return false; }};
  FilterDecision next_;
  RequeueTrackingDecider decider_{std::make_unique<CannedDecider>(&next_), &requeuer_};
  ExtenderArgs args_;
};

TEST_F(RequeueTrackingDeciderTest, ARefusalOnEveryNodeIsNoted) {
  next_.result = DecisionResult::kRejected;
  next_.reason = DecisionReason::kNodeFit;
  next_.answer.failed.emplace_back(0, "gpu: no free placement");
  FilterDecision got = decider_.Filter(args_);
  EXPECT_EQ(got.reason, DecisionReason::kNodeFit);
  EXPECT_EQ(requeuer_.tracked(), 1u);
}

TEST_F(RequeueTrackingDeciderTest, APassOnSomeNodeIsNotNoted) {
  next_.result = DecisionResult::kAccepted;
  next_.answer.passed.push_back(1);
  next_.answer.failed.emplace_back(0, "full");
  decider_.Filter(args_);
  EXPECT_EQ(requeuer_.tracked(), 0u);
}

TEST_F(RequeueTrackingDeciderTest, AnErrorIsLeftToTheSchedulersBackoff) {
  next_.result = DecisionResult::kError;
  next_.reason = DecisionReason::kNotSynced;
  decider_.Filter(args_);
  EXPECT_EQ(requeuer_.tracked(), 0u);
}

}  // namespace
}  // namespace quotient::extender::state
