// Integration tests of the graceful shutdown: idle connections close at once, an
// in-flight request finishes with Connection: close, the rest are forced closed at the
// grace deadline, and `done` runs.
#include <gtest/gtest.h>

#include <string>

#include "test/support/http_client.h"
#include "test/support/test_server.h"

namespace quotient::test {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kWait{5'000};

std::string RequestHead(size_t content_length, bool expect_continue) {
  return "POST /filter HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
         std::string(expect_continue ? "Expect: 100-continue\r\n" : "") +
         "Content-Length: " + std::to_string(content_length) + "\r\n\r\n";
}

TEST(HttpServerShutdownTest, ClosesIdleConnectionsAndFinishesTheInFlightRequest) {
  TestServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  const std::string body = ReadGolden("filter_names_request.json");
  const size_t half = body.size() / 2;

  HttpClient idle(server.port());
  ASSERT_EQ(idle.Post("/filter", body).status, 200u) << idle.error();

  // The interim 100 proves the server has read the header and is inside the request.
  RawSocket busy(server.port());
  ASSERT_TRUE(busy.Write(RequestHead(body.size(), true) + body.substr(0, half))) << busy.error();
  ASSERT_EQ(busy.ReadResponse().status, 100u);

  server.Shutdown(milliseconds(2'000));

  bool closed = false;
  EXPECT_EQ(idle.ReadUntilClosed(kWait, &closed), "");
  EXPECT_TRUE(closed) << "the idle connection was not closed";
  HttpClient late(server.port());
  EXPECT_FALSE(late.connected()) << "still accepting after Shutdown()";
  EXPECT_FALSE(server.WaitShutdownDone(milliseconds(0))) << "done ran with a request in flight";

  ASSERT_TRUE(busy.Write(body.substr(half))) << busy.error();
  HttpResult r = busy.ReadResponse();
  ASSERT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.body, ReadGolden("filter_names_response_all.json"));
  EXPECT_FALSE(r.keep_alive);
  EXPECT_EQ(r.Header("Connection"), "close");
  busy.ReadUntilClosed(kWait, &closed);
  EXPECT_TRUE(closed) << "the answered connection was not closed";

  EXPECT_TRUE(server.WaitShutdownDone(kWait)) << "done did not run";
  EXPECT_EQ(server.Metric("quotient_http_open_connections"), 0.0);
}

TEST(HttpServerShutdownTest, WithoutConnectionsRunsDoneAndStopsAccepting) {
  TestServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  const uint16_t port = server.port();
  server.Shutdown(milliseconds(2'000));
  EXPECT_TRUE(server.WaitShutdownDone(kWait));
  HttpClient late(port);
  EXPECT_FALSE(late.connected());
}

TEST(HttpServerShutdownTest, ForcesAStalledRequestClosedAtTheGraceDeadline) {
  TestServer server;  // default 30 s body timeout: only the grace deadline can end it
  ASSERT_TRUE(server.ok()) << server.error();
  RawSocket stalled(server.port());
  ASSERT_TRUE(stalled.Write(RequestHead(1000, true) + "{\"Pod\":")) << stalled.error();
  ASSERT_EQ(stalled.ReadResponse().status, 100u);

  server.Shutdown(milliseconds(200));
  EXPECT_TRUE(server.WaitShutdownDone(kWait)) << "done did not run at the grace deadline";
  bool closed = false;
  EXPECT_EQ(stalled.ReadUntilClosed(kWait, &closed), "");
  EXPECT_TRUE(closed) << "the stalled connection was not closed";
}

}  // namespace
}  // namespace quotient::test
