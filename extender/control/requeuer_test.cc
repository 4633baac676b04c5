#include "extender/control/requeuer.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "extender/kube/fake_api_server.h"

namespace quotient::extender::state {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RequeuerTest, ThePatchSetsOneAnnotation) {
  EXPECT_EQ(Requeuer::PatchBody("2026-11-22T14:00:00Z"),
            R"({"metadata":{"annotations":{"quotient.io/requeued-at":"2026-11-22T14:00:00Z"}}})");
}

// The still-pending check is where a nudge would start its patch: `asked_` lists the pods
// a nudge chose, and answering false keeps the test off the network.
class RequeuerSetTest : public ::testing::Test {
 protected:
  std::vector<std::string> Asked() {
    std::vector<std::string> asked = asked_;
    std::sort(asked.begin(), asked.end());
    asked_.clear();
    return asked;
  }

  const Requeuer::Clock::time_point t0_ = Requeuer::Clock::now();
  boost::asio::io_context ioc_;
  kube::ApiClient client_{ioc_, kube::ClientConfig{}};
  metrics::Registry registry_;
  std::vector<std::string> asked_;
  Requeuer requeuer_{ioc_, &client_, &registry_, [this](const std::string& uid) {
                       asked_.push_back(uid);
                       return false;  // every pod has bound or gone meanwhile
                     }};
};

TEST_F(RequeuerSetTest, APodRefusedTwiceIsTrackedOnce) {
  requeuer_.NoteRefused("u1", "ns", "p1");
  requeuer_.NoteRefused("u1", "ns", "p1");
  EXPECT_EQ(requeuer_.tracked(), 1u);
}

TEST_F(RequeuerSetTest, TheSetIsBoundedByDroppingTheOldest) {
  for (size_t i = 0; i < Requeuer::kMaxTracked + 5; ++i) {
    requeuer_.NoteRefused("u" + std::to_string(i), "ns", "p");
  }
  EXPECT_EQ(requeuer_.tracked(), Requeuer::kMaxTracked);
  EXPECT_EQ(requeuer_.NudgeAll(NudgeTrigger::kQuotaReload), 0u);
  const std::vector<std::string> asked = Asked();
  EXPECT_EQ(std::count(asked.begin(), asked.end(), "u0"), 0);
  EXPECT_EQ(std::count(asked.begin(), asked.end(), "u5"), 1);
}

TEST_F(RequeuerSetTest, RefusingOnePodOverAndOverKeepsTheSetSmall) {
  for (int i = 0; i < 100'000; ++i) requeuer_.NoteRefused("u1", "ns", "p1", t0_ + milliseconds(i));
  EXPECT_EQ(requeuer_.tracked(), 1u);
  requeuer_.NoteRelease(t0_ + milliseconds(100'000));
  EXPECT_EQ(requeuer_.suspects(), 1u);
}

TEST_F(RequeuerSetTest, ANudgeSkipsPodsNoLongerWaitingAndEmptiesTheSet) {
  requeuer_.NoteRefused("u1", "ns", "p1");
  requeuer_.NoteRefused("u2", "ns", "p2");
  EXPECT_EQ(requeuer_.NudgeAll(NudgeTrigger::kQuotaReload), 0u);
  EXPECT_EQ(Asked(), (std::vector<std::string>{"u1", "u2"}));
  EXPECT_EQ(requeuer_.tracked(), 0u);
}

// The race of the e2e scenario 3 test: a half leaves, kube-scheduler retries the quarter
// at once, Quotient (not yet told) refuses it, then applies the deletion. Nothing else
// happens: the quarter is nudged once the lag window has passed.
TEST_F(RequeuerSetTest, ARefusalJustBeforeAReleaseIsNudgedOnceTheWindowPassed) {
  requeuer_.NoteRefused("quarter", "ns", "quarter", t0_);
  requeuer_.NoteRelease(t0_ + milliseconds(20));
  EXPECT_EQ(requeuer_.suspects(), 1u);
  EXPECT_EQ(requeuer_.NudgeStale(t0_ + seconds(1)), 0u);
  EXPECT_TRUE(Asked().empty()) << "still inside the window: a later change may retry it";
  requeuer_.NudgeStale(t0_ + Requeuer::kLagWindow + milliseconds(1));
  EXPECT_EQ(Asked(), (std::vector<std::string>{"quarter"}));
  EXPECT_EQ(requeuer_.tracked(), 0u);
  EXPECT_EQ(requeuer_.suspects(), 0u);
}

TEST_F(RequeuerSetTest, ARefusalLongBeforeAReleaseIsLeftToTheScheduler) {
  requeuer_.NoteRefused("old", "ns", "old", t0_);
  requeuer_.NoteRelease(t0_ + Requeuer::kLagWindow + seconds(1));
  EXPECT_EQ(requeuer_.suspects(), 0u);
  requeuer_.NudgeStale(t0_ + seconds(30));
  EXPECT_TRUE(Asked().empty());
  EXPECT_EQ(requeuer_.tracked(), 1u) << "still tracked for a quota reload";
}

TEST_F(RequeuerSetTest, ALaterChangeTheSchedulerSawAfterTheRefusalMakesTheNudgeRedundant) {
  requeuer_.NoteRefused("p", "ns", "p", t0_);
  requeuer_.NoteRelease(t0_ + milliseconds(10));
  requeuer_.NoteRelease(t0_ + Requeuer::kLagWindow + milliseconds(500));
  requeuer_.NudgeStale(t0_ + seconds(10));
  EXPECT_TRUE(Asked().empty());
  EXPECT_EQ(requeuer_.suspects(), 0u);
  EXPECT_EQ(requeuer_.tracked(), 1u);
}

TEST_F(RequeuerSetTest, APodRefusedAgainAfterTheReleaseSawTheNewStateAndIsNotNudged) {
  requeuer_.NoteRefused("p", "ns", "p", t0_);
  requeuer_.NoteRelease(t0_ + milliseconds(10));
  requeuer_.NoteRefused("p", "ns", "p", t0_ + seconds(2));  // the scheduler retried it
  requeuer_.NudgeStale(t0_ + seconds(10));
  EXPECT_TRUE(Asked().empty());
  EXPECT_EQ(requeuer_.tracked(), 1u);
}

TEST_F(RequeuerSetTest, ARefusalThatReadTheStateWhileTheReleaseWasAppliedIsSuspectToo) {
  // Noted a moment after the release: the filter may have read the state before it.
  requeuer_.NoteRelease(t0_);
  requeuer_.NoteRefused("p", "ns", "p", t0_ + milliseconds(5));
  EXPECT_EQ(requeuer_.suspects(), 1u);
  requeuer_.NoteRefused("q", "ns", "q", t0_ + Requeuer::kInFlightWindow + milliseconds(1));
  EXPECT_EQ(requeuer_.suspects(), 1u) << "q read the state after the release";
  requeuer_.NudgeStale(t0_ + seconds(10));
  EXPECT_EQ(Asked(), (std::vector<std::string>{"p"}));
}

TEST_F(RequeuerSetTest, EachSuspectIsNudgedOnce) {
  requeuer_.NoteRefused("a", "ns", "a", t0_);
  requeuer_.NoteRefused("b", "ns", "b", t0_ + milliseconds(1));
  for (int i = 0; i < 5; ++i) requeuer_.NoteRelease(t0_ + milliseconds(10 + i));
  EXPECT_EQ(requeuer_.suspects(), 2u);
  requeuer_.NudgeStale(t0_ + seconds(10));
  requeuer_.NudgeStale(t0_ + seconds(11));
  EXPECT_EQ(Asked(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(RequeuerSetTest, NudgesAreCountedByTrigger) {
  const std::string text = registry_.Render();
  for (const char* trigger : {"quota_reload", "reservation_expiry", "watch_race"}) {
    EXPECT_NE(text.find(std::string("quotient_requeue_nudges_total{trigger=\"") + trigger +
                        "\",result=\"patched\"} 0"),
              std::string::npos)
        << trigger;
  }
}

// End to end through the API client: the suspect's nudge is one merge patch of its
// annotation, counted under its trigger.
TEST(RequeuerPatchTest, AStaleRefusalIsPatchedThroughTheApi) {
  std::mutex mu;
  std::vector<kube::testing::FakeRequest> seen;
  kube::testing::FakeApiServer server([&](kube::testing::FakeExchange& ex) {
    {
      std::lock_guard lock(mu);
      seen.push_back(ex.request());
    }
    ex.Respond(200, "{}");
  });
  boost::asio::io_context ioc;
  kube::ApiClient client(ioc, server.Config());
  metrics::Registry registry;
  Requeuer requeuer(ioc, &client, &registry, [](const std::string&) { return true; });

  const Requeuer::Clock::time_point t0 = Requeuer::Clock::now();
  requeuer.NoteRefused("uid-q", "gpu-research", "quarter", t0);
  requeuer.NoteRelease(t0 + milliseconds(30));
  ASSERT_EQ(requeuer.NudgeStale(t0 + Requeuer::kLagWindow + seconds(1)), 1u);
  for (int i = 0; i < 500; ++i) {
    ioc.run_for(milliseconds(10));
    if (registry.Render().find(R"(trigger="watch_race",result="patched"} 1)") !=
        std::string::npos) {
      break;
    }
  }
  client.Stop();
  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "PATCH");
  EXPECT_EQ(seen[0].path, "/api/v1/namespaces/gpu-research/pods/quarter");
  EXPECT_EQ(seen[0].content_type, "application/merge-patch+json");
  EXPECT_NE(seen[0].body.find(R"("quotient.io/requeued-at":")"), std::string::npos) << seen[0].body;
  EXPECT_NE(registry.Render().find(R"(trigger="watch_race",result="patched"} 1)"),
            std::string::npos);
}

}  // namespace
}  // namespace quotient::extender::state
