// Sidecar mode against a fake API server that keeps one Lease, written here as a
// kube-scheduler would write it. Time is a test clock: the fence moves only when the test
// moves it.
#include "extender/kube/lease_follower.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "extender/kube/fake_api_server.h"
#include "extender/kube/fake_lease_store.h"
#include "extender/kube/kube_test_util.h"

namespace quotient::extender::kube {
namespace {

using testing::Await;
using testing::FakeApiServer;
using testing::FakeExchange;
using testing::IoThread;
using testing::LeaseStore;
using namespace std::chrono_literals;

// The renewTime of a scheduler's n-th renew: one second apart, as client-go's are compared.
std::string RenewTime(int n) {
  return fmt::format("2026-12-05T08:{:02}:{:02}.000000Z", n / 60, n % 60);
}

class LeaseFollowerTest : public ::testing::Test {
 protected:
  LeaseFollowerTest()
      : server_([this](FakeExchange& ex) { store_.Serve(ex); }),
        client_(io_.ioc(), server_.Config()) {}

  std::unique_ptr<LeaseFollower> Make(const std::string& prefix = "cp-1_") {
    LeaseFollowOptions o;
    o.identity_prefix = prefix;
    o.retry_period = 2s;
    o.margin = 1s;
    return std::make_unique<LeaseFollower>(
        io_.ioc(), &client_, o, [this](bool leading) { changes_.push_back(leading); },
        [this] { return now_.load(); });
  }
  // The scheduler `holder` renews its 15 s lease (a new renewTime each time).
  void Renew(const std::string& holder) { store_.WriteHolder(holder, 15, RenewTime(++renews_)); }
  void Look(LeaseFollower& f) { Await(io_.ioc(), f.Observe()); }
  // A first look, then a renew seen 2 s later: open until 2 s before the lease runs out
  // (the fence opens at t and closes at t - 2 s + 15 s - 1 s).
  void OpenBySeeingARenew(LeaseFollower& f) {
    Renew("cp-1_0f3a");
    Look(f);
    Advance(2s);
    Renew("cp-1_0f3a");
    Look(f);
    ASSERT_TRUE(f.MayWrite());
  }
  void Advance(std::chrono::milliseconds d) { now_.store(now_.load() + d); }

  IoThread io_;
  LeaseStore store_;
  FakeApiServer server_;
  ApiClient client_;
  int renews_ = 0;
  std::vector<bool> changes_;  // on_change calls, on the test thread (Observe is awaited)
  std::atomic<LeaseFollower::Clock::time_point> now_{LeaseFollower::Clock::time_point(1h)};
};

TEST_F(LeaseFollowerTest, ARenewSeenOpensTheFenceUntilThePreviousLookPlusTheLeaseLessTheMargin) {
  auto f = Make();
  Renew("cp-1_0f3a");
  Look(*f);  // t=0: the record may be old: nothing opens
  EXPECT_FALSE(f->MayWrite());
  Advance(2s);
  Renew("cp-1_0f3a");
  Look(*f);  // t=2: renewed after the look at t=0 was sent: no takeover before 0 + 15 s
  EXPECT_TRUE(f->MayWrite());
  EXPECT_EQ(f->status().holder, "cp-1_0f3a");
  EXPECT_EQ(changes_, std::vector<bool>{true});
  Advance(11'999ms);  // t=13.999 < 0 + 15 - 1
  EXPECT_TRUE(f->MayWrite());
  Advance(1ms);  // t=14: the scheduler stopped renewing; nothing looked since
  EXPECT_FALSE(f->MayWrite());
}

TEST_F(LeaseFollowerTest, EachRenewSeenMovesTheFenceToTheLookBeforeIt) {
  auto f = Make();
  Renew("cp-1_0f3a");
  Look(*f);
  for (int i = 0; i < 10; ++i) {
    Advance(2s);
    Renew("cp-1_0f3a");
    Look(*f);
    EXPECT_TRUE(f->MayWrite()) << i;
  }
  // t=20; the last look before the last renew was sent at t=18: open until 32.
  Advance(2s);
  Look(*f);  // unchanged: moves nothing
  Advance(9'999ms);
  EXPECT_TRUE(f->MayWrite());
  Advance(1ms);
  EXPECT_FALSE(f->MayWrite());
}

TEST_F(LeaseFollowerTest, AnotherSchedulersLeaseIsFollowedAndNeverOpensTheFence) {
  auto f = Make("cp-1_");
  for (const char* holder : {"cp-2_77", "cp-10_1"}) {  // "cp-10_" is not "cp-1_"
    for (int i = 0; i < 3; ++i) {
      Renew(holder);
      Look(*f);
      Advance(2s);
      EXPECT_FALSE(f->MayWrite()) << holder;
    }
  }
  EXPECT_EQ(f->status().holder, "cp-10_1");
  EXPECT_NE(f->Why().find("(cp-1_*) does not hold kube-system/kube-scheduler; cp-10_1 does"),
            std::string::npos)
      << f->Why();
  EXPECT_TRUE(changes_.empty());
}

TEST_F(LeaseFollowerTest, AnotherHolderClosesTheFenceAtOnce) {
  auto f = Make();
  OpenBySeeingARenew(*f);
  Advance(1s);
  Renew("cp-2_77");  // the other scheduler took over (our scheduler was paused)
  Look(*f);
  EXPECT_FALSE(f->MayWrite());
  EXPECT_EQ(f->status().holder, "cp-2_77");
  EXPECT_EQ(changes_, (std::vector<bool>{true, false}));
}

TEST_F(LeaseFollowerTest, AReleasedOrDeletedLeaseClosesTheFenceAtOnce) {
  auto f = Make();
  OpenBySeeingARenew(*f);
  store_.WriteHolder("", 1, RenewTime(++renews_));  // kube-scheduler's ReleaseOnCancel
  Look(*f);
  EXPECT_FALSE(f->MayWrite());
  OpenBySeeingARenew(*f);
  store_.Delete();
  Look(*f);
  EXPECT_FALSE(f->MayWrite());
  EXPECT_NE(f->status().last_error.find("404"), std::string::npos) << f->status().last_error;
}

TEST_F(LeaseFollowerTest, FailedLooksLeaveTheFenceToCloseByTimeAndALateRenewDoesNotReopenIt) {
  auto f = Make();
  OpenBySeeingARenew(*f);  // t=2, open until 14
  store_.FailNext(6);
  for (int i = 0; i < 6; ++i) {
    Advance(2s);
    Renew("cp-1_0f3a");  // the scheduler renews, but the follower cannot see it
    Look(*f);
  }
  // t=14: closed by time, although the scheduler kept renewing.
  EXPECT_FALSE(f->MayWrite());
  EXPECT_NE(f->status().last_error.find("HTTP 500"), std::string::npos);
  Advance(2s);
  Renew("cp-1_0f3a");
  Look(*f);  // t=16: a change since the last good look (t=2): 2 + 15 - 1 = 16 is no later than now
  EXPECT_FALSE(f->MayWrite());
  EXPECT_NE(f->status().last_error.find("cannot open the fence"), std::string::npos);
  Advance(2s);
  Renew("cp-1_0f3a");
  Look(*f);  // a renew after the good look at t=16: open again
  EXPECT_TRUE(f->MayWrite());
}

TEST_F(LeaseFollowerTest, AProcessPausedPastTheFenceFindsItClosedWhenItResumes) {
  auto f = Make();
  OpenBySeeingARenew(*f);
  Advance(20s);  // SIGSTOP, then SIGCONT: no look ran meanwhile
  EXPECT_FALSE(f->MayWrite());
  // Its scheduler was paused too, and nobody took over: the record is the same. Still closed
  // until a renew after the resume is seen.
  Look(*f);
  EXPECT_FALSE(f->MayWrite());
  Advance(1s);
  Renew("cp-1_0f3a");
  Look(*f);
  EXPECT_TRUE(f->MayWrite());
}

TEST_F(LeaseFollowerTest, AChangeClientGoDoesNotSeeDoesNotMoveTheFence) {
  auto f = Make();
  OpenBySeeingARenew(*f);  // t=2, open until 14
  Advance(10s);
  // A second write in the same second, or a label: a new resourceVersion, the same record
  // at whole seconds. The other scheduler's expiry clock did not restart.
  store_.WriteHolder("cp-1_0f3a", 15, RenewTime(renews_).replace(20, 1, "5"));
  Look(*f);
  Advance(2s);
  EXPECT_FALSE(f->MayWrite());
}

TEST(LeaseChangeKeyTest, IgnoresTheResourceVersionAndFractionsOfASecond) {
  LeaseRecord a{"cp-1_x", 15,   "2026-12-05T08:00:00.100000Z", "2026-12-05T08:00:07.250000Z",
                2,        "100"};
  LeaseRecord b = a;
  b.resource_version = "101";
  b.renew_time = "2026-12-05T08:00:07.999999Z";
  EXPECT_EQ(LeaseChangeKey(a), LeaseChangeKey(b));
  b.renew_time = "2026-12-05T08:00:08.000000Z";
  EXPECT_NE(LeaseChangeKey(a), LeaseChangeKey(b));
  b = a;
  b.transitions = 3;
  EXPECT_NE(LeaseChangeKey(a), LeaseChangeKey(b));
}

TEST(LeaseFollowerLoopTest, TheLoopLeadsWhileTheSchedulerRenewsAndStopsWhenItStops) {
  IoThread io;
  LeaseStore store;
  FakeApiServer server([&](FakeExchange& ex) { store.Serve(ex); });
  ApiClient client(io.ioc(), server.Config());
  LeaseFollowOptions o;
  o.identity_prefix = "cp-1_";
  o.retry_period = 50ms;
  o.margin = 200ms;
  auto f = std::make_unique<LeaseFollower>(io.ioc(), &client, o);
  std::atomic<bool> renewing{true};
  std::thread scheduler([&] {
    for (int n = 1; renewing.load(); ++n) {
      store.WriteHolder("cp-1_0f3a", 1, RenewTime(n));  // a 1 s lease renewed every 100 ms
      std::this_thread::sleep_for(100ms);
    }
  });
  f->Start();
  EXPECT_TRUE(testing::Eventually([&] { return f->MayWrite(); }));
  renewing = false;
  scheduler.join();
  EXPECT_TRUE(testing::Eventually([&] { return !f->MayWrite(); }));
  f.reset();  // Stop, wait for the loop
}

}  // namespace
}  // namespace quotient::extender::kube
