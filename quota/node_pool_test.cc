#include "quota/node_pool.h"

#include <gtest/gtest.h>

namespace quotient::quota {
namespace {

const Labels kNode = {{"org", "team-a"}, {"gpu-type", "T4"}, {"spot", ""}};

TEST(NodePoolTest, ATermMatchesItsKeyAndValue) {
  EXPECT_TRUE(SelectorTermMatches(kNode, "org=team-a"));
  EXPECT_TRUE(SelectorTermMatches(kNode, " org = team-a "));
  EXPECT_FALSE(SelectorTermMatches(kNode, "org=team-b"));
  EXPECT_FALSE(SelectorTermMatches(kNode, "zone=a"));
}

TEST(NodePoolTest, ABareKeyMatchesAnEmptyValue) {
  EXPECT_TRUE(SelectorTermMatches(kNode, "spot"));
  EXPECT_FALSE(SelectorTermMatches(kNode, "org"));
}

TEST(NodePoolTest, EveryTermMustMatchAndNoTermsMatchAll) {
  EXPECT_TRUE(InNodePool(kNode, {"org=team-a", "gpu-type=T4"}));
  EXPECT_FALSE(InNodePool(kNode, {"org=team-a", "gpu-type=A100"}));
  EXPECT_TRUE(InNodePool(kNode, {}));
  EXPECT_TRUE(InNodePool({}, {}));
}

}  // namespace
}  // namespace quotient::quota
