// Reflector against the fake API server: list pagination, watch events, relists,
// rewatches, skipped input, backoff and reconnection.
#include "extender/kube/reflector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "extender/kube/fake_api_server.h"
#include "extender/kube/kube_test_util.h"
#include "extender/kube/recording_sink.h"

namespace quotient::extender::kube {
namespace {

namespace od = json::od;
using ::testing::ElementsAre;
using testing::Event;
using testing::Eventually;
using testing::FakeApiServer;
using testing::FakeExchange;
using testing::FakeRequest;
using ::testing::HasSubstr;
using testing::IoThread;
using testing::Obj;
using testing::RecordingSink;
using testing::Status;

class ReflectorTest : public ::testing::Test {
 protected:
  using Script = std::function<void(FakeExchange&, int index)>;

  ReflectorTest()
      : io_(/*threads=*/2),
        server_([this](FakeExchange& ex) { Serve(ex); }),
        client_(io_.ioc(), server_.Config()) {
    for (const char* name : {"a", "b", "c", "d", "e"}) objects_[name] = 10;
    options_.name = "pods";
    options_.list_path = "/api/v1/pods";
    options_.page_size = 2;
    options_.resync_interval = std::chrono::milliseconds(0);
    options_.initial_backoff = std::chrono::milliseconds(2);
    options_.max_backoff = std::chrono::milliseconds(20);
    options_.watch.connect_timeout = std::chrono::seconds(2);
  }

  // Scripts run on the server's connection threads; set them before Start().
  void OnList(Script script) { list_script_ = std::move(script); }
  void OnWatch(Script script) { watch_script_ = std::move(script); }

  void Start() {
    reflector_ = std::make_unique<Reflector>(io_.ioc(), &client_, options_, &sink_);
    reflector_->Start();
  }
  ReflectorStatus status() const { return reflector_->status(); }

  // Requests that started a list (no continue token), and watch requests.
  std::vector<FakeRequest> Lists() const { return Filter(false, true); }
  std::vector<FakeRequest> Pages() const { return Filter(false, false); }
  std::vector<FakeRequest> Watches() const { return Filter(true, false); }

  // The default list: the objects by name, page_size per page, resourceVersion 100.
  void ServeList(FakeExchange& ex) {
    std::lock_guard lock(mu_);
    const FakeRequest& r = ex.request();
    const size_t offset = r.HasParam("continue") ? std::stoul(r.Param("continue").substr(4)) : 0;
    const size_t limit = r.HasParam("limit") ? std::stoul(r.Param("limit")) : objects_.size();
    std::string items;
    size_t index = 0;
    for (const auto& [name, rv] : objects_) {
      if (index >= offset && index < offset + limit) {
        items += (items.empty() ? "" : ",") + Obj(name, rv);
      }
      ++index;
    }
    const bool more = offset + limit < objects_.size();
    const std::string cont =
        more ? R"(,"continue":"tok-)" + std::to_string(offset + limit) + "\"" : "";
    // Items first, then metadata: the reflector must not depend on the order.
    ex.Respond(200, R"({"kind":"PodList","apiVersion":"v1","items":[)" + items +
                        R"(],"metadata":{"resourceVersion":"100")" + cont + "}}");
  }

  static void Hang(FakeExchange& ex) {
    ex.WaitFor([] { return false; }, std::chrono::seconds(10));
  }
  static void Stream(FakeExchange& ex, const std::string& text) {
    ex.StartChunked(200);
    ex.Send(text);
  }

  IoThread io_;
  std::mutex mu_;
  std::map<std::string, int64_t> objects_;  // guarded by mu_: the server's collection
  Script list_script_;
  Script watch_script_;
  std::atomic<int> lists_served_{0};
  std::atomic<int> watches_served_{0};
  FakeApiServer server_;
  ApiClient client_;
  ReflectorOptions options_;
  RecordingSink sink_;
  std::unique_ptr<Reflector> reflector_;

 private:
  void Serve(FakeExchange& ex) {
    if (ex.request().HasParam("watch")) {
      const int index = watches_served_++;
      if (watch_script_) {
        watch_script_(ex, index);
      } else {
        Stream(ex, "");
        Hang(ex);
      }
      return;
    }
    const int index = ex.request().HasParam("continue") ? lists_served_.load() : lists_served_++;
    if (list_script_) {
      list_script_(ex, index);
    } else {
      ServeList(ex);
    }
  }
  std::vector<FakeRequest> Filter(bool watch, bool starts_only) const {
    std::vector<FakeRequest> out;
    for (const FakeRequest& r : server_.requests()) {
      if (r.HasParam("watch") != watch) continue;
      if (starts_only && r.HasParam("continue")) continue;
      out.push_back(r);
    }
    return out;
  }
};

TEST_F(ReflectorTest, ListsEveryPageThenWatchesFromTheListVersion) {
  Start();
  ASSERT_TRUE(Eventually([&] { return !Watches().empty(); }));
  const auto pages = Pages();
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_EQ(pages[0].target, "/api/v1/pods?limit=2");
  EXPECT_EQ(pages[1].Param("continue"), "tok-2");
  EXPECT_EQ(pages[2].Param("continue"), "tok-4");
  const FakeRequest watch = Watches().at(0);
  EXPECT_EQ(watch.Param("watch"), "1");
  EXPECT_EQ(watch.Param("allowWatchBookmarks"), "true");
  EXPECT_EQ(watch.Param("resourceVersion"), "100");
  const int timeout = std::stoi(watch.Param("timeoutSeconds"));
  EXPECT_GE(timeout, 300);
  EXPECT_LT(timeout, 600);
  EXPECT_EQ(sink_.objects().size(), 5u);
  EXPECT_EQ(sink_.begins(), 1);
  EXPECT_EQ(sink_.ends(), 1);
  const ReflectorStatus s = status();
  EXPECT_TRUE(s.synced);
  EXPECT_TRUE(s.connected);
  EXPECT_EQ(s.lists, 1u);
  EXPECT_EQ(s.resource_version, "100");
  EXPECT_EQ(s.failures, 0u);
}

TEST_F(ReflectorTest, AppliesWatchEventsSplitMidLine) {
  OnWatch([&](FakeExchange& ex, int) {
    const std::string first = Event("ADDED", Obj("f", 101));
    const std::string events =
        first + Event("MODIFIED", Obj("a", 102)) + Event("DELETED", Obj("b", 103));
    const size_t split = first.size() + 10;  // inside the second event
    ex.StartChunked(200);
    ex.Send(events.substr(0, 20));
    ex.Send(events.substr(20, split - 20));
    ex.WaitFor([&] { return sink_.Has("f", "101"); });
    ex.Send(events.substr(split));
    Hang(ex);
  });
  Start();
  ASSERT_TRUE(Eventually([&] { return status().events == 3; }));
  EXPECT_TRUE(sink_.Has("f", "101"));
  EXPECT_TRUE(sink_.Has("a", "102"));
  EXPECT_EQ(sink_.objects().count("b"), 0u);
  EXPECT_EQ(status().resource_version, "103");
  EXPECT_EQ(status().skipped_objects, 0u);
}

TEST_F(ReflectorTest, RewatchesFromTheLastEventOrBookmarkWhenTheStreamEnds) {
  OnWatch([&](FakeExchange& ex, int index) {
    if (index == 0) {
      // "object" before "type": keys come in any order.
      Stream(ex, R"({"object":)" + Obj("g", 120) + R"(,"type":"ADDED"})" + "\n");
      ex.End();
    } else if (index == 1) {
      Stream(ex, Event("BOOKMARK", R"({"kind":"Pod","metadata":{"resourceVersion":"150"}})"));
      ex.End();
    } else {
      Stream(ex, "");
      Hang(ex);
    }
  });
  Start();
  ASSERT_TRUE(Eventually([&] { return Watches().size() == 3; }));
  const auto watches = Watches();
  EXPECT_EQ(watches[0].Param("resourceVersion"), "100");
  EXPECT_EQ(watches[1].Param("resourceVersion"), "120");
  EXPECT_EQ(watches[2].Param("resourceVersion"), "150");
  EXPECT_TRUE(sink_.Has("g", "120"));
  const ReflectorStatus s = status();
  EXPECT_EQ(s.events, 1u);  // the bookmark is not an event
  EXPECT_EQ(s.lists, 1u);
  EXPECT_EQ(s.watch_restarts, 2u);
  EXPECT_EQ(s.failures, 0u);
}

TEST_F(ReflectorTest, RelistsOnAnExpiredErrorEvent) {
  OnWatch([&](FakeExchange& ex, int index) {
    if (index == 0) {
      Stream(ex, Event("ADDED", Obj("f", 101)) + Event("ERROR", Status(410, "Expired")));
    } else {
      Stream(ex, "");
    }
    Hang(ex);
  });
  Start();
  ASSERT_TRUE(Eventually([&] { return status().lists == 2; }));
  EXPECT_EQ(status().relists_gone, 1u);
  EXPECT_EQ(sink_.begins(), 2);
  EXPECT_EQ(sink_.objects().count("f"), 0u);  // not in the relist: gone
  EXPECT_EQ(Lists().size(), 2u);
}

TEST_F(ReflectorTest, RelistsWhenTheWatchIsAnswered410) {
  OnWatch([&](FakeExchange& ex, int index) {
    if (index == 0) {
      ex.Respond(410, Status(410, "Gone"));
    } else {
      Stream(ex, "");
      Hang(ex);
    }
  });
  Start();
  ASSERT_TRUE(Eventually([&] { return status().lists == 2 && Watches().size() == 2; }));
  EXPECT_EQ(status().relists_gone, 1u);
  EXPECT_EQ(status().failures, 0u);
}

TEST_F(ReflectorTest, SkipsLinesItCannotUseAndKeepsWatching) {
  OnWatch([&](FakeExchange& ex, int) {
    Stream(ex, "not json at all\n" + Event("ADDED", R"({"metadata":{}})") + "[1,2,3]\n" +
                   Event("SURPRISE", Obj("x", 1)) + Event("ADDED", Obj("h", 130)));
    Hang(ex);
  });
  Start();
  ASSERT_TRUE(Eventually([&] { return sink_.Has("h", "130"); }));
  const ReflectorStatus s = status();
  EXPECT_EQ(s.skipped_objects, 4u);
  EXPECT_EQ(s.skipped_by_reason[static_cast<size_t>(SkipReason::kRefused)], 1u);  // no name
  EXPECT_EQ(s.skipped_by_reason[static_cast<size_t>(SkipReason::kBadEvent)], 3u);
  EXPECT_EQ(s.events, 1u);
  EXPECT_EQ(s.lists, 1u);
  EXPECT_EQ(s.failures, 0u);
  EXPECT_EQ(Watches().size(), 1u);
}

TEST_F(ReflectorTest, AnObjectTheSinkThrowsOnIsSkippedAndTheWatchGoesOn) {
  objects_["boom"] = 10;  // listed too
  sink_.ThrowOn("boom");
  OnWatch([&](FakeExchange& ex, int) {
    Stream(ex, Event("MODIFIED", Obj("boom", 120)) + Event("ADDED", Obj("h", 130)));
    Hang(ex);
  });
  Start();
  ASSERT_TRUE(Eventually([&] { return sink_.Has("h", "130"); }));
  const ReflectorStatus s = status();
  EXPECT_EQ(s.skipped_by_reason[static_cast<size_t>(SkipReason::kApplyFailed)], 2u);
  EXPECT_EQ(s.skipped_objects, 2u);
  EXPECT_TRUE(sink_.Has("a", "10"));  // the rest of the list was applied
  EXPECT_EQ(s.lists, 1u);
  EXPECT_EQ(s.failures, 0u);
  EXPECT_EQ(s.loop_restarts, 0u);
  EXPECT_EQ(Watches().size(), 1u);
}

TEST_F(ReflectorTest, AWatchEventThatRunsOutOfMemoryEndsTheWatchAndRelists) {
  // The sinks leave their state as it was (all or nothing): a list delivers it again.
  sink_.OutOfMemoryOn("h", 1);
  OnWatch([&](FakeExchange& ex, int index) {
    if (index == 0) {
      Stream(ex, Event("ADDED", Obj("h", 130)) + Event("ADDED", Obj("i", 140)));
    } else {
      Stream(ex, "");
    }
    Hang(ex);
  });
  Start();
  ASSERT_TRUE(Eventually([&] { return status().lists == 2 && Watches().size() == 2; }));
  const ReflectorStatus s = status();
  EXPECT_EQ(s.relists_out_of_memory, 1u);
  EXPECT_EQ(s.skipped_by_reason[static_cast<size_t>(SkipReason::kApplyFailed)], 1u);
  EXPECT_EQ(sink_.objects().count("h"), 0u);  // left as it was (absent); no list has it
  EXPECT_FALSE(sink_.Has("i", "140"));        // after the failed event: the watch had ended
  EXPECT_EQ(s.loop_restarts, 0u);
}

TEST_F(ReflectorTest, AListedObjectThatRunsOutOfMemoryLeavesTheListUnendedAndRelists) {
  // Ending that list would drop "c" as gone; it is tried again instead.
  sink_.OutOfMemoryOn("c", 1);
  OnWatch([&](FakeExchange& ex, int) {
    Stream(ex, "");
    Hang(ex);
  });
  Start();
  ASSERT_TRUE(Eventually([&] { return status().lists == 1 && Watches().size() == 1; }));
  const ReflectorStatus s = status();
  EXPECT_EQ(s.relists_out_of_memory, 1u);
  EXPECT_EQ(sink_.begins(), 2);
  EXPECT_EQ(sink_.ends(), 1);
  EXPECT_EQ(Lists().size(), 2u);
  EXPECT_TRUE(sink_.Has("c", "10"));
}

TEST(SkipReasonTest, EveryReasonIsNamedUpToTheCount) {
  for (int i = 0; i < kSkipReasonCount; ++i) {
    EXPECT_NE(SkipReasonName(static_cast<SkipReason>(i)), "unknown") << i;
  }
  EXPECT_EQ(SkipReasonName(static_cast<SkipReason>(kSkipReasonCount)), "unknown");
}

TEST_F(ReflectorTest, RelistsAfterAnOversizedEvent) {
  options_.watch.max_event_bytes = 512;
  OnWatch([&](FakeExchange& ex, int index) {
    if (index == 0) {
      Stream(ex, Event("ADDED", Obj("big", 101, R"(,"data":")" + std::string(2000, 'x') + "\"")));
    } else {
      Stream(ex, "");
    }
    Hang(ex);
  });
  Start();
  ASSERT_TRUE(Eventually([&] { return status().lists == 2; }));
  EXPECT_GE(status().failures, 1u);
  EXPECT_EQ(sink_.objects().count("big"), 0u);
}

TEST_F(ReflectorTest, BacksOffAndRewatchesAfterAServerError) {
  OnWatch([&](FakeExchange& ex, int index) {
    if (index == 0) {
      ex.Respond(500, Status(500, "InternalError"));
    } else if (index == 1) {
      Stream(ex, Event("ERROR", Status(500, "InternalError")));
      ex.End();
    } else {
      Stream(ex, "");
      Hang(ex);
    }
  });
  Start();
  ASSERT_TRUE(Eventually([&] { return Watches().size() == 3; }));
  const ReflectorStatus s = status();
  EXPECT_EQ(s.lists, 1u);
  EXPECT_EQ(s.failures, 2u);
  EXPECT_EQ(s.watch_restarts, 2u);
  EXPECT_THAT(s.last_error, HasSubstr("500"));
}

TEST_F(ReflectorTest, RetriesAFailedList) {
  OnList([&](FakeExchange& ex, int index) {
    if (index == 0) {
      ex.Respond(500, Status(500, "InternalError"));
    } else {
      ServeList(ex);
    }
  });
  Start();
  ASSERT_TRUE(Eventually([&] { return status().synced; }));
  const ReflectorStatus s = status();
  EXPECT_EQ(s.failures, 1u);
  EXPECT_TRUE(s.connected);
  EXPECT_TRUE(s.last_error.empty());
  EXPECT_EQ(sink_.objects().size(), 5u);
}

TEST_F(ReflectorTest, RestartsTheListWhenTheContinueTokenExpires) {
  std::atomic<bool> expired{false};
  OnList([&](FakeExchange& ex, int) {
    if (ex.request().HasParam("continue") && !expired.exchange(true)) {
      ex.Respond(410, Status(410, "Expired"));
    } else {
      ServeList(ex);
    }
  });
  Start();
  ASSERT_TRUE(Eventually([&] { return status().synced; }));
  EXPECT_EQ(sink_.begins(), 2);
  EXPECT_EQ(sink_.ends(), 1);
  EXPECT_EQ(sink_.objects().size(), 5u);
  EXPECT_EQ(status().lists, 1u);
  EXPECT_EQ(status().relists_gone, 1u);
}

TEST_F(ReflectorTest, RelistsEveryResyncIntervalAndDropsWhatVanished) {
  options_.resync_interval = std::chrono::milliseconds(50);
  Start();
  ASSERT_TRUE(Eventually([&] { return status().synced; }));
  {
    std::lock_guard lock(mu_);
    objects_.erase("a");  // deleted without a watch event
  }
  ASSERT_TRUE(Eventually([&] { return sink_.objects().count("a") == 0; }));
  EXPECT_GE(status().lists, 2u);
  EXPECT_EQ(status().relists_gone, 0u);
  EXPECT_EQ(status().failures, 0u);
}

TEST_F(ReflectorTest, ReconnectsWhenTheServerComesBack) {
  server_.Pause();
  Start();
  ASSERT_TRUE(Eventually([&] { return status().failures >= 2; }));
  EXPECT_FALSE(status().connected);
  EXPECT_THAT(status().last_error, HasSubstr("connect"));
  server_.Resume();
  ASSERT_TRUE(Eventually([&] { return status().synced && !Watches().empty(); }));
  EXPECT_TRUE(status().connected);
  EXPECT_EQ(sink_.objects().size(), 5u);
}

TEST_F(ReflectorTest, StopEndsAnOpenWatchPromptly) {
  Start();
  ASSERT_TRUE(Eventually([&] { return !Watches().empty(); }));
  const auto start = std::chrono::steady_clock::now();
  reflector_.reset();  // stops and waits for the loop
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace quotient::extender::kube
