#include "extender/control/leader_pod_labeler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include "extender/kube/fake_api_server.h"

namespace quotient::extender::state {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class SwitchFence : public kube::WriteFence {
 public:
  bool MayWrite() const override { return open.load(); }
  std::string Why() const override { return "not the leader: the lease is held by b_1"; }
  std::atomic<bool> open{true};
};

LeaderLabelOptions Options() {
  LeaderLabelOptions o;
  o.pod_namespace = "quotient-system";
  o.pod_name = "quotient-a";
  return o;
}

// The API server holds two stale leader labels (the old leader's and a pod gone since).
struct Fixture {
  Fixture()
      : api([this](kube::testing::FakeExchange& ex) {
          const kube::testing::FakeRequest& r = ex.request();
          if (r.method == "GET") {
            ex.Respond(list_status,
                       list_status == 200
                           ? R"({"kind":"PodList","items":[{"metadata":{"name":"quotient-old"}},)"
                             R"({"metadata":{"name":"quotient-gone"}}]})"
                           : R"({"kind":"Status","message":"boom"})");
            return;
          }
          ex.Respond(r.path.ends_with("/quotient-gone") ? 404 : 200, "{}");
        }),
        client(ioc, api.Config()) {}
  std::string Run(LeaderPodLabeler& labeler) {
    auto future = boost::asio::co_spawn(ioc, labeler.Sync(), boost::asio::use_future);
    ioc.run();
    ioc.restart();
    return future.get();
  }
  int list_status = 200;
  kube::testing::FakeApiServer api;
  boost::asio::io_context ioc;
  kube::ApiClient client;
  SwitchFence fence;
};

std::vector<std::string> Writes(const kube::testing::FakeApiServer& api) {
  std::vector<std::string> out;
  for (const auto& r : api.requests()) {
    if (r.method != "GET") out.push_back(r.method + " " + r.path + " " + r.body);
  }
  return out;
}

TEST(LeaderPodLabelerTest, TheLeaderClearsStaleLabelsThenLabelsItself) {
  Fixture f;
  metrics::Registry registry;
  LeaderPodLabeler labeler(f.ioc, &f.client, &f.fence, Options(), &registry);
  EXPECT_EQ(f.Run(labeler), "");
  const auto requests = f.api.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests[0].path, "/api/v1/namespaces/quotient-system/pods");
  EXPECT_EQ(requests[0].Param("labelSelector"), "quotient.io/leader=true");
  // A stale pod that is gone (404) needs nothing more.
  EXPECT_THAT(
      Writes(f.api),
      ElementsAre(
          R"(PATCH /api/v1/namespaces/quotient-system/pods/quotient-old {"metadata":{"labels":{"quotient.io/leader":null}}})",
          R"(PATCH /api/v1/namespaces/quotient-system/pods/quotient-gone {"metadata":{"labels":{"quotient.io/leader":null}}})",
          R"(PATCH /api/v1/namespaces/quotient-system/pods/quotient-a {"metadata":{"labels":{"quotient.io/leader":"true"}}})"));
  EXPECT_EQ(f.api.requests()[1].content_type, "application/merge-patch+json");
  EXPECT_TRUE(labeler.status().labelled);
  EXPECT_THAT(registry.Render(), HasSubstr(R"(quotient_leader_label_syncs_total{result="ok"} 1)"));
}

TEST(LeaderPodLabelerTest, AFollowerWritesNothingNotEvenItsOwnLabelRemoval) {
  Fixture f;
  f.fence.open = false;
  LeaderPodLabeler labeler(f.ioc, &f.client, &f.fence, Options(), nullptr);
  EXPECT_THAT(f.Run(labeler), HasSubstr("not the leader"));
  EXPECT_TRUE(f.api.requests().empty());
}

TEST(LeaderPodLabelerTest, AFailedListLabelsNothingAndSaysWhy) {
  Fixture f;
  f.list_status = 500;
  metrics::Registry registry;
  LeaderPodLabeler labeler(f.ioc, &f.client, &f.fence, Options(), &registry);
  std::string error = f.Run(labeler);
  EXPECT_THAT(error, HasSubstr("listing the labelled pods: HTTP 500: boom"));
  EXPECT_TRUE(Writes(f.api).empty());
  EXPECT_FALSE(labeler.status().labelled);
  EXPECT_EQ(labeler.status().failures, 1);
  EXPECT_THAT(registry.Render(),
              HasSubstr(R"(quotient_leader_label_syncs_total{result="failed"} 1)"));
}

TEST(LeaderPodLabelerTest, OptionsAreValidatedWithTheFixToApply) {
  EXPECT_EQ(ValidateLeaderLabel(Options()), "");
  LeaderLabelOptions o = Options();
  o.pod_name = "";
  EXPECT_THAT(ValidateLeaderLabel(o), HasSubstr("POD_NAME"));
  o = Options();
  o.pod_namespace = "Bad/ns";
  EXPECT_THAT(ValidateLeaderLabel(o), HasSubstr("POD_NAMESPACE"));
  o = Options();
  o.label = "quotient.io/";
  EXPECT_THAT(ValidateLeaderLabel(o), HasSubstr("not a label key"));
  o.label = "-x";
  EXPECT_THAT(ValidateLeaderLabel(o), HasSubstr("not a label key"));
  o.label = "leader";
  EXPECT_EQ(ValidateLeaderLabel(o), "");
}

}  // namespace
}  // namespace quotient::extender::state
