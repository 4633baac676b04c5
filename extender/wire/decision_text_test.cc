#include "extender/wire/decision_text.h"

#include <gtest/gtest.h>

#include "quota/quota_test_util.h"

namespace quotient::extender {
namespace {

class QuotaRefusalTextTest : public ::testing::Test {
 protected:
  quota::ChargeRefusal Refusal(quota::ChargeBound crossed) const {
    quota::ChargeRefusal r;
    r.quota = tree_->Find("root.a.1");
    r.resource = tree_->ResourceIndex("cpu");
    r.used = 8000;
    r.reserved = 0;
    r.request = 5000;
    r.max = 20000;
    r.min = 10000;
    r.crossed = crossed;
    return r;
  }
  std::shared_ptr<const quota::QuotaTree> tree_ = quota::testing::Scenario1Tree().Build();
};

TEST_F(QuotaRefusalTextTest, AMaxRefusalNamesTheLevelTheNumbersAndTheMax) {
  EXPECT_EQ(QuotaRefusalText(*tree_, Refusal(quota::ChargeBound::kMax)),
            "quota root.a.1: cpu used 8 + reserved 0 + request 5 > max 20");
}

TEST_F(QuotaRefusalTextTest, AMinRefusalSaysNonPreemptiblePodsUseOnlyTheMin) {
  EXPECT_EQ(QuotaRefusalText(*tree_, Refusal(quota::ChargeBound::kMin)),
            "quota root.a.1: cpu used 8 + reserved 0 + request 5 > min 10 (non-preemptible pods "
            "may use only the guaranteed min)");
}

}  // namespace
}  // namespace quotient::extender
