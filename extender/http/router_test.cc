// Routing, status codes and the decision seam, without sockets.
#include "extender/http/router.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

namespace quotient::extender {
namespace {

namespace asio = boost::asio;

// A decider with scripted answers, to check what the router does with them.
class ScriptedDecider : public PassThroughDecider {
 public:
  std::vector<int64_t> scores;
  std::vector<NodeVictims> victims;
  bool throw_in_filter = false;
  bool throw_in_bind = false;
  FilterDecision Filter(const ExtenderArgs& args) override {
    if (throw_in_filter) throw std::length_error("vector::reserve");
    return PassThroughDecider::Filter(args);
  }
  asio::awaitable<BindDecision> Bind(BindingArgs args) override {
    if (throw_in_bind) throw std::bad_alloc();
    co_return co_await PassThroughDecider::Bind(std::move(args));
  }
  PrioritizeDecision Prioritize(const ExtenderArgs& args) override {
    PrioritizeDecision d = PassThroughDecider::Prioritize(args);
    if (!scores.empty()) d.scores = scores;
    return d;
  }
  PreemptDecision Preempt(const PreemptionArgs& args) override {
    PreemptDecision d = PassThroughDecider::Preempt(args);
    if (!victims.empty()) d.nodes = victims;
    return d;
  }
};

class RouterTest : public ::testing::Test {
 protected:
  HttpResponse Call(std::string_view method, std::string_view target, std::string_view body = "",
                    bool webhooks = true) {
    asio::io_context ctx;
    std::optional<HttpResponse> out;
    HttpRequest request{method, target, RequestBody::Copy(body), "test-1"};
    asio::co_spawn(ctx, router_.Handle(std::move(request), webhooks),
                   [&](std::exception_ptr, HttpResponse r) { out = std::move(r); });
    ctx.run();
    return std::move(*out);
  }

  metrics::Registry registry_;
  ServerMetrics metrics_{&registry_};
  Readiness readiness_;
  ScriptedDecider decider_;
  Router router_{"/scheduler/", &decider_, &metrics_, &registry_, &readiness_};
};

constexpr std::string_view kArgs = R"({"Pod":{"metadata":{"name":"p"}},"NodeNames":["a","b"]})";

TEST_F(RouterTest, UrlPrefixIsNormalisedLikeTheSchedulerJoinsIt) {
  EXPECT_EQ(NormalizeUrlPrefix(""), "");
  EXPECT_EQ(NormalizeUrlPrefix("/"), "");
  EXPECT_EQ(NormalizeUrlPrefix("scheduler/"), "/scheduler");
  EXPECT_EQ(NormalizeUrlPrefix("/a/b//"), "/a/b");
  EXPECT_EQ(router_.Classify("/scheduler/filter"), Route::kFilter);
  EXPECT_EQ(router_.Classify("/scheduler/bind?x=1"), Route::kBind);
  EXPECT_EQ(router_.Classify("/filter"), Route::kOther);
  EXPECT_EQ(router_.Classify("/metrics"), Route::kMetrics);
}

TEST_F(RouterTest, FilterPassesEveryNodeThroughWithoutAPolicy) {
  HttpResponse r = Call("POST", "/scheduler/filter", kArgs);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.route, Route::kFilter);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["NodeNames"], nlohmann::json::array({"a", "b"}));
  EXPECT_EQ(j["Error"], "");
}

TEST_F(RouterTest, PrioritizeScoresAreClampedToTheExtenderRange) {
  decider_.scores = {42, -3};
  HttpResponse r = Call("POST", "/scheduler/prioritize", kArgs);
  EXPECT_EQ(r.body, R"([{"Host":"a","Score":10},{"Host":"b","Score":0}])");
}

TEST_F(RouterTest, PreemptNeverNamesANodeThatWasNotOffered) {
  decider_.victims = {{"a", {"u1"}, 0}, {"zzz", {"u9"}, 0}};
  HttpResponse r = Call(
      "POST", "/scheduler/preempt",
      R"({"Pod":{},"NodeNameToMetaVictims":{"a":{"Pods":[{"UID":"u1"}],"NumPDBViolations":0}}})");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body,
            R"({"NodeNameToMetaVictims":{"a":{"Pods":[{"UID":"u1"}],"NumPDBViolations":0}}})");
}

TEST_F(RouterTest, PreemptKeepsEveryOfferedNodeOfTheAnswerAndDropsEveryOther) {
  decider_.victims = {
      {"c", {"u3"}, 0}, {"x", {"u8"}, 0}, {"a", {"u1"}, 1}, {"y", {"u9"}, 0}, {"b", {"u2"}, 0}};
  HttpResponse r = Call("POST", "/scheduler/preempt",
                        R"({"Pod":{},"NodeNameToMetaVictims":{)"
                        R"("a":{"Pods":[{"UID":"u1"}],"NumPDBViolations":1},)"
                        R"("b":{"Pods":[{"UID":"u2"}],"NumPDBViolations":0},)"
                        R"("c":{"Pods":[{"UID":"u3"}],"NumPDBViolations":0}}})");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, R"({"NodeNameToMetaVictims":{)"
                    R"("a":{"Pods":[{"UID":"u1"}],"NumPDBViolations":1},)"
                    R"("b":{"Pods":[{"UID":"u2"}],"NumPDBViolations":0},)"
                    R"("c":{"Pods":[{"UID":"u3"}],"NumPDBViolations":0}}})");
}

TEST_F(RouterTest, AFilterThatFailsInsideQuotientIsAnswered500WithAReason) {
  decider_.throw_in_filter = true;
  HttpResponse r = Call("POST", "/scheduler/filter", kArgs);
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(r.route, Route::kFilter);
  EXPECT_NE(r.body.find(R"("Reason":"internal_error")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("internal error: vector::reserve"), std::string::npos) << r.body;
  EXPECT_EQ(metrics_.RejectedCount(RejectReason::kInternalError), 1u);
  decider_.throw_in_filter = false;  // the router goes on answering
  EXPECT_EQ(Call("POST", "/scheduler/filter", kArgs).status, 200u);
}

TEST_F(RouterTest, ABindThatFailsInsideQuotientIsAnswered500WithAReason) {
  decider_.throw_in_bind = true;
  HttpResponse r = Call("POST", "/scheduler/bind",
                        R"({"PodName":"p","PodNamespace":"ns","PodUID":"u","Node":"n"})");
  EXPECT_EQ(r.status, 500u);
  EXPECT_NE(r.body.find(R"("Reason":"internal_error")"), std::string::npos) << r.body;
  EXPECT_EQ(metrics_.RejectedCount(RejectReason::kInternalError), 1u);
}

TEST_F(RouterTest, BindWithoutAnApiClientAnswers200WithAnError) {
  HttpResponse r = Call("POST", "/scheduler/bind",
                        R"({"PodName":"p","PodNamespace":"ns","PodUID":"u","Node":"a"})");
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(nlohmann::json::parse(r.body)["Error"].get<std::string>().find("cannot bind"),
            std::string::npos);
}

TEST_F(RouterTest, MalformedBodyIs400AndCounted) {
  HttpResponse r = Call("POST", "/scheduler/filter", "{nope");
  EXPECT_EQ(r.status, 400u);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["Reason"], "malformed_json");
  EXPECT_EQ(metrics_.RejectedCount(RejectReason::kMalformedJson), 1u);
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  HttpResponse r = Call("GET", "/scheduler/filter");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.allow, "POST");
  r = Call("POST", "/healthz");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.allow, "GET, HEAD");
}

TEST_F(RouterTest, UnknownPathsAndWebhooksOnTheOpsListenerAre404) {
  EXPECT_EQ(Call("GET", "/nope").status, 404u);
  EXPECT_EQ(Call("POST", "/scheduler/filter", kArgs, /*webhooks=*/false).status, 404u);
  EXPECT_EQ(Call("GET", "/metrics", "", /*webhooks=*/false).status, 200u);
  EXPECT_EQ(metrics_.RejectedCount(RejectReason::kNotFound), 2u);
}

TEST_F(RouterTest, RefusesFromTheHeaderAloneWhatNoBodyCouldChange) {
  struct Case {
    std::string_view method, target;
    bool has_body, webhooks;
    std::optional<unsigned> status;  // nullopt: the body must be read and handed to Handle
  };
  const Case cases[] = {
      {"POST", "/scheduler/filter", true, true, std::nullopt},
      {"POST", "/scheduler/bind", false, true, std::nullopt},
      {"GET", "/healthz", false, false, std::nullopt},
      {"HEAD", "/metrics", false, true, std::nullopt},
      {"POST", "/scheduler/filter", true, false, 404u},  // a webhook on the ops listener
      {"POST", "/nope", true, true, 404u},
      {"GET", "/scheduler/filter", true, true, 405u},
      {"POST", "/healthz", true, false, 405u},
      {"GET", "/version", true, true, 413u},  // the operations endpoints take no body
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.method) + " " + std::string(c.target));
    std::optional<HttpResponse> r = router_.RefuseBeforeBody(
        router_.Classify(c.target), {c.method, c.target, c.has_body, "test-1"}, c.webhooks);
    ASSERT_EQ(r.has_value(), c.status.has_value());
    if (r) {
      EXPECT_EQ(r->status, *c.status) << r->body;
    }
  }
  EXPECT_EQ(metrics_.RejectedCount(RejectReason::kBodyTooLarge), 1u);
  EXPECT_EQ(Call("GET", "/version", "{}").status, 413u);  // Handle agrees
}

TEST_F(RouterTest, ReadyzFollowsReadinessAndSaysWhy) {
  HttpResponse r = Call("GET", "/readyz");
  EXPECT_EQ(r.status, 503u);
  EXPECT_NE(r.body.find("starting"), std::string::npos);
  readiness_.Set(true, "serving");
  EXPECT_EQ(Call("GET", "/readyz").status, 200u);
  EXPECT_EQ(Call("GET", "/healthz").body, "ok\n");
}

TEST_F(RouterTest, VersionNamesTheDecider) {
  auto j = nlohmann::json::parse(Call("GET", "/version").body);
  EXPECT_NE(j["decider"].get<std::string>().find("pass-through"), std::string::npos);
  EXPECT_FALSE(j["version"].get<std::string>().empty());
}

TEST_F(RouterTest, MetricsCountDecisionsByVerbResultAndReason) {
  Call("POST", "/scheduler/filter", kArgs);
  std::string text = Call("GET", "/metrics").body;
  EXPECT_NE(text.find("quotient_decisions_total{verb=\"filter\",result=\"accepted\","
                      "reason=\"no_policy\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE quotient_http_request_duration_seconds histogram"),
            std::string::npos);
  EXPECT_NE(text.find("quotient_build_info{"), std::string::npos);
}

}  // namespace
}  // namespace quotient::extender
