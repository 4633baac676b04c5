// Leader election against a fake API server that keeps one Lease with resourceVersions and
// answers 409 to a stale update, as the API server does. Time is a test clock: expiry and
// the fence move only when the test moves it.
#include "extender/kube/leader_elector.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "extender/kube/fake_api_server.h"
#include "extender/kube/fake_lease_store.h"
#include "extender/kube/kube_test_util.h"
#include "extender/kube/lease.h"

namespace quotient::extender::kube {
namespace {

using testing::Await;
using testing::FakeApiServer;
using testing::FakeExchange;
using testing::IoThread;
using testing::LeaseStore;
using namespace std::chrono_literals;

constexpr char kPath[] = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/quotient";

class LeaderElectorTest : public ::testing::Test {
 protected:
  LeaderElectorTest()
      : server_([this](FakeExchange& ex) { store_.Serve(ex); }),
        client_(io_.ioc(), server_.Config()) {}

  std::unique_ptr<LeaderElector> Make(const std::string& identity) {
    LeaderElectionOptions o;
    o.identity = identity;
    o.lease_duration = 15s;
    o.renew_deadline = 10s;
    o.retry_period = 2s;
    return std::make_unique<LeaderElector>(io_.ioc(), &client_, o, nullptr,
                                           [this] { return now_.load(); });
  }
  void Attempt(LeaderElector& e) { Await(io_.ioc(), e.TryAcquireOrRenew()); }
  void Advance(std::chrono::milliseconds d) { now_.store(now_.load() + d); }

  IoThread io_;
  LeaseStore store_;
  FakeApiServer server_;
  ApiClient client_;
  std::atomic<LeaderElector::Clock::time_point> now_{LeaderElector::Clock::time_point(1h)};
};

TEST_F(LeaderElectorTest, AMissingLeaseIsCreatedAndLed) {
  auto a = Make("a_1");
  EXPECT_FALSE(a->MayWrite());
  Attempt(*a);
  EXPECT_TRUE(a->MayWrite());
  ASSERT_TRUE(store_.lease().has_value());
  EXPECT_EQ(store_.lease()->holder, "a_1");
  EXPECT_EQ(store_.lease()->duration_seconds, 15);
  EXPECT_EQ(store_.lease()->transitions, 0);
  EXPECT_EQ(a->status().holder, "a_1");
}

TEST_F(LeaderElectorTest, ALeaseHeldByALiveReplicaIsFollowedNotTaken) {
  auto a = Make("a_1");
  auto b = Make("b_1");
  Attempt(*a);
  Attempt(*b);
  EXPECT_TRUE(a->MayWrite());
  EXPECT_FALSE(b->MayWrite());
  EXPECT_EQ(b->status().holder, "a_1");
  EXPECT_EQ(store_.puts(), 0);
  // The leader renews every retry period; the follower keeps seeing fresh changes.
  for (int i = 0; i < 10; ++i) {
    Advance(2s);
    Attempt(*a);
    Attempt(*b);
    EXPECT_TRUE(a->MayWrite()) << i;
    EXPECT_FALSE(b->MayWrite()) << i;
  }
}

TEST_F(LeaderElectorTest, ALeaseNotRenewedForItsDurationIsTakenOverWithATransition) {
  auto a = Make("a_1");
  auto b = Make("b_1");
  Attempt(*a);
  Attempt(*b);  // b observes a's record now
  Advance(14s);
  Attempt(*b);  // 14 s after the change b saw: still a's
  EXPECT_FALSE(b->MayWrite());
  Advance(2s);
  Attempt(*b);  // 16 s > 15 s: expired, taken over
  EXPECT_TRUE(b->MayWrite());
  EXPECT_EQ(store_.lease()->holder, "b_1");
  EXPECT_EQ(store_.lease()->transitions, 1);
  // a was silent all along: its fence closed at 10 s, before b could take over at 15 s.
  EXPECT_FALSE(a->MayWrite());
  Attempt(*a);  // a sees b's live lease and follows
  EXPECT_FALSE(a->MayWrite());
  EXPECT_EQ(a->status().holder, "b_1");
}

TEST_F(LeaderElectorTest, APausedLeaderWritesNothingWhenItResumesUntilItRenews) {
  auto a = Make("a_1");
  Attempt(*a);
  ASSERT_TRUE(a->MayWrite());
  Advance(9s);
  EXPECT_TRUE(a->MayWrite());
  Advance(2s);  // as if SIGSTOPped past the renew deadline: no attempt ran meanwhile
  EXPECT_FALSE(a->MayWrite());
  Attempt(*a);  // nobody took the lease: renewing reopens the fence
  EXPECT_TRUE(a->MayWrite());
}

TEST_F(LeaderElectorTest, ALeaderThatSeesAnotherHolderStopsAtOnce) {
  auto a = Make("a_1");
  Attempt(*a);
  ASSERT_TRUE(a->MayWrite());
  store_.WriteHolder("b_1", 15);  // b took over while a was paused
  Advance(1s);
  Attempt(*a);
  EXPECT_FALSE(a->MayWrite());
  EXPECT_EQ(a->status().holder, "b_1");
}

TEST_F(LeaderElectorTest, FailedRenewsKeepTheFenceOnlyUntilTheRenewDeadline) {
  auto a = Make("a_1");
  Attempt(*a);
  store_.FailNext(100);
  Advance(4s);
  Attempt(*a);
  EXPECT_TRUE(a->MayWrite());  // 4 s < 10 s since the last renew was sent
  EXPECT_NE(a->status().last_error.find("HTTP 500"), std::string::npos) << a->status().last_error;
  Advance(7s);
  Attempt(*a);
  EXPECT_FALSE(a->MayWrite());
}

TEST(LeaderElectorTimeoutTest, ALeaseRequestThatHangsEndsAtTheRenewDeadline) {
  IoThread io;
  std::atomic<bool> answer{false};
  FakeApiServer server([&](FakeExchange& ex) {
    ex.WaitFor([&] { return answer.load(); }, 10s);
    ex.Respond(500, "{}");
  });
  ApiClient client(io.ioc(), server.Config());
  LeaderElectionOptions o;
  o.identity = "a_1";
  o.lease_duration = 1s;
  o.renew_deadline = std::chrono::milliseconds(300);
  o.retry_period = std::chrono::milliseconds(200);
  LeaderElector e(io.ioc(), &client, o);
  const auto start = std::chrono::steady_clock::now();
  Await(io.ioc(), e.TryAcquireOrRenew());
  // Not the client's 30 s default: the next attempt is not held back past the lease.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_NE(e.status().last_error.find("timed out"), std::string::npos) << e.status().last_error;
  EXPECT_FALSE(e.MayWrite());
  answer = true;
}

TEST_F(LeaderElectorTest, ReleaseFreesTheLeaseForTheNextReplicaAtOnce) {
  auto a = Make("a_1");
  auto b = Make("b_1");
  Attempt(*a);
  Await(io_.ioc(), a->Release());
  EXPECT_FALSE(a->MayWrite());
  EXPECT_EQ(store_.lease()->holder, "");
  Attempt(*b);
  EXPECT_TRUE(b->MayWrite());
}

TEST_F(LeaderElectorTest, TheLoopLeadsAndReleasesOnStop) {
  LeaderElectionOptions o;
  o.identity = "loop_1";
  o.lease_duration = 3s;
  o.renew_deadline = 2s;
  o.retry_period = std::chrono::milliseconds(100);
  auto e = std::make_unique<LeaderElector>(io_.ioc(), &client_, o);
  e->Start();
  ASSERT_TRUE(testing::Eventually([&] { return e->MayWrite(); }));
  e.reset();  // Stop, release, wait for the loop
  EXPECT_EQ(store_.lease()->holder, "");
}

TEST(LeaderElectionOptionsTest, FollowClientGosRules) {
  LeaderElectionOptions o;
  o.identity = "x";
  std::string error;
  EXPECT_TRUE(ValidateLeaderElection(o, &error)) << error;
  o.renew_deadline = 15s;
  EXPECT_FALSE(ValidateLeaderElection(o, &error));
  EXPECT_NE(error.find("longer than renewDeadline"), std::string::npos);
  o.renew_deadline = 2s;
  o.retry_period = 2s;
  EXPECT_FALSE(ValidateLeaderElection(o, &error));
  o = LeaderElectionOptions{};
  EXPECT_FALSE(ValidateLeaderElection(o, &error));  // no identity
  o.identity = "x";
  o.lease_duration = std::chrono::milliseconds(15500);
  EXPECT_FALSE(ValidateLeaderElection(o, &error));
}

TEST(LeaseTest, MicroTimeHasSixFractionalDigits) {
  const auto at = std::chrono::system_clock::time_point(
      std::chrono::microseconds(1'764'921'600'000'007LL));  // 2025-12-05T08:00:00.000007Z
  EXPECT_EQ(FormatMicroTime(at), "2025-12-05T08:00:00.000007Z");
}

TEST(LeaseTest, DecodeReadsWhatEncodeWrites) {
  LeaseRecord r{"a_1", 15, "2025-12-05T08:00:00.000000Z", "2025-12-05T08:00:02.000000Z", 3, "42"};
  RequestBody body = RequestBody::Copy(EncodeLease("ns", "l", r));
  LeaseRecord back;
  std::string error;
  ASSERT_TRUE(DecodeLease(body, &back, &error)) << error;
  EXPECT_EQ(back.holder, "a_1");
  EXPECT_EQ(back.duration_seconds, 15);
  EXPECT_EQ(back.acquire_time, r.acquire_time);
  EXPECT_EQ(back.renew_time, r.renew_time);
  EXPECT_EQ(back.transitions, 3);
  EXPECT_EQ(back.resource_version, "42");
  RequestBody status = RequestBody::Copy(R"({"kind":"Status","code":500})");
  EXPECT_FALSE(DecodeLease(status, &back, &error));
  EXPECT_NE(error.find("not a Lease"), std::string::npos);
}

}  // namespace
}  // namespace quotient::extender::kube
