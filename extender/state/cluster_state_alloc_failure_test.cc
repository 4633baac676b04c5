// ClusterState's strong guarantee (cluster_state.h), tested the way the field tests it:
// every allocation an update makes is failed in turn (test/support/alloc_failure.h), and
// after each failure the state and the quota ledger must read exactly as before; releasing
// every pod must then bring every quota counter back to zero (what each record holds
// matches what it charged). The updates that only remove must allocate nothing.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "extender/state/cluster_state.h"
#include "extender/state/state_test_util.h"
#include "quota/ledger_counters_test_util.h"
#include "quota/quota_test_util.h"
#include "test/support/alloc_failure.h"

namespace quotient::extender::state {
namespace {

using quotient::testing::AllocationFailureInjected;
using quotient::testing::ForEachAllocationFailure;
using quotient::testing::RunWithNthAllocationFailing;
using testing::MakeNode;

// UIDs too long for the small-string buffer, as the API server's are.
std::string Uid(const std::string& name) {
  return "9b2e7c41-6d0f-4a8e-b3c5-" + name + "-0000000";
}
const char* kNames[] = {"a1", "a2", "b1", "w1", "x1", "x2"};

PodInfo Pod(const std::string& name, std::string ns, int64_t cores, std::string node = "") {
  PodInfo pod = testing::MakePod(Uid(name), std::move(ns), cores, std::move(node));
  pod.name = name;
  return pod;
}

struct World {
  ClusterState::Clock::time_point now{std::chrono::seconds(100)};
  quota::QuotaLedger ledger{quota::testing::Scenario1Tree().Build(), {}};
  ClusterState state{&ledger, [this] { return now; }};

  std::string Snapshot() const {
    return state.DebugString() + quota::testing::LedgerCounters(ledger);
  }
};

// Nodes n1, n2; a1 bound on n1 and b1 on n2 (b1 not preemptible), a2 pending (reserved
// by filter), w1 pending and marked Unschedulable, a reclaim hold of w1 on n2.
void Cluster(World& w) {
  w.state.UpsertNode(MakeNode("n1", 16));
  w.state.UpsertNode(MakeNode("n2", 16));
  w.state.UpsertPod(Pod("a1", "namespace1", 4, "n1"));
  PodInfo b1 = Pod("b1", "namespace3", 2, "n2");
  b1.labels = {{"quotient.io/preemptible", "false"}};
  w.state.UpsertPod(b1);
  w.state.UpsertPod(Pod("a2", "namespace1", 1));
  EXPECT_TRUE(w.ledger
                  .Reserve({Uid("a2"), "namespace1", Pod("a2", "namespace1", 1).requests},
                           quota::TimePoint{} + std::chrono::seconds(30))
                  .admitted());
  PodInfo w1 = Pod("w1", "namespace4", 3);
  w1.unschedulable = true;
  w.state.UpsertPod(w1);
  w.state.SetHold("n2", Uid("w1"), quota::ResourceList{{"cpu", 3000}});
}

// Runs `update` on a fresh Cluster() with each of its allocations failing in turn.
// Returns the number of allocations the update makes; `done` checks the update that met
// no failure.
size_t ExpectStrong(const std::function<void(World&)>& update,
                    const std::function<void(World&)>& done) {
  return ForEachAllocationFailure([&](size_t n) {
    auto w = std::make_unique<World>();
    Cluster(*w);
    const std::string before = w->Snapshot();
    ASSERT_EQ(w->state.CheckInvariants(), "");
    const bool threw = RunWithNthAllocationFailing(n, [&] { update(*w); });
    EXPECT_EQ(w->state.CheckInvariants(), "") << "allocation " << n;
    if (threw) {
      EXPECT_EQ(w->Snapshot(), before) << "allocation " << n << " failed";
      for (const char* name : kNames) w->state.DeletePod(Uid(name));
      World empty;
      EXPECT_EQ(quota::testing::LedgerCounters(w->ledger),
                quota::testing::LedgerCounters(empty.ledger))
          << "allocation " << n << " failed";
    } else {
      EXPECT_FALSE(AllocationFailureInjected()) << "allocation " << n << " failed unseen";
      done(*w);
    }
  });
}

int64_t NodeCpu(const World& w, const std::string& name) {
  return w.state.ReadNodes([&](auto lookup) {
    const NodeEntry* node = lookup(name);
    return node == nullptr ? int64_t{-1} : node->requested.Get("cpu") / 1000;
  });
}

int64_t QuotaCpu(const World& w, const std::string& quota) {
  const quota::QuotaUsage& u = w.ledger.usage();
  return u.Charged(u.tree().Find(quota), u.tree().ResourceIndex("cpu")) / 1000;
}

TEST(ClusterStateAllocFailureTest, PodEventsAreAllOrNothing) {
  struct Case {
    const char* name;
    std::function<PodInfo()> pod;
    std::function<void(World&)> done;
  };
  const Case cases[] = {
      {"a new pod bound to a node", [] { return Pod("x1", "namespace2", 2, "n1"); },
       [](World& w) { EXPECT_EQ(NodeCpu(w, "n1"), 6); }},
      {"a new pod bound to a node not known yet", [] { return Pod("x1", "namespace2", 2, "n9"); },
       [](World& w) { EXPECT_EQ(NodeCpu(w, "n9"), 2); }},
      {"a pending pod binds", [] { return Pod("a2", "namespace1", 1, "n2"); },
       [](World& w) { EXPECT_EQ(QuotaCpu(w, "root.a.1"), 5); }},
      {"a bound pod the API puts on another node", [] { return Pod("a1", "namespace1", 4, "n2"); },
       [](World& w) {
         EXPECT_EQ(NodeCpu(w, "n1"), 0);
         EXPECT_EQ(NodeCpu(w, "n2"), 6);
       }},
      {"a bound pod resized in place", [] { return Pod("a1", "namespace1", 6, "n1"); },
       [](World& w) { EXPECT_EQ(NodeCpu(w, "n1"), 6); }},
      {"a bound pod becomes preemptible", [] { return Pod("b1", "namespace3", 2, "n2"); },
       [](World& w) { EXPECT_TRUE(w.state.HasPreemptiblePodBelow({"namespace3"}, 1)); }},
      {"a bound pod finishes",
       [] {
         PodInfo pod = Pod("a1", "namespace1", 4, "n1");
         pod.phase = "Succeeded";
         return pod;
       },
       [](World& w) { EXPECT_EQ(QuotaCpu(w, "root.a.1"), 1); }},
      {"a new pod marked Unschedulable",
       [] {
         PodInfo pod = Pod("x2", "namespace2", 2);
         pod.unschedulable = true;
         return pod;
       },
       [](World& w) {
         w.state.ReadForReclaim(
             [](const auto&, const auto&, const auto& waiting) { EXPECT_EQ(waiting.size(), 2u); });
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const PodInfo pod = c.pod();
    EXPECT_GT(ExpectStrong([&](World& w) { w.state.UpsertPod(pod); }, c.done), 0u);
  }
}

TEST(ClusterStateAllocFailureTest, BindingsChargesAndHoldsAreAllOrNothing) {
  const quota::PodDemand a2{Uid("a2"), "namespace1", Pod("a2", "namespace1", 1).requests};
  SCOPED_TRACE("a binding Quotient made");
  EXPECT_GT(ExpectStrong([&](World& w) { w.state.AssumeBound(a2, "a2", "n2"); },
                         [](World& w) { EXPECT_EQ(NodeCpu(w, "n2"), 3); }),
            0u);
  SCOPED_TRACE("a binding of a pod the watch has not shown yet");
  const quota::PodDemand x1{Uid("x1"), "namespace2", Pod("x1", "namespace2", 2).requests};
  EXPECT_GT(ExpectStrong([&](World& w) { w.state.AssumeBound(x1, "x1", "n1"); },
                         [](World& w) { EXPECT_EQ(QuotaCpu(w, "root.a.2"), 2); }),
            0u);
  SCOPED_TRACE("a DRA claim charge on a bound pod");
  const std::string a1 = Uid("a1");
  const quota::ResourceList claim{{"cpu", 1000}};
  EXPECT_GT(ExpectStrong([&](World& w) { w.state.SetClaimCharge(a1, claim); },
                         [](World& w) {
                           EXPECT_EQ(QuotaCpu(w, "root.a.1"), 6);
                           EXPECT_EQ(NodeCpu(w, "n1"), 4);
                         }),
            0u);
  SCOPED_TRACE("a reclaim hold moving to another node");
  const std::string w1 = Uid("w1");
  const quota::ResourceList room{{"cpu", 3000}};
  EXPECT_GT(ExpectStrong([&](World& w) { w.state.SetHold("n1", w1, room); },
                         [](World& w) { EXPECT_TRUE(w.state.HasHolds()); }),
            0u);
  SCOPED_TRACE("a node arriving and a node updated");
  const NodeInfo n3 = MakeNode("n3-with-a-name-longer-than-sso", 8);
  EXPECT_GT(ExpectStrong([&](World& w) { w.state.UpsertNode(n3); },
                         [](World& w) { EXPECT_EQ(w.state.counts().nodes, 3u); }),
            0u);
  const NodeInfo bigger = MakeNode("n1", 32);  // copied into the call: that allocates
  ExpectStrong([&](World& w) { w.state.UpsertNode(bigger); },
               [](World& w) { EXPECT_EQ(NodeCpu(w, "n1"), 4); });
}

TEST(ClusterStateAllocFailureTest, RemovalsAllocateNothing) {
  const std::string a1 = Uid("a1"), a2 = Uid("a2"), w1 = Uid("w1");
  EXPECT_EQ(ExpectStrong([&](World& w) { w.state.DeletePod(a1); },
                         [](World& w) { EXPECT_EQ(NodeCpu(w, "n1"), 0); }),
            0u);
  EXPECT_EQ(ExpectStrong([&](World& w) { w.state.DeletePod(a2); },
                         [](World& w) { EXPECT_EQ(w.ledger.reserved_count(), 0u); }),
            0u);
  EXPECT_EQ(ExpectStrong([&](World& w) { w.state.DropHold(w1); },
                         [](World& w) { EXPECT_FALSE(w.state.HasHolds()); }),
            0u);
  EXPECT_EQ(ExpectStrong([](World& w) { w.state.DeleteNode("n1"); },
                         [](World& w) { EXPECT_EQ(w.state.counts().nodes, 1u); }),
            0u);
  // Relists that drop what they no longer contain (set up unarmed, ended armed).
  EXPECT_EQ(ExpectStrong(
                [](World& w) {
                  w.state.BeginPodList();
                  w.state.BeginNodeList();
                  quotient::testing::DisarmAllocationFailure();
                  w.state.UpsertNode(MakeNode("n1", 16));
                  w.state.UpsertPod(Pod("a1", "namespace1", 4, "n1"));
                  quotient::testing::ArmAllocationFailure(1);
                  w.state.EndPodList();
                  w.state.EndNodeList();
                },
                [](World& w) {
                  EXPECT_EQ(w.state.counts().pods, 1u);
                  EXPECT_EQ(w.state.counts().nodes, 1u);
                }),
            0u);
}

}  // namespace
}  // namespace quotient::extender::state
