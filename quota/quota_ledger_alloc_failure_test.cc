// QuotaLedger under allocation failure (test/support/alloc_failure.h): every allocation of
// an update is failed in turn, and after each failure the ledger must read exactly as
// before: the counters of every quota and resource, the entries, the published tree. The
// updates that only remove must allocate nothing.
#include <gtest/gtest.h>

#include <functional>

#include "quota/ledger_counters_test_util.h"
#include "quota/quota_ledger.h"
#include "quota/quota_test_util.h"
#include "test/support/alloc_failure.h"

namespace quotient::quota {
namespace {

using quotient::testing::AllocationFailureInjected;
using quotient::testing::ForEachAllocationFailure;
using quotient::testing::RunWithNthAllocationFailing;
using std::chrono::seconds;

// UIDs too long for the small-string buffer, as the API server's are.
std::string Uid(const std::string& name) {
  return "5d3c1b0e-8f7a-4c2d-b6e1-" + name + "-0000000";
}

PodDemand Pod(const std::string& name, std::string ns, int64_t cores) {
  return {Uid(name), std::move(ns), ResourceList{{"cpu", cores * 1000}, {"pods", 1}}};
}

const char* kNames[] = {"a1", "a2", "b1", "r1", "x1", "victim"};

// Everything a reader of the ledger can see.
std::string Snapshot(const QuotaLedger& ledger, bool with_tree = true) {
  std::string out;
  if (with_tree) {
    out = "tree " + std::to_string(reinterpret_cast<uintptr_t>(&ledger.usage().tree())) + "\n";
  }
  out += testing::LedgerCounters(ledger);
  for (const char* name : kNames) {
    PodDemand pod;
    if (ledger.Lookup(Uid(name), &pod)) out += std::string(name) + " in " + pod.ns + "\n";
  }
  return out;
}

// Scenario 1: a1 bound and a2 reserved in namespace1, b1 bound in namespace3.
std::unique_ptr<QuotaLedger> Ledger() {
  auto ledger =
      std::make_unique<QuotaLedger>(testing::Scenario1Tree().Build(), QuotaLedger::Options{});
  ledger->Bind(Pod("a1", "namespace1", 5));
  EXPECT_TRUE(ledger->Reserve(Pod("a2", "namespace1", 5), TimePoint{} + seconds(30)).admitted());
  ledger->Bind(Pod("b1", "namespace3", 5));
  return ledger;
}

// The same tree with nothing charged (the tree line of Snapshot aside).
std::unique_ptr<QuotaLedger> Empty() {
  return std::make_unique<QuotaLedger>(testing::Scenario1Tree().Build(), QuotaLedger::Options{});
}

// Runs `update` on a fresh Ledger() with each of its allocations failing in turn: a
// failure must leave the ledger as it was; `done` checks the update that met none.
// Returns the number of allocations the update makes.
size_t ExpectStrong(const std::function<void(QuotaLedger&)>& update,
                    const std::function<void(QuotaLedger&)>& done) {
  return ForEachAllocationFailure([&](size_t n) {
    std::unique_ptr<QuotaLedger> ledger = Ledger();
    const std::string before = Snapshot(*ledger);
    if (RunWithNthAllocationFailing(n, [&] { update(*ledger); })) {
      EXPECT_EQ(Snapshot(*ledger), before) << "allocation " << n << " failed";
      // What each entry holds must match what it charged: releasing every pod leaves
      // every counter at zero.
      for (const char* name : kNames) ledger->Release(Uid(name));
      EXPECT_EQ(Snapshot(*ledger, false), Snapshot(*Empty(), false)) << "allocation " << n;
    } else {
      EXPECT_FALSE(AllocationFailureInjected()) << "allocation " << n << " failed unseen";
      done(*ledger);
    }
  });
}

int64_t Cpu(const QuotaLedger& ledger, const std::string& quota) {
  const QuotaTree& tree = ledger.usage().tree();
  return ledger.usage().Charged(tree.Find(quota), tree.ResourceIndex("cpu")) / 1000;
}

TEST(QuotaLedgerAllocFailureTest, ChargesAreAllOrNothing) {
  const TimePoint later = TimePoint{} + seconds(30);
  SCOPED_TRACE("an admitted reservation");
  EXPECT_GT(ExpectStrong(
                [&](QuotaLedger& l) {
                  EXPECT_TRUE(l.Reserve(Pod("x1", "namespace2", 5), later).admitted());
                },
                [](QuotaLedger& l) { EXPECT_EQ(Cpu(l, "root.a.2"), 5); }),
            0u);
  SCOPED_TRACE("a refused reservation");
  EXPECT_GT(ExpectStrong(
                [&](QuotaLedger& l) {
                  EXPECT_FALSE(l.Reserve(Pod("x1", "namespace1", 15), later).admitted());
                },
                [](QuotaLedger& l) { EXPECT_FALSE(l.Holds(Uid("x1"))); }),
            0u);
  SCOPED_TRACE("a reclaim reservation");
  EXPECT_GT(
      ExpectStrong([&](QuotaLedger& l) { l.ReserveReclaimed(Pod("r1", "namespace4", 5), later); },
                   [](QuotaLedger& l) { EXPECT_EQ(Cpu(l, "root.b.2"), 5); }),
      0u);
  SCOPED_TRACE("a pod found running without a reservation");
  EXPECT_GT(ExpectStrong([](QuotaLedger& l) { l.Bind(Pod("x1", "namespace2", 5)); },
                         [](QuotaLedger& l) { EXPECT_EQ(l.bound_count(), 3u); }),
            0u);
}

TEST(QuotaLedgerAllocFailureTest, AReloadIsAllOrNothing) {
  // namespace1 moves to root.b.2: every entry is re-resolved and recharged.
  testing::TreeBuilder moved = testing::Scenario1Tree();
  auto tree = moved.Build();
  const QuotaNodeSpec& spec = moved.spec();
  QuotaNodeSpec changed = spec;
  changed.children[0].children[0].namespaces.clear();
  changed.children[1].children[1].namespaces.push_back("namespace1");
  auto next = QuotaTree::Build(changed);
  ASSERT_NE(next, nullptr);
  EXPECT_GT(ExpectStrong([&](QuotaLedger& l) { l.Reload(next, TimePoint{}); },
                         [](QuotaLedger& l) {
                           EXPECT_EQ(Cpu(l, "root.a.1"), 0);
                           EXPECT_EQ(Cpu(l, "root.b.2"), 10);
                         }),
            0u);
}

TEST(QuotaLedgerAllocFailureTest, RemovalsAllocateNothing) {
  const auto a1 = Uid("a1"), a2 = Uid("a2");
  EXPECT_EQ(ExpectStrong([&](QuotaLedger& l) { EXPECT_TRUE(l.Release(a1)); },
                         [](QuotaLedger& l) { EXPECT_EQ(Cpu(l, "root.a.1"), 5); }),
            0u);
  EXPECT_EQ(ExpectStrong([&](QuotaLedger& l) { EXPECT_TRUE(l.CancelReservation(a2)); },
                         [](QuotaLedger& l) { EXPECT_EQ(Cpu(l, "root.a.1"), 5); }),
            0u);
  EXPECT_EQ(
      ExpectStrong(
          [](QuotaLedger& l) { EXPECT_EQ(l.ExpireReservations(TimePoint{} + seconds(60)), 1u); },
          [](QuotaLedger& l) { EXPECT_EQ(l.reserved_count(), 0u); }),
      0u);
  // Binding a reserved pod converts its reservation in place.
  const PodDemand reserved = Pod("a2", "namespace1", 5);
  EXPECT_EQ(ExpectStrong([&](QuotaLedger& l) { l.Bind(reserved); },
                         [](QuotaLedger& l) { EXPECT_EQ(l.bound_count(), 3u); }),
            0u);
}

}  // namespace
}  // namespace quotient::quota
