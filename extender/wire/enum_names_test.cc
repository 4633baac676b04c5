// Every bounded label enum of the wire layer has a name for each value below its count, and
// none at the count: an enumerator added without raising the count (which sizes the metric
// arrays) fails here instead of writing past an array.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "extender/wire/decider.h"
#include "extender/wire/wire.h"

namespace quotient::extender {
namespace {

template <typename Enum, typename NameFn>
void ExpectNamedUpToCount(int count, NameFn name, std::string_view fallback) {
  std::set<std::string> seen;
  for (int i = 0; i < count; ++i) {
    std::string n(name(static_cast<Enum>(i)));
    EXPECT_NE(n, fallback) << "value " << i << " has no name";
    EXPECT_TRUE(seen.insert(n).second) << "name " << n << " used twice";
  }
  EXPECT_EQ(name(static_cast<Enum>(count)), fallback)
      << "a value exists at the count: raise the count constant";
}

TEST(EnumNamesTest, DecisionReasonsAreNamedUpToTheirCount) {
  ExpectNamedUpToCount<DecisionReason>(kDecisionReasonCount, DecisionReasonName, "unknown");
}

TEST(EnumNamesTest, DecisionResultsAreNamedUpToTheirCount) {
  ExpectNamedUpToCount<DecisionResult>(kDecisionResultCount, DecisionResultName, "unknown");
}

TEST(EnumNamesTest, VerbsAreNamedUpToTheirCount) {
  ExpectNamedUpToCount<Verb>(kVerbCount, VerbName, "unknown");
}

}  // namespace
}  // namespace quotient::extender
