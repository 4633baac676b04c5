// Concurrent admissions never over-commit. Runs under ThreadSanitizer in CI
// (./dev.sh test builds build-tsan/ and runs this test there too).
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "quota/quota_ledger.h"
#include "quota/quota_test_util.h"

namespace quotient::quota {
namespace {

constexpr int kThreads = 4;
constexpr int kOpsPerThread = 100000;

// Every (quota, resource) counter stays <= max at every instant, observed by a reader
// racing with the writers, and everything returns to zero at the end.
TEST(QuotaStressTest, ConcurrentChargesNeverExceedMax) {
  auto tree = testing::Scenario1Tree().Build();
  QuotaUsage usage(tree);
  const int32_t cpu = tree->ResourceIndex("cpu");
  const std::vector<QuotaId> leaves = {tree->Find("root.a.1"), tree->Find("root.a.2"),
                                       tree->Find("root.b.1"), tree->Find("root.b.2")};
  std::atomic<bool> stop{false};
  std::atomic<int64_t> violations{0};
  std::thread reader([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      for (QuotaId q = 0; q < static_cast<QuotaId>(tree->size()); ++q) {
        if (usage.Charged(q, cpu) > tree->Max(q, cpu)) violations.fetch_add(1);
      }
    }
  });
  std::atomic<int64_t> admitted{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      std::vector<std::pair<QuotaId, SparseAmounts>> held;
      for (int i = 0; i < kOpsPerThread; ++i) {
        if (held.size() > 6 || (!held.empty() && rng() % 3 == 0)) {
          auto [leaf, amounts] = held.back();
          held.pop_back();
          usage.Uncharge(leaf, amounts);
          continue;
        }
        QuotaId leaf = leaves[rng() % leaves.size()];
        SparseAmounts amounts = {{cpu, static_cast<int64_t>(1000 + rng() % 6000)}};
        if (usage.TryCharge(leaf, amounts, nullptr)) {
          admitted.fetch_add(1);
          held.emplace_back(leaf, amounts);
        }
      }
      for (auto& [leaf, amounts] : held) usage.Uncharge(leaf, amounts);
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  reader.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_GT(admitted.load(), 0);
  for (QuotaId q = 0; q < static_cast<QuotaId>(tree->size()); ++q) {
    EXPECT_EQ(usage.Charged(q, cpu), 0) << tree->name(q);
  }
}

// Non-preemptible charges (ChargeBound::kMin) racing with preemptible ones (kMax):
// what the kMin writers hold never sums past any level's min, and no counter passes max.
// Each writer adds to `np` after its charge succeeded and subtracts before it uncharges,
// so `np` never exceeds what non-preemptible pods really hold.
TEST(QuotaStressTest, NonPreemptibleChargesNeverSumPastMin) {
  auto tree = testing::Scenario1Tree().Build();
  QuotaUsage usage(tree);
  const int32_t cpu = tree->ResourceIndex("cpu");
  const std::vector<QuotaId> leaves = {tree->Find("root.a.1"), tree->Find("root.a.2"),
                                       tree->Find("root.b.1"), tree->Find("root.b.2")};
  std::vector<std::atomic<int64_t>> np(tree->size());
  auto add_np = [&](QuotaId leaf, int64_t amount) {
    for (QuotaId q = leaf; q != kNoQuota; q = tree->parent(q)) np[q].fetch_add(amount);
  };
  std::atomic<bool> stop{false};
  std::atomic<int64_t> violations{0};
  std::thread reader([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      for (QuotaId q = 0; q < static_cast<QuotaId>(tree->size()); ++q) {
        if (np[q].load() > tree->Min(q, cpu)) violations.fetch_add(1);
        if (usage.Charged(q, cpu) > tree->Max(q, cpu)) violations.fetch_add(1);
      }
    }
  });
  std::atomic<int64_t> admitted_np{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      const ChargeBound bound = t % 2 == 0 ? ChargeBound::kMin : ChargeBound::kMax;
      std::mt19937 rng(static_cast<unsigned>(t + 200));
      std::vector<std::pair<QuotaId, SparseAmounts>> held;
      auto release = [&] {
        auto [leaf, amounts] = held.back();
        held.pop_back();
        if (bound == ChargeBound::kMin) add_np(leaf, -amounts[0].amount);
        usage.Uncharge(leaf, amounts);
      };
      for (int i = 0; i < kOpsPerThread; ++i) {
        if (held.size() > 6 || (!held.empty() && rng() % 3 == 0)) {
          release();
          continue;
        }
        QuotaId leaf = leaves[rng() % leaves.size()];
        SparseAmounts amounts = {{cpu, static_cast<int64_t>(1000 + rng() % 6000)}};
        if (usage.TryCharge(leaf, amounts, nullptr, bound)) {
          if (bound == ChargeBound::kMin) {
            add_np(leaf, amounts[0].amount);
            admitted_np.fetch_add(1);
          }
          held.emplace_back(leaf, amounts);
        }
      }
      while (!held.empty()) release();
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  reader.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_GT(admitted_np.load(), 0);
  for (QuotaId q = 0; q < static_cast<QuotaId>(tree->size()); ++q) {
    EXPECT_EQ(usage.Charged(q, cpu), 0) << tree->name(q);
  }
}

// The ledger under concurrent reserve / bind / release / reload keeps the counters equal
// to the sum of what it holds, and never above max for reservations it admitted.
TEST(QuotaStressTest, LedgerStaysConsistentAcrossConcurrentReloads) {
  auto tree = testing::Scenario1Tree().Build();
  QuotaLedger ledger(tree, {});
  const TimePoint now{};
  std::atomic<bool> stop{false};
  std::thread reloader([&] {
    int i = 0;
    while (!stop.load())
      ledger.Reload(testing::Scenario1Tree().Build(), now + std::chrono::hours(i++));
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t + 100));
      for (int i = 0; i < kOpsPerThread / 4; ++i) {
        PodDemand pod{std::to_string(t) + "-" + std::to_string(i),
                      "namespace" + std::to_string(1 + rng() % 4),
                      ResourceList{{"cpu", 5000}, {"pods", 1}}};
        if (ledger.Reserve(pod, now + std::chrono::hours(1)).admitted() && rng() % 2 == 0) {
          ledger.Bind(pod);
        }
        if (rng() % 4 != 0) ledger.Release(pod.uid);
      }
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  reloader.join();
  const QuotaUsage& usage = ledger.usage();
  const QuotaTree& t = usage.tree();
  const int32_t cpu = t.ResourceIndex("cpu");
  const int64_t held = static_cast<int64_t>(ledger.reserved_count() + ledger.bound_count());
  EXPECT_EQ(usage.Charged(QuotaTree::root(), cpu), held * 5000);
  for (QuotaId q = 0; q < static_cast<QuotaId>(t.size()); ++q) {
    EXPECT_LE(usage.Charged(q, cpu), t.Max(q, cpu)) << t.name(q);
  }
}

}  // namespace
}  // namespace quotient::quota
