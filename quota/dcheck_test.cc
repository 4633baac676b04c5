// QUOTIENT_DCHECK aborts naming the condition in checked builds, and neither evaluates nor
// checks it in Release builds.
#include "quota/dcheck.h"

#include <gtest/gtest.h>

namespace quotient {
namespace {

TEST(DcheckTest, AHoldingConditionPasses) {
  QUOTIENT_DCHECK(1 + 1 == 2);
}

TEST(DcheckTest, AFailedConditionAbortsNamingItInCheckedBuilds) {
#if QUOTIENT_DCHECK_IS_ON
  EXPECT_DEATH(QUOTIENT_DCHECK(1 + 1 == 3), "QUOTIENT_DCHECK\\(1 \\+ 1 == 3\\) failed");
#else
  int evaluated = 0;
  QUOTIENT_DCHECK(++evaluated == 5);  // compiled out: not evaluated, no abort
  EXPECT_EQ(evaluated, 0);
#endif
}

}  // namespace
}  // namespace quotient
