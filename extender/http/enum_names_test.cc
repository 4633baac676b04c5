// The HTTP layer's bounded label enums are named up to their counts and no further (the
// counts size the metric arrays of ServerMetrics).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "extender/http/route.h"
#include "extender/http/server_metrics.h"

namespace quotient::extender {
namespace {

TEST(EnumNamesTest, RejectReasonsAreNamedUpToTheirCount) {
  std::set<std::string> seen;
  for (int i = 0; i < kRejectReasonCount; ++i) {
    std::string n(RejectReasonName(static_cast<RejectReason>(i)));
    EXPECT_NE(n, "unknown") << i;
    EXPECT_TRUE(seen.insert(n).second) << n;
  }
  EXPECT_EQ(RejectReasonName(static_cast<RejectReason>(kRejectReasonCount)), "unknown");
}

TEST(EnumNamesTest, RoutesAreNamedUpToTheirCountWithOtherLast) {
  std::set<std::string> seen;
  for (int i = 0; i < kRouteCount; ++i) {
    EXPECT_TRUE(seen.insert(std::string(RouteName(static_cast<Route>(i)))).second) << i;
  }
  EXPECT_EQ(RouteName(static_cast<Route>(kRouteCount - 1)), "other");
  EXPECT_EQ(RouteName(static_cast<Route>(kRouteCount)), "other");
}

}  // namespace
}  // namespace quotient::extender
