#include "extender/kube/rate_limiter.h"

#include <gtest/gtest.h>

#include "extender/kube/kube_test_util.h"

namespace quotient::extender::kube {
namespace {

using Clock = TokenBucket::Clock;
using std::chrono::milliseconds;

struct Step {
  milliseconds at;    // since the start
  milliseconds wait;  // what Reserve() must answer
};

struct BucketCase {
  std::string name;
  double qps;
  int burst;
  std::vector<Step> steps;
};

class TokenBucketTest : public ::testing::TestWithParam<BucketCase> {};

TEST_P(TokenBucketTest, AnswersTheWaitForEachReservation) {
  const BucketCase& c = GetParam();
  TokenBucket bucket(c.qps, c.burst);
  const Clock::time_point start{};
  for (size_t i = 0; i < c.steps.size(); ++i) {
    const Clock::duration wait = bucket.Reserve(start + c.steps[i].at);
    EXPECT_EQ(std::chrono::duration_cast<milliseconds>(wait), c.steps[i].wait) << "step " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Bucket, TokenBucketTest,
    ::testing::Values(BucketCase{"the burst goes at once, then one token per 1/qps",
                                 10,
                                 3,
                                 {{milliseconds(0), milliseconds(0)},
                                  {milliseconds(0), milliseconds(0)},
                                  {milliseconds(0), milliseconds(0)},
                                  {milliseconds(0), milliseconds(100)},
                                  {milliseconds(0), milliseconds(200)}}},
                      BucketCase{"tokens refill with time up to the burst",
                                 10,
                                 2,
                                 {{milliseconds(0), milliseconds(0)},
                                  {milliseconds(0), milliseconds(0)},
                                  {milliseconds(50), milliseconds(50)},
                                  {milliseconds(1000), milliseconds(0)},
                                  {milliseconds(1000), milliseconds(0)},
                                  {milliseconds(1000), milliseconds(100)}}},
                      BucketCase{"queued callers wait in order",
                                 100,
                                 1,
                                 {{milliseconds(0), milliseconds(0)},
                                  {milliseconds(1), milliseconds(9)},
                                  {milliseconds(2), milliseconds(18)},
                                  {milliseconds(30), milliseconds(0)}}},
                      BucketCase{"zero qps is unlimited",
                                 0,
                                 1,
                                 {{milliseconds(0), milliseconds(0)},
                                  {milliseconds(0), milliseconds(0)},
                                  {milliseconds(0), milliseconds(0)}}}),
    testing::SentenceName());

}  // namespace
}  // namespace quotient::extender::kube
