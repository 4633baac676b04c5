#include "extender/kube/api_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>

#include "extender/kube/fake_api_server.h"
#include "extender/kube/kube_test_util.h"

namespace quotient::extender::kube {
namespace {

namespace asio = boost::asio;
using testing::Await;
using testing::Eventually;
using testing::FakeApiServer;
using testing::FakeExchange;
using ::testing::HasSubstr;
using testing::IoThread;

asio::awaitable<ApiResponse> Call(ApiClient* client, Method method, std::string target,
                                  std::string body, RequestOptions options) {
  ApiResponse response = co_await client->Request(method, target, body, options);
  co_return response;
}

ApiResponse Get(IoThread& io, ApiClient& client, const std::string& target,
                RequestOptions options = {}) {
  return Await(io.ioc(), Call(&client, Method::kGet, target, "", std::move(options)));
}

// Answers every request with 200 and `body`.
FakeApiServer::Handler Answer(std::string body) {
  return [body](FakeExchange& ex) { ex.Respond(200, body); };
}

// A handler that never answers (until the server shuts down).
void Hang(FakeExchange& ex) {
  ex.WaitFor([] { return false; }, std::chrono::seconds(5));
}

TEST(ApiClientTest, ReturnsTheStatusAndBodyOfEachAnswer) {
  IoThread io;
  FakeApiServer server([](FakeExchange& ex) {
    if (ex.request().path == "/api/v1/pods") {
      ex.Respond(200, R"({"kind":"PodList"})");
    } else {
      ex.Respond(404, R"({"kind":"Status","code":404})");
    }
  });
  ApiClient client(io.ioc(), server.Config());
  ApiResponse ok = Get(io, client, "/api/v1/pods?limit=1");
  EXPECT_EQ(ok.status, 200);
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.body.view(), R"({"kind":"PodList"})");
  EXPECT_TRUE(ok.error.empty());
  ApiResponse missing = Get(io, client, "/api/v1/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(missing.body.view(), R"({"kind":"Status","code":404})");
}

TEST(ApiClientTest, ReadsALargeChunkedAnswerWhole) {
  std::string expected;
  for (int i = 0; expected.size() < (3u << 20); ++i) expected += std::to_string(i) + ",";
  IoThread io;
  FakeApiServer server([&](FakeExchange& ex) {
    ex.StartChunked(200);
    // Pieces of uneven sizes, from one byte to more than the client's read size.
    size_t at = 0;
    for (size_t size = 1; at < expected.size(); size = size * 3 + 1) {
      const size_t n = std::min(size % 200'000 + 1, expected.size() - at);
      ex.Send(std::string_view(expected).substr(at, n));
      at += n;
    }
    ex.End();
  });
  ApiClient client(io.ioc(), server.Config());
  ApiResponse response = Get(io, client, "/api/v1/pods");
  ASSERT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.body.size(), expected.size());
  EXPECT_TRUE(response.body.view() == expected);
}

TEST(ApiClientTest, ReadsALargeContentLengthAnswerWhole) {
  const std::string expected(5u << 20, 'x');
  IoThread io;
  FakeApiServer server(Answer(expected));
  ApiClient client(io.ioc(), server.Config());
  ApiResponse response = Get(io, client, "/api/v1/nodes");
  ASSERT_EQ(response.status, 200) << response.error;
  EXPECT_TRUE(response.body.view() == expected);
}

TEST(ApiClientTest, ReusesOneKeepAliveConnection) {
  IoThread io;
  FakeApiServer server(Answer("{}"));
  ApiClient client(io.ioc(), server.Config());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Get(io, client, "/api").status, 200);
  EXPECT_EQ(server.connections(), 1);
}

TEST(ApiClientTest, ReplacesAPooledConnectionTheServerClosed) {
  IoThread io;
  FakeApiServer server([](FakeExchange& ex) {
    ex.Respond(200, "{}");
    ex.Close();  // without "Connection: close": the client pools a dead connection
  });
  ApiClient client(io.ioc(), server.Config());
  ASSERT_EQ(Get(io, client, "/api").status, 200);
  ApiResponse second = Get(io, client, "/api");
  EXPECT_EQ(second.status, 200) << second.error;
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(ApiClientTest, DoesNotResendAPostThatMayHaveArrived) {
  IoThread io;
  FakeApiServer server([](FakeExchange& ex) {
    if (ex.request().method == "POST") {
      ex.Close();  // read the request, then died before answering
    } else {
      ex.Respond(200, "{}");
    }
  });
  ApiClient client(io.ioc(), server.Config());
  ASSERT_EQ(Get(io, client, "/api").status, 200);
  ApiResponse post =
      Await(io.ioc(), Call(&client, Method::kPost, "/api/v1/bindings", "{}", RequestOptions{}));
  EXPECT_EQ(post.status, 0);
  EXPECT_FALSE(post.error.empty());
  int posts = 0;
  for (const auto& request : server.requests()) posts += request.method == "POST";
  EXPECT_EQ(posts, 1);
}

TEST(ApiClientTest, SendsTheTokenUserAgentAcceptAndBody) {
  IoThread io;
  FakeApiServer server(Answer("{}"));
  ClientConfig config = server.Config();
  config.token = "abc";
  config.user_agent = "quotient-test/1";
  config.base_path = "/prefix";
  ApiClient client(io.ioc(), config);
  RequestOptions options;
  options.content_type = "application/merge-patch+json";
  ASSERT_EQ(Await(io.ioc(),
                  Call(&client, Method::kPatch, "/api/v1/pods/x", R"({"a":1})", std::move(options)))
                .status,
            200);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "PATCH");
  EXPECT_EQ(requests[0].target, "/prefix/api/v1/pods/x");
  EXPECT_EQ(requests[0].authorization, "Bearer abc");
  EXPECT_EQ(requests[0].user_agent, "quotient-test/1");
  EXPECT_EQ(requests[0].accept, "application/json");
  EXPECT_EQ(requests[0].content_type, "application/merge-patch+json");
  EXPECT_EQ(requests[0].body, R"({"a":1})");
}

TEST(ApiClientTest, SendsBasicAuthWithoutAToken) {
  IoThread io;
  FakeApiServer server(Answer("{}"));
  ClientConfig config = server.Config();
  config.username = "user";
  config.password = "pass";
  ApiClient client(io.ioc(), config);
  ASSERT_EQ(Get(io, client, "/api").status, 200);
  EXPECT_EQ(server.requests().at(0).authorization, "Basic dXNlcjpwYXNz");
}

TEST(ApiClientTest, RereadsTheTokenFileWhenItChanges) {
  char dir_template[] = "/tmp/kube-token-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  const std::string path = dir + "/token";
  std::ofstream(path) << "first\n";
  IoThread io;
  FakeApiServer server(Answer("{}"));
  ClientConfig config = server.Config();
  config.token = "stale";
  config.token_file = path;
  ApiClient client(io.ioc(), config);
  ASSERT_EQ(Get(io, client, "/api").status, 200);
  const auto first_mtime = std::filesystem::last_write_time(path);
  std::ofstream(path) << "second\n";
  std::filesystem::last_write_time(path, first_mtime + std::chrono::seconds(2));
  ASSERT_EQ(Get(io, client, "/api").status, 200);
  const auto requests = server.requests();
  EXPECT_EQ(requests.at(0).authorization, "Bearer first");
  EXPECT_EQ(requests.at(1).authorization, "Bearer second");
  std::filesystem::remove_all(dir);
}

TEST(ApiClientTest, TimesOutAWholeRequest) {
  IoThread io;
  FakeApiServer server(Hang);
  ApiClient client(io.ioc(), server.Config());
  RequestOptions options;
  options.timeout = std::chrono::milliseconds(100);
  const auto start = std::chrono::steady_clock::now();
  ApiResponse response = Get(io, client, "/api", std::move(options));
  EXPECT_EQ(response.status, 0);
  EXPECT_THAT(response.error, HasSubstr("timed out after 100ms"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(ApiClientTest, ARefusedConnectionIsATransportError) {
  IoThread io;
  FakeApiServer server(Answer("{}"));
  server.Pause();
  ApiClient client(io.ioc(), server.Config());
  ApiResponse response = Get(io, client, "/api");
  EXPECT_EQ(response.status, 0);
  EXPECT_THAT(response.error, HasSubstr("connect 127.0.0.1:"));
}

TEST(ApiClientTest, ServesConcurrentCallsFromSeveralIoThreads) {
  IoThread io(/*threads=*/2);
  FakeApiServer server([](FakeExchange& ex) { ex.Respond(200, ex.request().target); });
  ApiClient client(io.ioc(), server.Config());
  std::vector<std::future<ApiResponse>> calls;
  for (int i = 0; i < 24; ++i) {
    calls.push_back(asio::co_spawn(io.ioc(),
                                   Call(&client, Method::kGet, "/api/" + std::to_string(i), "", {}),
                                   asio::use_future));
  }
  for (int i = 0; i < 24; ++i) {
    ASSERT_EQ(calls[i].wait_for(std::chrono::seconds(5)), std::future_status::ready);
    ApiResponse response = calls[i].get();
    EXPECT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.body.view(), "/api/" + std::to_string(i));
  }
  // Connections return to the pool: a second round opens few new ones.
  const int opened = server.connections();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Get(io, client, "/api").status, 200);
  EXPECT_EQ(server.connections(), opened);
}

TEST(ApiClientTest, StopCancelsCallsInFlightAndRefusesNewOnes) {
  IoThread io;
  FakeApiServer server(Hang);
  ApiClient client(io.ioc(), server.Config());
  auto pending =
      asio::co_spawn(io.ioc(), Call(&client, Method::kGet, "/api", "", {}), asio::use_future);
  ASSERT_TRUE(Eventually([&] { return server.requests().size() == 1; }));
  client.Stop();
  ASSERT_EQ(pending.wait_for(std::chrono::seconds(3)), std::future_status::ready);
  ApiResponse cancelled = pending.get();
  EXPECT_EQ(cancelled.status, 0);
  EXPECT_EQ(cancelled.error, "stopped");
  EXPECT_EQ(Get(io, client, "/api").error, "stopped");
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(ApiClientTest, AStopTokenCancelsOnlyItsCall) {
  IoThread io;
  FakeApiServer server([](FakeExchange& ex) {
    if (ex.request().path == "/hang") {
      Hang(ex);
    } else {
      ex.Respond(200, "{}");
    }
  });
  ApiClient client(io.ioc(), server.Config());
  std::stop_source stop;
  RequestOptions options;
  options.stop = stop.get_token();
  auto pending =
      asio::co_spawn(io.ioc(), Call(&client, Method::kGet, "/hang", "", options), asio::use_future);
  ASSERT_TRUE(Eventually([&] { return server.requests().size() == 1; }));
  stop.request_stop();
  ASSERT_EQ(pending.wait_for(std::chrono::seconds(3)), std::future_status::ready);
  EXPECT_EQ(pending.get().error, "stopped");
  EXPECT_EQ(Get(io, client, "/api").status, 200);
}

}  // namespace
}  // namespace quotient::extender::kube
