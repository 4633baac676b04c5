// Integration tests of the HTTP server: golden webhook exchanges, routing, operations
// endpoints, keep-alive and concurrent clients. Each test runs a real server on
// 127.0.0.1:0 (test/support/test_server.h) and talks to it over sockets.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test/support/http_client.h"
#include "test/support/test_server.h"

namespace quotient::test {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr milliseconds kMetricWait{5'000};

json ParseJson(const std::string& text) {
  return json::parse(text, nullptr, false);
}

std::optional<double> ScrapeMetric(HttpClient& client, std::string_view series) {
  HttpResult r = client.Get("/metrics");
  if (r.status != 200) return std::nullopt;
  return FindMetric(r.body, series);
}

// ---------------------------------------------------------------------------------------
// Golden requests: the scheduler's exact bytes in, Go's exact bytes out.

struct GoldenCase {
  const char* name;
  const char* target;
  const char* request;
  const char* response;
};

const GoldenCase kGoldenCases[] = {
    {"FilterWithNodeNames", "/filter", "filter_names_request.json",
     "filter_names_response_all.json"},
    {"FilterWithFullNodes", "/filter", "filter_nodes_request.json",
     "filter_nodes_response_all.json"},
    {"PrioritizeWithNodeNames", "/prioritize", "filter_names_request.json",
     "prioritize_response_zero.json"},
    {"PrioritizeWithFullNodes", "/prioritize", "filter_nodes_request.json",
     "prioritize_response_zero.json"},
    {"PreemptWithMetaVictims", "/preempt", "preempt_meta_request.json",
     "preempt_response_echo.json"},
    {"PreemptWithFullVictims", "/preempt", "preempt_victims_request.json",
     "preempt_response_echo.json"},
};

void PrintTo(const GoldenCase& c, std::ostream* os) {
  *os << c.name;
}

class HttpServerGoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(HttpServerGoldenTest, AnswersOkWithExactlyTheGoldenResponseBytes) {
  const GoldenCase& c = GetParam();
  TestServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  HttpClient client(server.port());
  ASSERT_TRUE(client.connected()) << client.error();

  HttpResult r = client.Post(c.target, ReadGolden(c.request));
  ASSERT_EQ(r.status, 200u) << r.error << r.body;
  EXPECT_EQ(r.body, ReadGolden(c.response));
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_TRUE(r.keep_alive);
  EXPECT_FALSE(r.Header("X-Request-Id").empty());
}

INSTANTIATE_TEST_SUITE_P(GoldenRequests, HttpServerGoldenTest, ::testing::ValuesIn(kGoldenCases),
                         [](const ::testing::TestParamInfo<GoldenCase>& p) {
                           return std::string(p.param.name);
                         });

// ---------------------------------------------------------------------------------------
// Routing and the operations endpoints.

class HttpServerRoutingTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.ok()) << server_.error(); }
  TestServer server_;
};

TEST_F(HttpServerRoutingTest, BindAnswersOkWithAnErrorBecauseNoApiClientIsConfigured) {
  HttpClient client(server_.port());
  HttpResult r = client.Post("/bind", ReadGolden("bind_request.json"));
  ASSERT_EQ(r.status, 200u) << r.error;
  json body = ParseJson(r.body);
  ASSERT_TRUE(body.is_object()) << r.body;
  ASSERT_TRUE(body.contains("Error")) << r.body;
  ASSERT_TRUE(body["Error"].is_string());
  EXPECT_FALSE(body["Error"].get<std::string>().empty());
}

TEST_F(HttpServerRoutingTest, EchoesASafeRequestIdFromTheClient) {
  HttpClient client(server_.port());
  HttpResult r = client.Post("/filter", ReadGolden("filter_names_request.json"),
                             {{"X-Request-Id", "trace-42_a.b"}});
  ASSERT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.Header("X-Request-Id"), "trace-42_a.b");
}

TEST(HttpServerUrlPrefixTest, ServesWebhooksUnderThePrefixAndNotAtTheRoot) {
  TestServerConfig config;
  config.url_prefix = "/scheduler";
  TestServer server(config);
  ASSERT_TRUE(server.ok()) << server.error();
  HttpClient client(server.port());
  HttpResult ok = client.Post("/scheduler/filter", ReadGolden("filter_names_request.json"));
  ASSERT_EQ(ok.status, 200u) << ok.error;
  EXPECT_EQ(ok.body, ReadGolden("filter_names_response_all.json"));

  HttpResult root = client.Post("/filter", ReadGolden("filter_names_request.json"));
  EXPECT_EQ(root.status, 404u) << root.error;
  EXPECT_FALSE(root.keep_alive);  // its body was never read
  HttpClient next(server.port());
  HttpResult health = next.Get("/healthz");  // operations paths never take the prefix
  EXPECT_EQ(health.status, 200u) << health.error;
}

TEST_F(HttpServerRoutingTest, GetOnAWebhookIsMethodNotAllowedWithAllowPost) {
  HttpClient client(server_.port());
  HttpResult r = client.Get("/filter");
  ASSERT_EQ(r.status, 405u) << r.error;
  EXPECT_EQ(r.Header("Allow"), "POST");
  json body = ParseJson(r.body);
  EXPECT_EQ(body.value("Reason", ""), "method_not_allowed") << r.body;
  // The connection survives a refusal by the router.
  EXPECT_EQ(client.Get("/healthz").status, 200u);
}

TEST_F(HttpServerRoutingTest, PostOnAnOperationsPathIsMethodNotAllowed) {
  HttpClient client(server_.port());
  HttpResult r = client.Post("/healthz", "{}");
  ASSERT_EQ(r.status, 405u) << r.error;
  EXPECT_EQ(r.Header("Allow"), "GET, HEAD");
}

TEST_F(HttpServerRoutingTest, UnknownPathIsNotFoundWithAJsonErrorAndReason) {
  HttpClient client(server_.port());
  HttpResult r = client.Post("/filterx", "{}");
  ASSERT_EQ(r.status, 404u) << r.error;
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  json body = ParseJson(r.body);
  ASSERT_TRUE(body.is_object()) << r.body;
  EXPECT_TRUE(body.contains("Error")) << r.body;
  EXPECT_EQ(body.value("Reason", ""), "not_found") << r.body;
  EXPECT_EQ(server_.Metric("quotient_http_rejected_requests_total{reason=\"not_found\"}"), 1.0);
}

TEST_F(HttpServerRoutingTest, HealthzAnswersOk) {
  HttpClient client(server_.port());
  HttpResult r = client.Get("/healthz");
  ASSERT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.body.substr(0, 2), "ok");
}

TEST(HttpServerReadinessTest, ReadyzIsUnavailableUntilReadinessIsSet) {
  TestServerConfig config;
  config.mark_ready = false;
  TestServer server(config);
  ASSERT_TRUE(server.ok()) << server.error();
  HttpClient client(server.port());
  EXPECT_EQ(client.Get("/readyz").status, 503u);
  server.readiness().Set(true, "serving");
  HttpResult r = client.Get("/readyz");
  EXPECT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.body.substr(0, 2), "ok");
  server.readiness().Set(false, "draining");
  HttpResult down = client.Get("/readyz");
  EXPECT_EQ(down.status, 503u);
  EXPECT_NE(down.body.find("draining"), std::string::npos) << down.body;
}

TEST_F(HttpServerRoutingTest, VersionAnswersJsonWithBuildInformation) {
  HttpClient client(server_.port());
  HttpResult r = client.Get("/version");
  ASSERT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  json body = ParseJson(r.body);
  ASSERT_TRUE(body.is_object()) << r.body;
  for (const char* key : {"version", "commit", "compiler", "boost", "decider"}) {
    EXPECT_TRUE(body.contains(key) && body[key].is_string()) << key << " in " << r.body;
  }
}

TEST_F(HttpServerRoutingTest, MetricsExposeTheRequestCounterWhichCountsRequests) {
  HttpClient client(server_.port());
  HttpResult first = client.Get("/metrics");
  ASSERT_EQ(first.status, 200u) << first.error;
  EXPECT_NE(first.body.find("# TYPE quotient_http_requests_total counter\n"), std::string::npos);
  const std::string series = "quotient_http_requests_total{route=\"filter\",code=\"200\"}";
  EXPECT_EQ(FindMetric(first.body, series), 0.0);

  ASSERT_EQ(client.Post("/filter", ReadGolden("filter_names_request.json")).status, 200u);
  // Same connection: the server counts a request before it reads the next one.
  EXPECT_EQ(ScrapeMetric(client, series), 1.0);
}

// ---------------------------------------------------------------------------------------
// A decider that fails inside Quotient (issue 18: an exception once closed the connection
// without an answer and left quotient_http_requests_in_flight counting the request).

class ThrowingDecider : public extender::PassThroughDecider {
 public:
  extender::FilterDecision Filter(const extender::ExtenderArgs&) override {
    throw std::length_error("vector::reserve");
  }
};

TEST(HttpServerFailureTest, AFilterThatThrowsIsAnswered500AndLeavesNothingInFlight) {
  ThrowingDecider decider;
  TestServerConfig config;
  config.decider = &decider;
  TestServer server(config);
  ASSERT_TRUE(server.ok()) << server.error();
  HttpClient client(server.port());
  for (int i = 0; i < 3; ++i) {  // one keep-alive connection: it stays usable after each
    HttpResult r = client.Post("/filter", ReadGolden("filter_names_request.json"));
    ASSERT_EQ(r.status, 500u) << r.error;
    EXPECT_NE(r.body.find(R"("Reason":"internal_error")"), std::string::npos) << r.body;
  }
  EXPECT_EQ(client.Get("/healthz").status, 200u);
  const std::string in_flight = "quotient_http_requests_in_flight";
  // The gauge drops when each request's frame ends, just after its answer is written.
  EXPECT_TRUE(WaitFor([&] { return server.Metric(in_flight) == 0.0; }, kMetricWait))
      << "in flight: " << server.Metric(in_flight).value_or(-1);
  EXPECT_EQ(server.Metric("quotient_http_requests_total{route=\"filter\",code=\"500\"}"), 3.0);
}

// ---------------------------------------------------------------------------------------
// Keep-alive and concurrency.

TEST(HttpServerKeepAliveTest, HundredSequentialRequestsShareOneConnection) {
  TestServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  HttpClient client(server.port());
  ASSERT_TRUE(client.connected()) << client.error();
  const std::string request = ReadGolden("filter_nodes_request.json");
  const std::string expected = ReadGolden("filter_nodes_response_all.json");
  for (int i = 0; i < 100; ++i) {
    HttpResult r = client.Post("/filter", request);
    ASSERT_EQ(r.status, 200u) << "request " << i << ": " << r.error;
    ASSERT_EQ(r.body, expected) << "request " << i;
    ASSERT_TRUE(r.keep_alive) << "request " << i;
    if (i % 10 == 0) {
      EXPECT_EQ(server.Metric("quotient_http_open_connections"), 1.0) << "request " << i;
    }
  }
  EXPECT_EQ(ScrapeMetric(client, "quotient_http_open_connections"), 1.0);
  EXPECT_EQ(server.Metric("quotient_http_requests_total{route=\"filter\",code=\"200\"}"), 100.0);
}

TEST(HttpServerKeepAliveTest, PipelinedRequestsAreAnsweredInOrder) {
  TestServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  const std::string body = ReadGolden("filter_names_request.json");
  const std::string post =
      "POST /filter HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  RawSocket raw(server.port());
  ASSERT_TRUE(raw.Write(post + "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + post))
      << raw.error();
  HttpResult first = raw.ReadResponse();
  HttpResult second = raw.ReadResponse();
  HttpResult third = raw.ReadResponse();
  EXPECT_EQ(first.status, 200u) << first.error;
  EXPECT_EQ(first.body, ReadGolden("filter_names_response_all.json"));
  EXPECT_EQ(second.status, 200u) << second.error;
  EXPECT_EQ(second.body.substr(0, 2), "ok");
  EXPECT_EQ(third.status, 200u) << third.error;
  EXPECT_EQ(third.body, first.body);
}

TEST(HttpServerConcurrencyTest, EightKeepAliveClientsGetCorrectAnswersAndAreAllCounted) {
  constexpr int kThreads = 8;
  constexpr int kRequestsPerThread = 200;
  struct Exchange {
    const char* target;
    std::string request;
    std::string response;
  };
  const std::vector<Exchange> exchanges = {
      {"/filter", ReadGolden("filter_names_request.json"),
       ReadGolden("filter_names_response_all.json")},
      {"/prioritize", ReadGolden("filter_nodes_request.json"),
       ReadGolden("prioritize_response_zero.json")},
      {"/filter", ReadGolden("filter_nodes_request.json"),
       ReadGolden("filter_nodes_response_all.json")},
      {"/preempt", ReadGolden("preempt_meta_request.json"),
       ReadGolden("preempt_response_echo.json")},
      {"/preempt", ReadGolden("preempt_victims_request.json"),
       ReadGolden("preempt_response_echo.json")},
  };
  TestServer server;
  ASSERT_TRUE(server.ok()) << server.error();

  std::atomic<int> filters_sent{0};
  std::atomic<int> failures{0};
  std::vector<std::string> first_failure(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client(server.port());
      for (int i = 0; i < kRequestsPerThread; ++i) {
        const Exchange& e = exchanges[static_cast<size_t>(t + i) % exchanges.size()];
        if (std::string_view(e.target) == "/filter") filters_sent.fetch_add(1);
        HttpResult r = client.Post(e.target, e.request);
        if (r.status != 200 || r.body != e.response || !r.keep_alive) {
          failures.fetch_add(1);
          if (first_failure[t].empty()) {
            first_failure[t] = std::string(e.target) + " #" + std::to_string(i) + ": " +
                               std::to_string(r.status) + " " + r.error;
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  for (const auto& failure : first_failure) EXPECT_TRUE(failure.empty()) << failure;

  // The last answers may reach the client just before the server counts them.
  const std::string series = "quotient_http_requests_total{route=\"filter\",code=\"200\"}";
  HttpClient scraper(server.port());
  std::optional<double> counted;
  WaitFor(
      [&] {
        counted = ScrapeMetric(scraper, series);
        return counted == static_cast<double>(filters_sent.load());
      },
      kMetricWait);
  EXPECT_EQ(counted, static_cast<double>(filters_sent.load()));
  EXPECT_EQ(filters_sent.load(), kThreads * kRequestsPerThread * 2 / 5);
}

}  // namespace
}  // namespace quotient::test
