// ApiClient::Watch against the fake API server: event framing, ends and cancellation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "extender/kube/api_client.h"
#include "extender/kube/fake_api_server.h"
#include "extender/kube/kube_test_util.h"

namespace quotient::extender::kube {
namespace {

namespace asio = boost::asio;
using testing::Await;
using ::testing::ElementsAre;
using testing::Eventually;
using testing::FakeApiServer;
using testing::FakeExchange;
using ::testing::HasSubstr;
using testing::IoThread;

// Collects the events of one watch (thread-safe: the server thread reads the count).
class Events {
 public:
  // Returns true for every event, or false from the `stop_after`-th one.
  std::function<bool(RequestBody&)> Callback(size_t stop_after = 0) {
    return [this, stop_after](RequestBody& event) {
      std::lock_guard lock(mu_);
      // The copy is padded for simdjson: the bytes past the end are readable.
      padded_ = padded_ && event.data()[event.size()] == '\0';
      lines_.emplace_back(event.view());
      count_ = lines_.size();
      return stop_after == 0 || lines_.size() < stop_after;
    };
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }
  size_t count() const { return count_.load(); }
  bool padded() const {
    std::lock_guard lock(mu_);
    return padded_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
  bool padded_ = true;
  std::atomic<size_t> count_{0};
};

asio::awaitable<WatchResult> RunWatch(ApiClient* client, std::string target,
                                      std::function<bool(RequestBody&)> on_event,
                                      WatchOptions options) {
  WatchResult result = co_await client->Watch(target, on_event, options);
  co_return result;
}

WatchResult Watch(IoThread& io, ApiClient& client, Events& events, WatchOptions options = {},
                  size_t stop_after = 0) {
  return Await(io.ioc(), RunWatch(&client, "/api/v1/pods?watch=1", events.Callback(stop_after),
                                  std::move(options)));
}

TEST(WatchTest, DeliversEachLineOfAStreamSplitAnywhere) {
  IoThread io;
  Events events;
  FakeApiServer server([&](FakeExchange& ex) {
    ex.StartChunked(200);
    ex.Send("{\"a\":1}\n{\"b\"");
    ex.WaitFor([&] { return events.count() >= 1; });  // the client holds half a line
    ex.Send(":2}\r\n\n   \n");
    ex.Send("{\"c\":");
    ex.Send("3}\n");
    ex.End();
  });
  ApiClient client(io.ioc(), server.Config());
  WatchResult result = Watch(io, client, events);
  EXPECT_EQ(result.end, WatchEnd::kServerClosed);
  EXPECT_EQ(result.events, 3u);
  EXPECT_THAT(events.lines(), ElementsAre("{\"a\":1}", "{\"b\":2}", "{\"c\":3}"));
  EXPECT_TRUE(events.padded());
  EXPECT_EQ(server.requests().at(0).target, "/api/v1/pods?watch=1");
}

TEST(WatchTest, DeliversAnUnterminatedLastLineAtACleanEnd) {
  IoThread io;
  Events events;
  FakeApiServer server([](FakeExchange& ex) {
    ex.StartChunked(200);
    ex.Send("{\"a\":1}");
    ex.End();
  });
  ApiClient client(io.ioc(), server.Config());
  EXPECT_EQ(Watch(io, client, events).end, WatchEnd::kServerClosed);
  EXPECT_THAT(events.lines(), ElementsAre("{\"a\":1}"));
}

TEST(WatchTest, ADroppedConnectionEndsTheStreamWithoutItsPartialLine) {
  IoThread io;
  Events events;
  FakeApiServer server([](FakeExchange& ex) {
    ex.StartChunked(200);
    ex.Send("{\"a\":1}\n{\"b\":");
    ex.Close();
  });
  ApiClient client(io.ioc(), server.Config());
  EXPECT_EQ(Watch(io, client, events).end, WatchEnd::kServerClosed);
  EXPECT_THAT(events.lines(), ElementsAre("{\"a\":1}"));
}

TEST(WatchTest, ARefusedWatchIsAnHttpErrorWithTheStatusBody) {
  IoThread io;
  Events events;
  FakeApiServer server([](FakeExchange& ex) {
    ex.Respond(410, R"({"kind":"Status","reason":"Expired","code":410})");
  });
  ApiClient client(io.ioc(), server.Config());
  WatchResult result = Watch(io, client, events);
  EXPECT_EQ(result.end, WatchEnd::kHttpError);
  EXPECT_EQ(result.status, 410);
  EXPECT_THAT(result.error, HasSubstr("Expired"));
  EXPECT_EQ(events.count(), 0u);
}

TEST(WatchTest, AnEventOverTheLimitEndsTheWatch) {
  IoThread io;
  Events events;
  FakeApiServer server([](FakeExchange& ex) {
    ex.StartChunked(200);
    ex.Send("{\"small\":1}\n");
    ex.Send("{\"big\":\"" + std::string(5000, 'x') + "\"}\n");
    ex.Send("{\"after\":1}\n");
    ex.End();
  });
  ApiClient client(io.ioc(), server.Config());
  WatchOptions options;
  options.max_event_bytes = 1000;
  WatchResult result = Watch(io, client, events, options);
  EXPECT_EQ(result.end, WatchEnd::kTooLarge);
  EXPECT_THAT(events.lines(), ElementsAre("{\"small\":1}"));
}

TEST(WatchTest, AnIdleStreamTimesOut) {
  IoThread io;
  Events events;
  FakeApiServer server([](FakeExchange& ex) {
    ex.StartChunked(200);
    ex.Send("{\"a\":1}\n");
    ex.WaitFor([] { return false; });
  });
  ApiClient client(io.ioc(), server.Config());
  WatchOptions options;
  options.idle_timeout = std::chrono::milliseconds(100);
  WatchResult result = Watch(io, client, events, options);
  EXPECT_EQ(result.end, WatchEnd::kTransport);
  EXPECT_THAT(result.error, HasSubstr("timed out"));
  EXPECT_EQ(events.count(), 1u);
}

TEST(WatchTest, TheCallbackCanEndTheWatch) {
  IoThread io;
  Events events;
  FakeApiServer server([](FakeExchange& ex) {
    ex.StartChunked(200);
    ex.Send("{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
    ex.WaitFor([] { return false; });
  });
  ApiClient client(io.ioc(), server.Config());
  WatchResult result = Watch(io, client, events, {}, /*stop_after=*/2);
  EXPECT_EQ(result.end, WatchEnd::kStopped);
  EXPECT_EQ(events.count(), 2u);
}

TEST(WatchTest, StopEndsAnOpenWatch) {
  IoThread io;
  Events events;
  FakeApiServer server([](FakeExchange& ex) {
    ex.StartChunked(200);
    ex.WaitFor([] { return false; });
  });
  ApiClient client(io.ioc(), server.Config());
  auto pending = asio::co_spawn(
      io.ioc(), RunWatch(&client, "/api/v1/pods?watch=1", events.Callback(), WatchOptions{}),
      asio::use_future);
  ASSERT_TRUE(Eventually([&] { return server.requests().size() == 1; }));
  client.Stop();
  ASSERT_EQ(pending.wait_for(std::chrono::seconds(3)), std::future_status::ready);
  EXPECT_EQ(pending.get().end, WatchEnd::kStopped);
}

TEST(WatchTest, ARefusedConnectionIsATransportEnd) {
  IoThread io;
  Events events;
  FakeApiServer server([](FakeExchange& ex) { ex.Respond(200, ""); });
  server.Pause();
  ApiClient client(io.ioc(), server.Config());
  WatchResult result = Watch(io, client, events);
  EXPECT_EQ(result.end, WatchEnd::kTransport);
  EXPECT_THAT(result.error, HasSubstr("connect"));
}

}  // namespace
}  // namespace quotient::extender::kube
