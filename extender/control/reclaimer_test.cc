#include "extender/control/reclaimer.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <map>

#include "extender/state/state_test_util.h"
#include "quota/quota_test_util.h"

namespace quotient::extender::state {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::MakeNode;
using testing::MakePod;

// Answers evictions with `answers[name]` (default: accepted) and records every call.
class FakeEvictor : public PodEvictor {
 public:
  boost::asio::awaitable<ApiOutcome> Evict(const PodRef& pod) override {
    evicted.push_back(pod.ns + "/" + pod.name);
    auto it = answers.find(pod.name);
    co_return it == answers.end() ? ApiOutcome{} : it->second;
  }
  boost::asio::awaitable<ApiOutcome> PostEvent(const PodEvent& event) override {
    events.push_back(event.pod.name + " " + event.reason + ": " + event.message);
    co_return ApiOutcome{};
  }
  std::map<std::string, ApiOutcome> answers;
  std::vector<std::string> evicted;
  std::vector<std::string> events;
};

// Scenario 1 on four nodes of 10 cores: namespace1 and namespace2 run 4 pods of
// 5 cores each (the whole root), then pods of namespace3 wait as Unschedulable.
class ReclaimerTest : public ::testing::Test {
 protected:
  ReclaimerTest() {
    ledger_.Reload(quota::testing::Scenario1Tree().Build(), quota::Clock::now());
    for (int n = 0; n < 4; ++n) state_.UpsertNode(MakeNode("n" + std::to_string(n), 10));
    int i = 0;
    for (const char* ns : {"namespace1", "namespace2"}) {
      for (int k = 0; k < 4; ++k, ++i) {
        PodInfo pod =
            MakePod(std::string(ns) + "-" + std::to_string(k), ns, 5, "n" + std::to_string(i / 2));
        pod.phase = "Running";
        pod.creation_timestamp = fmt::format("2026-12-02T07:00:{:02}Z", i);
        state_.UpsertPod(pod);
      }
    }
  }
  PodInfo Waiting(std::string uid, std::string ns, int second = 30) {
    PodInfo pod = MakePod(std::move(uid), std::move(ns), 5);
    pod.unschedulable = true;
    pod.creation_timestamp = fmt::format("2026-12-02T07:01:{:02}Z", second);
    state_.UpsertPod(pod);
    return pod;
  }
  // Runs a pass on the io_context, as the service does, and the evictions it started.
  void Pass() { Pass(reclaimer_); }
  void Pass(Reclaimer& reclaimer) {
    boost::asio::post(ioc_, [&reclaimer] { reclaimer.RunPass(); });
    ioc_.restart();
    ioc_.poll();
  }
  // The API's side of an accepted eviction: the victim terminates, then goes.
  void Terminate(const std::string& uid) {
    PodRecord record;
    ASSERT_TRUE(state_.FindPod(uid, &record));
    PodInfo pod = MakePod(uid, record.ns, record.requests.Get("cpu") / 1000, record.node);
    pod.name = record.name;
    pod.terminating = true;
    state_.UpsertPod(pod);
  }
  void Bind(const PodInfo& pending, std::string node) {
    PodInfo pod = pending;
    pod.node_name = std::move(node);
    pod.unschedulable = false;
    state_.UpsertPod(pod);
  }
  int64_t Charged(const std::string& quota) {
    const quota::QuotaUsage& u = ledger_.usage();
    return u.Charged(u.tree().Find(quota), u.tree().ResourceIndex("cpu")) / 1000;
  }

  boost::asio::io_context ioc_;
  Reclaimer::Clock::time_point now_{std::chrono::hours(1)};
  quota::QuotaLedger ledger_{quota::testing::TreeBuilder().Build(), {}};
  ClusterState state_{&ledger_};
  FakeEvictor evictor_;
  metrics::Registry registry_;
  Reclaimer reclaimer_{ioc_,
                       &ledger_,
                       &state_,
                       &evictor_,
                       &registry_,
                       nullptr,
                       [] { return true; },
                       ReclaimerOptions{},
                       [this] { return now_; }};
};

// A device check that reloads the quota tree the first time the planner asks it: a reload
// between a plan and its start, deterministically.
class ReloadWhilePlanning : public DeviceFitCheck {
 public:
  explicit ReloadWhilePlanning(quota::QuotaLedger* ledger) : ledger_(ledger) {}
  bool Applies(std::string_view) const override {
    if (!reloaded_) ledger_->Reload(quota::testing::Scenario1Tree().Build(), quota::Clock::now());
    reloaded_ = true;
    return false;  // plan as without devices
  }
  bool DecidesResource(std::string_view) const override { return false; }
  bool FitsAfter(std::string_view, std::string_view, const std::vector<std::string_view>&,
                 const std::vector<std::string_view>&) const override {
    return true;
  }

 private:
  quota::QuotaLedger* const ledger_;
  mutable bool reloaded_ = false;
};

TEST_F(ReclaimerTest, APlanMadeOnATreeReloadedSinceEvictsNothingAndIsMadeAgain) {
  ReloadWhilePlanning reload(&ledger_);
  ReclaimerOptions options;
  options.devices = &reload;
  Reclaimer reclaimer{ioc_,
                      &ledger_,
                      &state_,
                      &evictor_,
                      nullptr,
                      nullptr,
                      [] { return true; },
                      options,
                      [this] { return now_; }};
  Waiting("p1", "namespace3");
  const quota::QuotaTree* before = &ledger_.usage().tree();
  Pass(reclaimer);
  ASSERT_NE(&ledger_.usage().tree(), before);  // reloaded while the pass planned
  EXPECT_THAT(evictor_.evicted, IsEmpty());    // the old tree's plan did not start
  EXPECT_EQ(Charged("root.b.1"), 0);           // and its reservation was given back
  EXPECT_FALSE(reclaimer.StatusOf("p1").active);
  Pass(reclaimer);  // planned on the new tree
  ASSERT_EQ(evictor_.evicted.size(), 1u);
  EXPECT_EQ(Charged("root.b.1"), 5);
}

TEST_F(ReclaimerTest, APodBelowItsMinReclaimsOneBorrowerAndHoldsTheRoomForItself) {
  PodInfo p1 = Waiting("p1", "namespace3");
  Pass();
  ASSERT_EQ(evictor_.evicted.size(), 1u);
  EXPECT_THAT(evictor_.evicted[0], HasSubstr("namespace2/"))  // newest borrower first
      << "fairness ties go to the newest pod";
  EXPECT_EQ(Charged("root.b.1"), 5);  // reserved for p1 beyond root's max
  EXPECT_EQ(Charged("root"), 45);
  ReclaimStatus status = reclaimer_.StatusOf("p1");
  EXPECT_TRUE(status.active);
  EXPECT_THAT(status.text, HasSubstr("reclaiming 1 pod from root.a.2 for quota root.b.1"));
  const std::string victim = evictor_.evicted[0].substr(evictor_.evicted[0].find('/') + 1);
  EXPECT_THAT(reclaimer_.Describe("namespace2", victim),
              ElementsAre("this pod was evicted so that quota root.b.1 gets back its guaranteed "
                          "min (for namespace3/pod-p1); quota root.a.2 uses more than its min"));
  EXPECT_THAT(reclaimer_.Describe("namespace3", "pod-p1"),
              ElementsAre(HasSubstr("reclaiming 1 pod from root.a.2 for quota root.b.1")));
  EXPECT_THAT(evictor_.events,
              ElementsAre(HasSubstr("pod-p1 QuotaReclaiming"),
                          HasSubstr("QuotaReclaim: Evicted by Quotient: quota root.b.1")));
  // The node's room is held for p1.
  state_.ReadNodes([&](auto lookup) {
    const NodeEntry* node = lookup(status.node);
    EXPECT_EQ(node->FreeFor("cpu", "someone-else"), -5000);
    EXPECT_EQ(node->FreeFor("cpu", "p1"), 0);
    return 0;
  });
}

TEST_F(ReclaimerTest, WithOnePodOfEachSiblingPerNodeTheNewestBorrowerGoesFirst) {
  // As kube-scheduler spreads them: node k holds namespace1-k and namespace2-k.
  for (int k = 0; k < 4; ++k) {
    for (const char* ns : {"namespace1", "namespace2"}) {
      const std::string uid = std::string(ns) + "-" + std::to_string(k);
      state_.DeletePod(uid);
      PodInfo pod = MakePod(uid, ns, 5, "n" + std::to_string(k));
      pod.phase = "Running";
      pod.creation_timestamp =
          fmt::format("2026-12-02T07:0{}:{:02}Z", std::string_view(ns) == "namespace1" ? 0 : 5, k);
      state_.UpsertPod(pod);
    }
  }
  Waiting("p1", "namespace3");
  Pass();
  EXPECT_THAT(evictor_.evicted, ElementsAre("namespace2/pod-namespace2-3"));
}

TEST_F(ReclaimerTest, PodsCreatedInTheSameSecondAreOrderedByWhenTheWatchBroughtThem) {
  for (int k = 0; k < 4; ++k) {
    for (const char* ns : {"namespace1", "namespace2"}) {
      const std::string uid = std::string(ns) + "-" + std::to_string(k);
      state_.DeletePod(uid);
    }
  }
  for (const char* ns : {"namespace1", "namespace2"}) {  // namespace2's pods come later
    for (int k = 0; k < 4; ++k) {
      PodInfo pod =
          MakePod(std::string(ns) + "-" + std::to_string(k), ns, 5, "n" + std::to_string(k));
      pod.creation_timestamp = "2026-12-02T07:00:00Z";
      state_.UpsertPod(pod);
    }
  }
  Waiting("p1", "namespace3");
  Pass();
  EXPECT_THAT(evictor_.evicted, ElementsAre("namespace2/pod-namespace2-3"));
}

TEST_F(ReclaimerTest, ScenarioOneStepThreeEvictsOnePodFromEachSiblingAndNoMore) {
  Waiting("p1", "namespace3", 1);
  Waiting("p2", "namespace3", 2);
  Waiting("p3", "namespace3", 3);
  Pass();  // p1
  Pass();  // p2: namespace2 already gave one, so namespace1 gives the next
  ASSERT_EQ(evictor_.evicted.size(), 2u);
  EXPECT_THAT(evictor_.evicted[0], HasSubstr("namespace2/"));
  EXPECT_THAT(evictor_.evicted[1], HasSubstr("namespace1/"));
  // p3 is beyond root.b.1's min (10): it reclaims nothing, however often we look.
  for (int i = 0; i < 20; ++i) Pass();
  EXPECT_EQ(evictor_.evicted.size(), 2u);
  EXPECT_EQ(reclaimer_.in_flight(), 2u);
}

TEST_F(ReclaimerTest, VictimsThatAreTerminatingCountAsFreedAndNoSecondRoundStarts) {
  PodInfo p1 = Waiting("p1", "namespace3");
  Pass();
  ASSERT_EQ(evictor_.evicted.size(), 1u);
  const std::string victim = evictor_.evicted[0].substr(evictor_.evicted[0].find("pod-") + 4);
  Terminate(victim);
  for (int i = 0; i < 5; ++i) Pass();
  EXPECT_EQ(evictor_.evicted.size(), 1u);
  state_.DeletePod(victim);
  Pass();
  EXPECT_EQ(evictor_.evicted.size(), 1u);
  // The victim's replacement cannot win the room back: root is full with p1's reservation.
  quota::PodDemand replacement{"r1", "namespace2", {{"cpu", 5000}, {"pods", 1}}};
  EXPECT_EQ(ledger_.Check(replacement).code, quota::AdmitCode::kRejectedMax);
  Bind(p1, reclaimer_.StatusOf("p1").node);
  Pass();
  EXPECT_EQ(reclaimer_.in_flight(), 0u);
  EXPECT_EQ(Charged("root"), 40);
  EXPECT_THAT(registry_.Render(),
              HasSubstr("quotient_reclaims_total{event=\"completed\",reason=\"bound\"} 1"));
}

TEST_F(ReclaimerTest, AReclaimWhosePodWentAwayReleasesItsReservationAndHold) {
  Waiting("p1", "namespace3");
  Pass();
  const std::string node = reclaimer_.StatusOf("p1").node;
  state_.DeletePod("p1");
  Pass();
  EXPECT_EQ(reclaimer_.in_flight(), 0u);
  EXPECT_FALSE(ledger_.Holds("p1"));
  EXPECT_EQ(Charged("root.b.1"), 0);
  state_.ReadNodes([&](auto lookup) {
    EXPECT_THAT(lookup(node)->holds, IsEmpty());
    return 0;
  });
  EXPECT_THAT(registry_.Render(),
              HasSubstr("quotient_reclaims_total{event=\"aborted\",reason=\"pod_gone\"} 1"));
}

TEST_F(ReclaimerTest, AVictimProtectedByADisruptionBudgetIsSkippedForAnother) {
  evictor_.answers["pod-namespace2-3"] = ApiOutcome{ApiOutcome::Kind::kUnavailable, 429,
                                                    "Cannot evict pod as it would violate "
                                                    "the pod's disruption budget."};
  Waiting("p1", "namespace3");
  Pass();  // tries namespace2-3, refused: the reclaim is aborted and its room given back
  EXPECT_THAT(evictor_.evicted, ElementsAre("namespace2/pod-namespace2-3"));
  Pass();  // settles the abort, plans again without the protected pod
  Pass();
  ASSERT_EQ(evictor_.evicted.size(), 2u);
  EXPECT_NE(evictor_.evicted[1], "namespace2/pod-namespace2-3");
  EXPECT_EQ(Charged("root.b.1"), 5);
  EXPECT_THAT(registry_.Render(), HasSubstr("quotient_reclaim_evictions_total{quota=\"root.a.2\","
                                            "result=\"disruption_budget\"} 1"));
}

TEST_F(ReclaimerTest, PodsThatNeverPreemptOrAreNotUnschedulableDoNotReclaim) {
  PodInfo never = MakePod("never", "namespace3", 5);
  never.unschedulable = true;
  never.preemption_never = true;
  state_.UpsertPod(never);
  PodInfo fresh = MakePod("fresh", "namespace4", 5);  // the scheduler has not tried it yet
  state_.UpsertPod(fresh);
  PodInfo other = MakePod("other", "namespace4", 5);
  other.unschedulable = true;
  other.scheduler_name = "another-scheduler";
  state_.UpsertPod(other);
  for (int i = 0; i < 3; ++i) Pass();
  EXPECT_THAT(evictor_.evicted, IsEmpty());
}

TEST_F(ReclaimerTest, NonPreemptiblePodsAreNeverVictims) {
  // Every borrower of root.a.2 and three of root.a.1 are protected: the one left goes.
  for (const char* uid : {"namespace2-0", "namespace2-1", "namespace2-2", "namespace2-3",
                          "namespace1-0", "namespace1-1", "namespace1-2"}) {
    PodRecord record;
    ASSERT_TRUE(state_.FindPod(uid, &record));
    PodInfo pod = MakePod(uid, record.ns, 5, record.node);
    pod.name = record.name;
    pod.labels = {{"quotient.io/preemptible", "false"}};
    state_.UpsertPod(pod);
  }
  Waiting("p1", "namespace3");
  Pass();
  EXPECT_THAT(evictor_.evicted, ElementsAre("namespace1/pod-namespace1-3"));
}

TEST_F(ReclaimerTest, AReclaimNotBoundByItsDeadlineIsAbortedAndBacksOff) {
  Waiting("p1", "namespace3");
  Pass();
  ASSERT_EQ(evictor_.evicted.size(), 1u);
  now_ += ReclaimerOptions{}.deadline;
  Pass();
  EXPECT_EQ(reclaimer_.in_flight(), 0u);
  EXPECT_FALSE(ledger_.Holds("p1"));
  EXPECT_EQ(evictor_.evicted.size(), 1u) << "no new eviction during the back-off";
}

}  // namespace
}  // namespace quotient::extender::state

namespace quotient::extender::state {
namespace {

// With DRA: once the victims are gone, the reclaim says whether their claims still hold
// devices (the resourceclaim controller deallocates them after the pods are gone).
TEST_F(ReclaimerTest, AReclaimWhoseVictimsAreGoneWaitsForTheirClaimsToBeDeallocated) {
  quota::DeviceChargeConfig config;
  std::string error;
  ASSERT_TRUE(quota::DeviceChargeConfig::Build(
      {{"gpu.nvidia.com", "nvidia.com/gpu", quota::DeviceChargeMode::kDevices, "", ""}}, &config,
      &error));
  DraState dra(config, nullptr);
  ReclaimerOptions options;
  options.dra = &dra;
  Reclaimer reclaimer(
      ioc_, &ledger_, &state_, &evictor_, nullptr, nullptr, [] { return true; }, options,
      [this] { return now_; });
  Waiting("p1", "namespace3");
  boost::asio::post(ioc_, [&] { reclaimer.RunPass(); });
  ioc_.restart();
  ioc_.poll();
  ASSERT_EQ(evictor_.evicted.size(), 1u);
  const std::string victim = evictor_.evicted[0].substr(evictor_.evicted[0].find("pod-") + 4);
  ResourceClaimInfo claim;
  claim.name = "gpu-of-victim";
  claim.ns = "namespace2";
  claim.allocated = true;
  claim.reserved_for = {{"", "pods", victim, victim}};
  {
    auto lock = dra.apply_lock();
    dra.UpsertClaim(claim);
  }
  EXPECT_THAT(reclaimer.StatusOf("p1").text, HasSubstr("waiting for the evicted pods to leave"));
  state_.DeletePod(victim);
  EXPECT_THAT(reclaimer.StatusOf("p1").text,
              HasSubstr("waiting for the evicted pods' ResourceClaims to be deallocated"));
  claim.allocated = false;
  claim.reserved_for.clear();
  {
    auto lock = dra.apply_lock();
    dra.UpsertClaim(claim);
  }
  EXPECT_THAT(reclaimer.StatusOf("p1").text, HasSubstr("waiting for the evicted pods to leave"));
}

}  // namespace
}  // namespace quotient::extender::state
