// The bound on the client's request connections (ConnectionSlots inside ApiClient): many
// concurrent requests share at most config.max_connections, wait in line in order, give up
// at their deadline, and leave watches alone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "extender/kube/api_client.h"
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

asio::awaitable<ApiResponse> Call(ApiClient* client, std::string target, RequestOptions options) {
  ApiResponse response = co_await client->Request(Method::kGet, target, "", options);
  co_return response;
}

std::future<ApiResponse> Spawn(IoThread& io, ApiClient& client, const std::string& target,
                               RequestOptions options = {}) {
  return asio::co_spawn(io.ioc(), Call(&client, target, std::move(options)), asio::use_future);
}

ClientConfig Limited(const FakeApiServer& server, int max_connections) {
  ClientConfig config = server.Config();
  config.max_connections = max_connections;
  config.qps = 100'000;  // the rate limit is not under test
  config.burst = 100'000;
  return config;
}

class CountingObserver : public ClientObserver {
 public:
  void OnSlotWait(std::chrono::nanoseconds waited, bool acquired) override {
    std::lock_guard lock(mu_);
    (acquired ? waits_ : abandoned_).push_back(waited);
  }
  void OnRequest(Method, int status, std::chrono::nanoseconds) override {
    std::lock_guard lock(mu_);
    statuses_.push_back(status);
  }
  size_t waited_longer_than(std::chrono::nanoseconds d) {
    std::lock_guard lock(mu_);
    return std::count_if(waits_.begin(), waits_.end(), [d](auto w) { return w > d; });
  }
  size_t abandoned() {
    std::lock_guard lock(mu_);
    return abandoned_.size();
  }
  size_t requests() {
    std::lock_guard lock(mu_);
    return statuses_.size();
  }

 private:
  std::mutex mu_;
  std::vector<std::chrono::nanoseconds> waits_, abandoned_;
  std::vector<int> statuses_;
};

// Holds each request until `held` requests are in the server at once (or 2 ms passed), so
// that concurrent requests really overlap, and records the most seen at once.
struct Overlap {
  std::atomic<int> now{0};
  std::atomic<int> most{0};
  void Serve(FakeExchange& ex, int held) {
    const int n = ++now;
    int seen = most.load();
    while (n > seen && !most.compare_exchange_weak(seen, n)) {
    }
    ex.WaitFor([&] { return now.load() >= held; }, std::chrono::milliseconds(2));
    --now;
    ex.Respond(200, ex.request().target);
  }
};

TEST(ApiClientPoolTest, TwoHundredConcurrentRequestsShareTheBoundAndAllComplete) {
  IoThread io(/*threads=*/2);
  Overlap overlap;
  FakeApiServer server([&](FakeExchange& ex) { overlap.Serve(ex, 4); });
  auto observer = std::make_shared<CountingObserver>();
  ApiClient client(io.ioc(), Limited(server, 4), observer);
  std::vector<std::future<ApiResponse>> calls;
  for (int i = 0; i < 200; ++i) calls.push_back(Spawn(io, client, "/api/" + std::to_string(i)));
  int64_t most_open = 0;
  for (int i = 0; i < 200; ++i) {
    while (calls[i].wait_for(std::chrono::milliseconds(1)) != std::future_status::ready) {
      most_open = std::max(most_open, client.pool_stats().open);
    }
    ApiResponse response = calls[i].get();
    EXPECT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.body.view(), "/api/" + std::to_string(i));
  }
  EXPECT_LE(server.connections(), 4);  // ever opened: the idle pool keeps all four
  EXPECT_LE(overlap.most.load(), 4);
  EXPECT_LE(most_open, 4);
  EXPECT_EQ(observer->requests(), 200u);
  EXPECT_GT(observer->waited_longer_than(std::chrono::nanoseconds(0)), 0u);  // some queued
  ClientPoolStats idle = client.pool_stats();
  EXPECT_EQ(idle.in_use, 0);
  EXPECT_EQ(idle.waiting, 0);
  EXPECT_LE(idle.open, 4);
  EXPECT_EQ(idle.limit, 4);
  EXPECT_EQ(idle.opened_requests, static_cast<uint64_t>(server.connections()));
}

TEST(ApiClientPoolTest, QueuedRequestsAreServedFirstInFirstOut) {
  IoThread io;
  std::atomic<bool> release{false};
  FakeApiServer server([&](FakeExchange& ex) {
    if (ex.request().path == "/hold") ex.WaitFor([&] { return release.load(); });
    ex.Respond(200, "{}");
  });
  ApiClient client(io.ioc(), Limited(server, 1));
  auto hold = Spawn(io, client, "/hold");
  ASSERT_TRUE(Eventually([&] { return server.requests().size() == 1; }));
  std::vector<std::future<ApiResponse>> queued;
  for (int i = 0; i < 5; ++i) {
    queued.push_back(Spawn(io, client, "/q" + std::to_string(i)));
    ASSERT_TRUE(Eventually([&] { return client.pool_stats().waiting == i + 1; }));
  }
  release = true;
  EXPECT_EQ(hold.get().status, 200);
  for (auto& q : queued) EXPECT_EQ(q.get().status, 200);
  std::vector<std::string> order;
  for (const auto& r : server.requests()) order.push_back(r.path);
  EXPECT_THAT(order, ::testing::ElementsAre("/hold", "/q0", "/q1", "/q2", "/q3", "/q4"));
  EXPECT_EQ(server.connections(), 1);
}

TEST(ApiClientPoolTest, ARequestStillInLineAtItsDeadlineFailsWithoutBeingSent) {
  IoThread io;
  std::atomic<bool> release{false};
  FakeApiServer server([&](FakeExchange& ex) {
    ex.WaitFor([&] { return release.load(); });
    ex.Respond(200, "{}");
  });
  auto observer = std::make_shared<CountingObserver>();
  ApiClient client(io.ioc(), Limited(server, 1), observer);
  auto hold = Spawn(io, client, "/hold");
  ASSERT_TRUE(Eventually([&] { return server.requests().size() == 1; }));
  RequestOptions quick;
  quick.timeout = std::chrono::milliseconds(100);
  ApiResponse late = Spawn(io, client, "/late", quick).get();
  EXPECT_EQ(late.status, 0);
  EXPECT_THAT(late.error, HasSubstr("waiting for a connection"));
  EXPECT_EQ(observer->abandoned(), 1u);
  EXPECT_EQ(client.pool_stats().waiting, 0);
  release = true;
  EXPECT_EQ(hold.get().status, 200);
  // The slot it never took is not lost: the next request gets the one connection.
  EXPECT_EQ(Spawn(io, client, "/next").get().status, 200);
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(server.connections(), 1);
}

class SwitchFence : public WriteFence {
 public:
  bool MayWrite() const override { return open.load(); }
  std::string Why() const override { return "not the leader: test"; }
  std::atomic<bool> open{true};
};

// Leader election: a write that passed its fence, then waited in line while the lease was
// lost, must not leave the process; the slot it took goes on to the next request.
TEST(ApiClientPoolTest, AWriteWhoseFenceClosedWhileItWaitedInLineIsNotSent) {
  IoThread io;
  std::atomic<bool> release{false};
  FakeApiServer server([&](FakeExchange& ex) {
    if (ex.request().path == "/hold") ex.WaitFor([&] { return release.load(); });
    ex.Respond(200, "{}");
  });
  ApiClient client(io.ioc(), Limited(server, 1));
  auto hold = Spawn(io, client, "/hold");
  ASSERT_TRUE(Eventually([&] { return server.requests().size() == 1; }));
  SwitchFence fence;
  RequestOptions fenced;
  fenced.fence = &fence;
  auto write = Spawn(io, client, "/write", fenced);
  ASSERT_TRUE(Eventually([&] { return client.pool_stats().waiting == 1; }));
  fence.open = false;
  release = true;
  EXPECT_EQ(hold.get().status, 200);
  ApiResponse refused = write.get();
  EXPECT_EQ(refused.status, 0);
  EXPECT_EQ(refused.error, "not the leader: test");
  EXPECT_EQ(client.pool_stats().in_use, 0);
  EXPECT_EQ(Spawn(io, client, "/next").get().status, 200);
  std::vector<std::string> sent;
  for (const auto& r : server.requests()) sent.push_back(r.path);
  EXPECT_THAT(sent, ::testing::ElementsAre("/hold", "/next"));
}

// Opens for the first `checks` checks, closed after: the lease lapses between the check
// after the slot and the send (a new connection's TCP and TLS handshakes take that long).
class CountdownFence : public WriteFence {
 public:
  explicit CountdownFence(int checks) : left_(checks) {}
  bool MayWrite() const override { return left_.fetch_sub(1) > 0; }
  std::string Why() const override { return "not the leader: lapsed"; }

 private:
  mutable std::atomic<int> left_;
};

TEST(ApiClientPoolTest, AWriteWhoseFenceClosedWhileItConnectedIsNotSent) {
  IoThread io;
  FakeApiServer server([](FakeExchange& ex) { ex.Respond(200, "{}"); });
  ApiClient client(io.ioc(), Limited(server, 1));
  CountdownFence fence(1);  // passes the check after the slot, fails the one before sending
  RequestOptions fenced;
  fenced.fence = &fence;
  ApiResponse refused = Spawn(io, client, "/write", fenced).get();
  EXPECT_EQ(refused.status, 0);
  EXPECT_EQ(refused.error, "not the leader: lapsed");
  EXPECT_EQ(client.pool_stats().in_use, 0);
  // The connection it opened and never used goes on to the next request.
  EXPECT_EQ(Spawn(io, client, "/next").get().status, 200);
  std::vector<std::string> sent;
  for (const auto& r : server.requests()) sent.push_back(r.path);
  EXPECT_THAT(sent, ::testing::ElementsAre("/next"));
  EXPECT_EQ(server.connections(), 1);
}

TEST(ApiClientPoolTest, StopWakesRequestsWaitingInLine) {
  IoThread io;
  FakeApiServer server(
      [](FakeExchange& ex) { ex.WaitFor([] { return false; }, std::chrono::seconds(5)); });
  ApiClient client(io.ioc(), Limited(server, 1));
  auto hold = Spawn(io, client, "/hold");
  ASSERT_TRUE(Eventually([&] { return server.requests().size() == 1; }));
  auto queued = Spawn(io, client, "/queued");
  ASSERT_TRUE(Eventually([&] { return client.pool_stats().waiting == 1; }));
  client.Stop();
  ASSERT_EQ(queued.wait_for(std::chrono::seconds(3)), std::future_status::ready);
  EXPECT_EQ(queued.get().error, "stopped");
  EXPECT_EQ(hold.get().error, "stopped");
  EXPECT_EQ(client.pool_stats().in_use, 0);
}

TEST(ApiClientPoolTest, AnOpenWatchTakesNoRequestSlot) {
  IoThread io;
  FakeApiServer server([](FakeExchange& ex) {
    if (ex.request().HasParam("watch")) {
      ex.StartChunked(200);
      ex.WaitFor([] { return false; }, std::chrono::seconds(5));
      return;
    }
    ex.Respond(200, "{}");
  });
  ApiClient client(io.ioc(), Limited(server, 1));
  std::stop_source stop_watch;
  auto watch = asio::co_spawn(
      io.ioc(),
      [&]() -> asio::awaitable<WatchResult> {
        std::string target = "/api/v1/pods?watch=1";
        std::function<bool(RequestBody&)> on_event = [](RequestBody&) { return true; };
        WatchOptions options;
        options.stop = stop_watch.get_token();
        WatchResult r = co_await client.Watch(target, on_event, options);
        co_return r;
      },
      asio::use_future);
  ASSERT_TRUE(Eventually([&] { return client.pool_stats().watches == 1; }));
  EXPECT_EQ(Spawn(io, client, "/api/v1/nodes").get().status, 200);
  EXPECT_EQ(Spawn(io, client, "/api/v1/nodes").get().status, 200);
  ClientPoolStats s = client.pool_stats();
  EXPECT_EQ(s.open, 1);
  EXPECT_EQ(s.watches, 1);
  EXPECT_EQ(s.opened_requests, 1u);
  EXPECT_EQ(s.opened_watches, 1u);
  stop_watch.request_stop();
  ASSERT_EQ(watch.wait_for(std::chrono::seconds(3)), std::future_status::ready);
  EXPECT_EQ(watch.get().end, WatchEnd::kStopped);
  EXPECT_TRUE(Eventually([&] { return client.pool_stats().watches == 0; }));
}

}  // namespace
}  // namespace quotient::extender::kube
