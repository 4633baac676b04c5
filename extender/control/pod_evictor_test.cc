#include "extender/control/pod_evictor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace quotient::extender::state {
namespace {

using ::testing::HasSubstr;

TEST(PodEvictorTest, TheEvictionCarriesTheVictimsUidAsPrecondition) {
  EXPECT_EQ(EvictionJson(PodRef{"ns1", "web-1", "u-1"}),
            R"({"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"web-1",)"
            R"("namespace":"ns1"},"deleteOptions":{"preconditions":{"uid":"u-1"}}})");
}

TEST(PodEvictorTest, TheEventNamesThePodAndIsStampedLikeClientGo) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'764'662'400));
  const std::string json = EventJson(
      PodEvent{{"ns1", "web-1", "u-1"}, "Normal", "QuotaReclaim", "Evicted by \"Quotient\""}, now);
  EXPECT_THAT(json, HasSubstr(R"("metadata":{"name":"web-1.187d571a6c7d0000","namespace":"ns1"})"));
  EXPECT_THAT(json, HasSubstr(R"("involvedObject":{"apiVersion":"v1","kind":"Pod",)"
                              R"("namespace":"ns1","name":"web-1","uid":"u-1"})"));
  EXPECT_THAT(json, HasSubstr(R"("message":"Evicted by \"Quotient\"")"));
  EXPECT_THAT(json, HasSubstr(R"("firstTimestamp":"2025-12-02T08:00:00Z")"));
}

TEST(PodEvictorTest, AnswersAreClassifiedForTheReclaimer) {
  EXPECT_EQ(ClassifyEviction(ApiOutcome{}), EvictResult::kEvicted);
  EXPECT_EQ(ClassifyEviction({ApiOutcome::Kind::kUnavailable, 429, "budget"}),
            EvictResult::kBudgetRefused);
  EXPECT_EQ(ClassifyEviction({ApiOutcome::Kind::kRefused, 404, "not found"}), EvictResult::kGone);
  EXPECT_EQ(ClassifyEviction({ApiOutcome::Kind::kRefused, 409, "uid"}), EvictResult::kGone);
  EXPECT_EQ(ClassifyEviction({ApiOutcome::Kind::kUnavailable, 500, "boom"}), EvictResult::kFailed);
  EXPECT_EQ(ClassifyEviction({ApiOutcome::Kind::kUnavailable, 0, "refused"}), EvictResult::kFailed);
}

}  // namespace
}  // namespace quotient::extender::state
