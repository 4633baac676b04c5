#include "extender/objects/preemptible.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace quotient::extender {
namespace {

struct LabelCase {
  std::string name;
  StringPairs labels;
  StringPairs annotations;
  bool preemptible;
};

class IsPreemptibleTest : public ::testing::TestWithParam<LabelCase> {};

TEST_P(IsPreemptibleTest, ReadsTheLabel) {
  PodInfo pod;
  pod.labels = GetParam().labels;
  pod.annotations = GetParam().annotations;
  EXPECT_EQ(IsPreemptible(pod), GetParam().preemptible);
}

INSTANTIATE_TEST_SUITE_P(
    Labels, IsPreemptibleTest,
    ::testing::Values(
        LabelCase{"APodWithoutTheLabelIsPreemptible", {{"app", "web"}}, {}, true},
        LabelCase{"TheValueFalseMakesItNonPreemptible",
                  {{"app", "web"}, {"quotient.io/preemptible", "false"}},
                  {},
                  false},
        LabelCase{"TheValueIsComparedCaseInsensitively",
                  {{"quotient.io/preemptible", "False"}},
                  {},
                  false},
        LabelCase{
            "TheValueTrueLeavesItPreemptible", {{"quotient.io/preemptible", "true"}}, {}, true},
        LabelCase{
            "AnyOtherValueLeavesItPreemptible", {{"quotient.io/preemptible", "no"}}, {}, true},
        LabelCase{"AnAnnotationIsNotALabel", {}, {{"quotient.io/preemptible", "false"}}, true}),
    [](const ::testing::TestParamInfo<LabelCase>& p) { return p.param.name; });

}  // namespace
}  // namespace quotient::extender
