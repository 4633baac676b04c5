// The lock-free quota accounting core: admission checks, reserve/release on the atomic
// counters (QuotaUsage), the same through the UID-keyed QuotaLedger, and ledger reloads.
//
// Run (Release build; nothing else heavy on the machine):
//   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build --target bench_quota
//   build/benchmarks/bench_quota --benchmark_min_time=1 --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
// One family:  --benchmark_filter='TryChargeUncharge/nodes:10000/depth:6'
// CI smoke:    bench_quota --benchmark_min_time=0.01   (ctest -L bench)
//
// Trees (MakeTreeSpec): `nodes` quota nodes in total, root included, with every leaf at
// `depth` below the root (so a charge at depth 6 updates 7 levels). Level widths grow
// geometrically: 10 nodes at depth 6 are nearly a chain (widths 1,1,1,1,2,2,2), 1,000 at
// depth 6 are 1,3,9,26,76,224,661 and 10,000 at depth 2 are 1,99,9900. Every node has a
// finite min and max for cpu, memory and nvidia.com/gpu (finite, so TryCharge takes its CAS
// loop, not the fetch_add it uses for unlimited resources); the maxes are far above anything
// the benchmarks charge, so admissions take the success path unless a variant fills a level.
// Requests: 500m cpu, 1Gi memory, 1 GPU, spread round-robin over the leaves.
//
// Targets (issue): WouldAdmit <= 1 us at depth 6; reserve+release (one TryCharge plus one
// Uncharge) >= 10 M/s on one thread.
//
// Multi-threaded cases use real time: "Time" is wall time per operation across all threads
// (the inverse of aggregate throughput) and items_per_second is aggregate throughput. The
// threads take disjoint slices of the leaves (whole subtrees) but share the ancestors above
// them, at least the root, so every operation read-modify-writes the root's counters (and
// QuotaUsage packs a node's counters in 4 x 8 bytes, so the root shares its cache line with
// its first child). Those lines move between cores on every operation and bound the scaling;
// with more threads than cores the extra threads only time-slice.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "quota/quota_ledger.h"
#include "quota/quota_spec.h"
#include "quota/quota_tree.h"
#include "quota/quota_usage.h"
#include "quota/resource_list.h"

namespace quotient::quota {
namespace {

constexpr int64_t kMilliCpu = 1000;
constexpr int64_t kGiB = int64_t{1} << 30;
// Leaf guarantees (inner nodes: their children's sum) and every node's max.
constexpr int64_t kLeafMinCpuMilli = 1 * kMilliCpu;
constexpr int64_t kLeafMinMemoryBytes = 1 * kGiB;
constexpr int64_t kLeafMinGpus = 1;
constexpr int64_t kMaxCpuMilli = int64_t{1'000'000'000} * kMilliCpu;
constexpr int64_t kMaxMemoryBytes = int64_t{1} << 60;
constexpr int64_t kMaxGpus = int64_t{1'000'000'000};
// The request of every admission.
constexpr int64_t kRequestCpuMilli = 500;
constexpr int64_t kRequestMemoryBytes = 1 * kGiB;
constexpr int64_t kRequestGpus = 1;

constexpr int kLedgerPods = 8192;    // distinct UIDs cycled by BM_LedgerReserveRelease
constexpr int kReloadPods = 10'000;  // bound pods in BM_Reload

// Which level, if any, has no room left for the request's GPU.
enum class FullAt { kNothing, kLeaf, kRoot };

// Nodes per level (level 0: the root) of a `nodes`-node tree whose leaves all sit at `depth`.
// Widths grow like leaves^(level/depth) and never shrink, so every inner node gets a child;
// the leaf level absorbs the rounding, so the total is exactly `nodes`.
// REQUIRES: nodes > depth >= 1.
std::vector<int64_t> LevelWidths(int64_t nodes, int depth) {
  auto widths_for = [depth](int64_t leaves) {
    std::vector<int64_t> widths(static_cast<size_t>(depth) + 1, 1);
    for (int d = 1; d < depth; ++d) {
      const double width = std::pow(static_cast<double>(leaves), static_cast<double>(d) / depth);
      widths[static_cast<size_t>(d)] =
          std::max(widths[static_cast<size_t>(d) - 1], static_cast<int64_t>(std::llround(width)));
    }
    widths.back() = leaves;
    return widths;
  };
  auto total = [](const std::vector<int64_t>& widths) {
    return std::accumulate(widths.begin(), widths.end(), int64_t{0});
  };
  int64_t leaves = 1;
  while (total(widths_for(leaves + 1)) <= nodes) ++leaves;
  std::vector<int64_t> widths = widths_for(leaves);
  widths.back() += nodes - total(widths);
  return widths;
}

// The spec of a MakeTreeSpec tree. Built directly rather than with testing::TreeBuilder, whose
// AddQuota searches the whole spec for the parent (quadratic at 10,000 nodes). Node j of level
// d hangs on node j * width(d-1) / width(d) of level d-1; leaf j carries namespace "ns-<j>".
// `full`: the level whose GPU max is set to its min (GetCounterFixture then charges it full).
QuotaNodeSpec MakeTreeSpec(int64_t nodes, int depth, FullAt full) {
  const std::vector<int64_t> widths = LevelWidths(nodes, depth);
  std::vector<QuotaNodeSpec> below;  // the level under the one being built
  for (int d = depth; d >= 0; --d) {
    const int64_t width = widths[static_cast<size_t>(d)];
    std::vector<QuotaNodeSpec> level(static_cast<size_t>(width));
    for (int64_t j = 0; j < width; ++j) {
      QuotaNodeSpec& node = level[static_cast<size_t>(j)];
      node.name = d == 0 ? "root" : "q" + std::to_string(d) + "-" + std::to_string(j);
      node.max = {{kResourceCpu, kMaxCpuMilli},
                  {kResourceMemory, kMaxMemoryBytes},
                  {kResourceNvidiaGpu, kMaxGpus}};
      if (d == depth) {
        node.min = {{kResourceCpu, kLeafMinCpuMilli},
                    {kResourceMemory, kLeafMinMemoryBytes},
                    {kResourceNvidiaGpu, kLeafMinGpus}};
        node.namespaces = {"ns-" + std::to_string(j)};
      }
    }
    for (size_t k = 0; k < below.size(); ++k) {
      const auto parent =
          static_cast<size_t>(static_cast<int64_t>(k) * width / static_cast<int64_t>(below.size()));
      level[parent].min.AddAll(below[k].min);
      level[parent].children.push_back(std::move(below[k]));
    }
    const bool fill_here =
        (full == FullAt::kLeaf && d == depth) || (full == FullAt::kRoot && d == 0);
    if (fill_here) {
      for (QuotaNodeSpec& node : level) {
        node.max.Set(kResourceNvidiaGpu, node.min.Get(kResourceNvidiaGpu));
      }
    }
    below = std::move(level);
  }
  return std::move(below.front());
}

std::vector<QuotaId> Leaves(const QuotaTree& tree) {
  std::vector<QuotaId> leaves;
  for (QuotaId id = 0; id < static_cast<QuotaId>(tree.size()); ++id) {
    if (tree.is_leaf(id)) leaves.push_back(id);
  }
  return leaves;
}

// Thread `thread` of `threads` takes the contiguous slice [begin, end) of `size` items. Leaves
// are numbered breadth-first, so a slice of leaves is a run of subtrees: threads share the
// ancestors above their slices (always the root) but, except at the slice boundaries, no leaf
// or sibling cache lines. With fewer items than threads, a thread gets item thread % size.
std::pair<size_t, size_t> Slice(size_t size, int thread, int threads) {
  const size_t begin = size * static_cast<size_t>(thread) / static_cast<size_t>(threads);
  const size_t end = size * static_cast<size_t>(thread + 1) / static_cast<size_t>(threads);
  if (begin == end) {
    const size_t only = static_cast<size_t>(thread) % size;
    return {only, only + 1};
  }
  return {begin, end};
}

// A tree and its counters, shared by every thread and run of one configuration. Runs leave the
// counters as they found them (every charge is uncharged or refused).
struct CounterFixture {
  std::unique_ptr<QuotaUsage> usage;
  std::vector<QuotaId> leaves;
  SparseAmounts request;
  std::string error;  // why the fixture is unusable; empty if it is fine
};

CounterFixture& GetCounterFixture(int64_t nodes, int depth, FullAt full) {
  static std::mutex mu;
  static std::map<std::tuple<int64_t, int, FullAt>, std::unique_ptr<CounterFixture>> cache;
  std::lock_guard lock(mu);
  auto& fixture = cache[{nodes, depth, full}];
  if (fixture != nullptr) return *fixture;
  fixture = std::make_unique<CounterFixture>();
  const QuotaNodeSpec spec = MakeTreeSpec(nodes, depth, full);
  std::vector<SpecProblem> problems;
  if (!ValidateQuotaSpec(spec, &problems)) {
    fixture->error =
        "invalid tree spec: " + problems.front().path + ": " + problems.front().message;
    return *fixture;
  }
  fixture->usage = std::make_unique<QuotaUsage>(QuotaTree::Build(spec));
  const QuotaTree& tree = fixture->usage->tree();
  fixture->leaves = Leaves(tree);
  fixture->request = tree.ToSparse({{kResourceCpu, kRequestCpuMilli},
                                    {kResourceMemory, kRequestMemoryBytes},
                                    {kResourceNvidiaGpu, kRequestGpus}});
  if (full != FullAt::kNothing) {
    // Admit one GPU per leaf: fills each leaf's max (kLeaf) or, in total, the root's (kRoot).
    const SparseAmounts gpu = tree.ToSparse({{kResourceNvidiaGpu, 1}});
    for (QuotaId leaf : fixture->leaves) {
      if (!fixture->usage->TryCharge(leaf, gpu, nullptr)) fixture->error = "fill refused";
    }
  }
  return *fixture;
}

// The read-only admission check: loads of every (level, resource) counter, leaf -> root.
void BM_WouldAdmit(benchmark::State& state) {
  const CounterFixture& f =
      GetCounterFixture(state.range(0), static_cast<int>(state.range(1)), FullAt::kNothing);
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  ChargeRefusal refusal;
  size_t next = 0;
  int64_t refused = 0;
  for (auto _ : state) {
    const bool ok = f.usage->WouldAdmit(f.leaves[next], f.request, &refusal);
    benchmark::DoNotOptimize(ok);
    refused += ok ? 0 : 1;
    if (++next == f.leaves.size()) next = 0;
  }
  if (refused != 0) state.SkipWithError("WouldAdmit refused");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

// One reserve+release: TryCharge (CAS per level and resource) then Uncharge (fetch_sub).
void BM_TryChargeUncharge(benchmark::State& state) {
  CounterFixture& f =
      GetCounterFixture(state.range(0), static_cast<int>(state.range(1)), FullAt::kNothing);
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  const auto [begin, end] = Slice(f.leaves.size(), state.thread_index(), state.threads());
  const std::vector<QuotaId> leaves(f.leaves.begin() + static_cast<ptrdiff_t>(begin),
                                    f.leaves.begin() + static_cast<ptrdiff_t>(end));
  ChargeRefusal refusal;
  size_t next = 0;
  int64_t refused = 0;
  for (auto _ : state) {
    const QuotaId leaf = leaves[next];
    if (f.usage->TryCharge(leaf, f.request, &refusal)) {
      f.usage->Uncharge(leaf, f.request);
    } else {
      ++refused;
    }
    if (++next == leaves.size()) next = 0;
  }
  if (refused != 0) state.SkipWithError("TryCharge refused");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

// A refused TryCharge. The request's resources are charged in index order (cpu, memory,
// nvidia.com/gpu) and the GPU is what is full, so kLeaf charges two counters at the leaf and
// rolls them back, while kRoot charges every level below the root and the root's cpu and
// memory, then rolls all of it back: the most expensive refusal.
void BM_TryChargeRefused(benchmark::State& state, FullAt full) {
  CounterFixture& f = GetCounterFixture(state.range(0), static_cast<int>(state.range(1)), full);
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  ChargeRefusal refusal;
  size_t next = 0;
  int64_t admitted = 0;
  for (auto _ : state) {
    const QuotaId leaf = f.leaves[next];
    if (f.usage->TryCharge(leaf, f.request, &refusal)) {
      f.usage->Uncharge(leaf, f.request);
      ++admitted;
    }
    if (++next == f.leaves.size()) next = 0;
  }
  if (admitted != 0) state.SkipWithError("TryCharge admitted");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

// The floor under BM_TryChargeUncharge at `depth`: the same atomic read-modify-writes (a load
// and CAS per level and resource, then a fetch_sub each) on private, uncontended counters,
// without the tree walk or the max lookups.
void BM_AtomicFloor(benchmark::State& state) {
  const auto slots = static_cast<size_t>(state.range(0) + 1) * 3;
  std::vector<std::atomic<int64_t>> counters(slots);
  for (size_t i = 0; i < slots; ++i) counters[i].store(0, std::memory_order_relaxed);
  for (auto _ : state) {
    for (size_t i = 0; i < slots; ++i) {
      int64_t current = counters[i].load(std::memory_order_relaxed);
      while (!counters[i].compare_exchange_weak(current, current + kRequestGpus,
                                                std::memory_order_relaxed)) {
      }
    }
    for (size_t i = 0; i < slots; ++i) {
      counters[i].fetch_sub(kRequestGpus, std::memory_order_relaxed);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

// A ledger over a tree (the no-fill variant), and pods "pod-<i>" spread in order over the
// leaves' namespaces ("ns-<i * leaves / pods>"), with 500m cpu, 1Gi memory, 1 GPU and 1 pod each.
struct LedgerFixture {
  std::shared_ptr<const QuotaTree> tree;
  std::unique_ptr<QuotaLedger> ledger;
  std::vector<PodDemand> pods;
  std::string error;
};

std::unique_ptr<LedgerFixture> MakeLedgerFixture(int64_t nodes, int depth, int pods) {
  auto fixture = std::make_unique<LedgerFixture>();
  const QuotaNodeSpec spec = MakeTreeSpec(nodes, depth, FullAt::kNothing);
  std::vector<SpecProblem> problems;
  if (!ValidateQuotaSpec(spec, &problems)) {
    fixture->error =
        "invalid tree spec: " + problems.front().path + ": " + problems.front().message;
    return fixture;
  }
  fixture->tree = QuotaTree::Build(spec);
  fixture->ledger = std::make_unique<QuotaLedger>(fixture->tree, QuotaLedger::Options{});
  const size_t leaves = Leaves(*fixture->tree).size();
  for (int i = 0; i < pods; ++i) {
    fixture->pods.push_back(
        {"pod-" + std::to_string(i),
         "ns-" + std::to_string(static_cast<size_t>(i) * leaves / static_cast<size_t>(pods)),
         {{kResourceCpu, kRequestCpuMilli},
          {kResourceMemory, kRequestMemoryBytes},
          {kResourceNvidiaGpu, kRequestGpus},
          {kResourcePods, 1}}});
  }
  return fixture;
}

// QuotaLedger::Reserve + Release of one pod. Besides the counters' CAS walk this takes the
// shard mutex twice, hashes the UID twice, copies the pod's strings and requests into a new
// table entry and frees it again: expect it well below BM_TryChargeUncharge's rate. Threads
// cycle through disjoint slices of the pods (so no Reserve finds its UID already held), and so
// of the leaves; the shard a UID hashes to is random, so threads also meet on shard mutexes.
void BM_LedgerReserveRelease(benchmark::State& state) {
  static std::mutex mu;
  static std::map<std::pair<int64_t, int>, std::unique_ptr<LedgerFixture>> cache;
  LedgerFixture* f = nullptr;
  {
    std::lock_guard lock(mu);
    auto& cached = cache[{state.range(0), static_cast<int>(state.range(1))}];
    if (cached == nullptr) {
      cached = MakeLedgerFixture(state.range(0), static_cast<int>(state.range(1)), kLedgerPods);
    }
    f = cached.get();
  }
  if (!f->error.empty()) {
    state.SkipWithError(f->error.c_str());
    return;
  }
  const auto [begin, end] = Slice(f->pods.size(), state.thread_index(), state.threads());
  std::vector<const PodDemand*> pods;
  for (size_t i = begin; i < end; ++i) pods.push_back(&f->pods[i]);
  const TimePoint expiry = TimePoint{} + std::chrono::hours(1);  // never expired: no clock
  size_t next = 0;
  int64_t failed = 0;
  for (auto _ : state) {
    const PodDemand& pod = *pods[next];
    const AdmitDecision decision = f->ledger->Reserve(pod, expiry);
    const bool released = f->ledger->Release(pod.uid);
    failed += (decision.code == AdmitCode::kAdmitted && released) ? 0 : 1;
    if (++next == pods.size()) next = 0;
  }
  if (failed != 0) state.SkipWithError("Reserve did not admit or Release found nothing");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

// QuotaLedger::Reload of `pods` bound pods: rebuilds the counters of a new tree from the pod
// table under every shard lock. Alternates between two trees of the same shape, as a config
// change would; simulated time advances by kRetireGrace per reload, so each reload also frees
// the snapshot retired by the one before. items_per_second counts pods re-charged.
void BM_Reload(benchmark::State& state) {
  const auto pods = static_cast<int>(state.range(2));
  std::unique_ptr<LedgerFixture> f =
      MakeLedgerFixture(state.range(0), static_cast<int>(state.range(1)), pods);
  if (!f->error.empty()) {
    state.SkipWithError(f->error.c_str());
    return;
  }
  for (const PodDemand& pod : f->pods) f->ledger->Bind(pod);
  const std::array<std::shared_ptr<const QuotaTree>, 2> trees = {
      QuotaTree::Build(
          MakeTreeSpec(state.range(0), static_cast<int>(state.range(1)), FullAt::kNothing)),
      f->tree};
  TimePoint now{};
  size_t next = 0;
  for (auto _ : state) {
    now += QuotaLedger::kRetireGrace;
    f->ledger->Reload(trees[next], now);
    next ^= 1;
  }
  if (f->ledger->bound_count() != static_cast<size_t>(pods)) state.SkipWithError("lost pods");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * pods);
}

BENCHMARK(BM_WouldAdmit)->ArgNames({"nodes", "depth"})->ArgsProduct({{10, 1000, 10000}, {2, 4, 6}});
BENCHMARK(BM_TryChargeUncharge)
    ->ArgNames({"nodes", "depth"})
    ->ArgsProduct({{10, 1000, 10000}, {2, 4, 6}})
    ->ThreadRange(1, 8)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_TryChargeRefused, at_leaf, FullAt::kLeaf)
    ->ArgNames({"nodes", "depth"})
    ->ArgsProduct({{10, 1000, 10000}, {2, 4, 6}});
BENCHMARK_CAPTURE(BM_TryChargeRefused, at_root, FullAt::kRoot)
    ->ArgNames({"nodes", "depth"})
    ->ArgsProduct({{10, 1000, 10000}, {2, 4, 6}});
BENCHMARK(BM_AtomicFloor)->ArgName("depth")->DenseRange(2, 6, 2);
BENCHMARK(BM_LedgerReserveRelease)
    ->ArgNames({"nodes", "depth"})
    ->ArgsProduct({{1000, 10000}, {2, 6}})
    ->ThreadRange(1, 8)
    ->UseRealTime();
BENCHMARK(BM_Reload)
    ->ArgNames({"nodes", "depth", "pods"})
    ->ArgsProduct({{1000}, {2, 4, 6}, {kReloadPods}})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace quotient::quota

BENCHMARK_MAIN();
