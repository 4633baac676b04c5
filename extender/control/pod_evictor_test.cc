#include "extender/control/pod_evictor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "extender/control/control_test_util.h"
#include "extender/control/pod_binder.h"
#include "extender/control/pod_patcher.h"
#include "extender/kube/fake_api_server.h"

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

class ClosedFence : public kube::WriteFence {
 public:
  bool MayWrite() const override { return false; }
  std::string Why() const override { return "not the leader: the lease is held by b_1"; }
};

// A replica that may not write sends nothing: no eviction, Event, Binding or patch reaches
// the API server, and each says why.
TEST(PodEvictorTest, AClosedFenceStopsEveryWriteBeforeItIsSent) {
  kube::testing::FakeApiServer api([](kube::testing::FakeExchange& ex) { ex.Respond(201, "{}"); });
  boost::asio::io_context ioc;
  kube::ApiClient client(ioc, api.Config());
  ClosedFence fence;
  ApiPodEvictor evictor(&client, &fence);
  ApiPodBinder binder(&client, &fence);
  ApiPodPatcher patcher(&client, &fence);
  auto run = [&](auto awaitable) {
    auto future = boost::asio::co_spawn(ioc, std::move(awaitable), boost::asio::use_future);
    ioc.run();
    ioc.restart();
    return future.get();
  };
  ApiOutcome evicted = run(evictor.Evict(PodRef{"ns1", "web-1", "u-1"}));
  EXPECT_EQ(evicted.kind, ApiOutcome::Kind::kUnavailable);
  EXPECT_THAT(evicted.message, HasSubstr("held by b_1"));
  ApiOutcome event = run(evictor.PostEvent(PodEvent{{"ns1", "web-1", "u-1"}, "Normal", "R", "m"}));
  EXPECT_EQ(event.kind, ApiOutcome::Kind::kUnavailable);
  ApiOutcome bound = run(binder.Bind(BindingArgs{"web-1", "ns1", "u-1", "n1"}));
  EXPECT_EQ(bound.kind, ApiOutcome::Kind::kUnavailable);
  EXPECT_THAT(run(patcher.Patch("ns1", "web-1", "{}")), HasSubstr("not the leader"));
  EXPECT_TRUE(api.requests().empty());
}

}  // namespace
}  // namespace quotient::extender::state
