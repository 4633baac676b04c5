// Integration tests of requests answered without reading their body: a body the route
// would never use (no such route on the listener, a wrong method, an operations GET) is
// refused from the header alone, so a client cannot make the server hold maxBodyBytes
// per connection for an answer that does not depend on it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "test/support/http_client.h"
#include "test/support/test_server.h"

namespace quotient::test {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr milliseconds kAnswerWait{5'000};  // bounds every read; the body never comes

struct UnreadBodyCase {
  const char* name;
  bool webhooks;       // the listener serves webhooks (false: the operations listener)
  std::string header;  // a request header announcing a body that is never sent
  unsigned status;
  const char* reason;
  const char* allow;  // expected Allow header ("" : none)
};

constexpr std::string_view kFullBody = "Content-Length: 134217728\r\n\r\n";  // 128 MiB

std::vector<UnreadBodyCase> UnreadBodyCases() {
  const std::string host = " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  return {
      {"WebhookOnTheOperationsListener", false, "POST /filter" + host + std::string(kFullBody), 404,
       "not_found", ""},
      {"PostToHealthz", false, "POST /healthz" + host + std::string(kFullBody), 405,
       "method_not_allowed", "GET, HEAD"},
      {"ChunkedPostToMetrics", true, "POST /metrics" + host + "Transfer-Encoding: chunked\r\n\r\n",
       405, "method_not_allowed", "GET, HEAD"},
      {"UnknownPath", true, "POST /nope" + host + std::string(kFullBody), 404, "not_found", ""},
      {"GetOnAWebhook", true, "GET /filter" + host + "Content-Length: 100\r\n\r\n", 405,
       "method_not_allowed", "POST"},
      {"GetWithABodyToVersion", true, "GET /version" + host + "Content-Length: 1000\r\n\r\n", 413,
       "body_too_large", ""},
  };
}

void PrintTo(const UnreadBodyCase& c, std::ostream* os) {
  *os << c.name;
}

class HttpServerUnreadBodyTest : public ::testing::TestWithParam<UnreadBodyCase> {};

TEST_P(HttpServerUnreadBodyTest, IsAnsweredFromTheHeaderAloneThenClosed) {
  const UnreadBodyCase& c = GetParam();
  TestServerConfig config;
  config.http.listeners.at(0).webhooks = c.webhooks;
  config.http.body_timeout = std::chrono::minutes(10);  // far beyond kAnswerWait
  TestServer server(config);
  ASSERT_TRUE(server.ok()) << server.error();
  RawSocket raw(server.port(), kAnswerWait);
  ASSERT_TRUE(raw.Write(c.header)) << raw.error();

  HttpResult r = raw.ReadResponse();
  ASSERT_EQ(r.status, c.status) << r.error << r.body;
  json body = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << r.body;
  EXPECT_EQ(body.value("Reason", ""), c.reason) << r.body;
  EXPECT_FALSE(body.value("Error", "").empty()) << r.body;
  EXPECT_EQ(r.Header("Allow"), c.allow);
  EXPECT_FALSE(r.keep_alive);  // the unread body cannot be skipped: the connection ends
  bool closed = false;
  raw.ReadUntilClosed(kAnswerWait, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(server.Metric("quotient_http_rejected_requests_total{reason=\"" +
                          std::string(c.reason) + "\"}"),
            1.0);
}

INSTANTIATE_TEST_SUITE_P(UnreadBodies, HttpServerUnreadBodyTest,
                         ::testing::ValuesIn(UnreadBodyCases()),
                         [](const ::testing::TestParamInfo<UnreadBodyCase>& p) {
                           return std::string(p.param.name);
                         });

// Without a body there is nothing to skip: a refused request keeps its connection.
TEST(HttpServerUnreadBodyTest, ARefusalWithoutABodyKeepsTheConnection) {
  TestServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  HttpClient client(server.port(), kAnswerWait);
  HttpResult r = client.Post("/healthz", "");
  ASSERT_EQ(r.status, 405u) << r.error;
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(client.Get("/healthz").status, 200u);
}

// A client that asks before sending its body is told "no" before it sends it: the limit
// and the route are checked before 100 Continue.
TEST(HttpServerUnreadBodyTest, ExpectContinueAboveTheBodyLimitGets413InsteadOf100) {
  TestServerConfig config;
  config.http.max_body_bytes = 1024;
  TestServer server(config);
  ASSERT_TRUE(server.ok()) << server.error();
  RawSocket raw(server.port(), kAnswerWait);
  ASSERT_TRUE(
      raw.Write("POST /filter HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                "Expect: 100-continue\r\nContent-Length: 2048\r\n\r\n"))
      << raw.error();
  HttpResult r = raw.ReadResponse();
  ASSERT_EQ(r.status, 413u) << r.error << r.body;
  EXPECT_EQ(json::parse(r.body, nullptr, false).value("Reason", ""), "body_too_large") << r.body;
  EXPECT_FALSE(r.keep_alive);
}

// A refusal that leaves a body unread does not reset the connection: the server reads and
// drops what the client still sends (for a bounded time and size) before closing, so a
// client still writing its body completes the write and reads the refusal and an orderly
// close (without this, the closed socket answers the body with RST and the write fails).
TEST(HttpServerUnreadBodyTest, AClientStillSendingTheRefusedBodyIsNotReset) {
  TestServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  RawSocket raw(server.port(), kAnswerWait);
  const std::string body(2u << 20, 'x');  // far more than the socket buffers hold at first
  ASSERT_TRUE(raw.Write("POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n"))
      << raw.error();
  HttpResult r = raw.ReadResponse();
  ASSERT_EQ(r.status, 405u) << r.error << r.body;
  EXPECT_TRUE(raw.Write(body)) << raw.error();
  bool closed = false;
  bool reset = false;
  raw.ReadUntilClosed(kAnswerWait, &closed, &reset);
  EXPECT_TRUE(closed);
  EXPECT_FALSE(reset);
}

}  // namespace
}  // namespace quotient::test
