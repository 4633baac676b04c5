// The Requeuer on the filter and watch paths (extender/control/requeuer.h): NoteRefused per
// filter refusal, NoteRelease per released pod or joined node, NudgeStale once a second.
//
// Run (Release build; nothing else heavy on the machine):
//   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build --target bench_requeue
//   build/benchmarks/bench_requeue --benchmark_min_time=1 --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
// CI smoke:    bench_requeue --benchmark_min_time=0.01   (ctest -L bench)
//
// Cases: `tracked` refused pods already in the set (10,000 = kMaxTracked: each new one
// drops the oldest); `recent` of them refused inside the lag window when a release comes
// (what NoteRelease scans). Patches are not sent: every pod answers "no longer pending",
// so NudgeStale measures the bookkeeping only.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "extender/control/requeuer.h"

namespace quotient::extender::state {
namespace {

using Clock = Requeuer::Clock;

struct Fixture {
  boost::asio::io_context ioc;
  kube::ApiClient client{ioc, kube::ClientConfig{}};
  metrics::Registry registry;
  Requeuer requeuer{ioc, &client, &registry, [](const std::string&) { return false; }};
  std::vector<std::string> uids;

  explicit Fixture(int64_t n) {
    for (int64_t i = 0; i < n; ++i) uids.push_back("pod-uid-" + std::to_string(i));
  }
};

// Refusing pods round-robin over a set of `tracked` (the same pods refused again, as the
// scheduler retries them).
void BM_NoteRefused(benchmark::State& state) {
  Fixture f(state.range(0));
  Clock::time_point t = Clock::now() - std::chrono::hours(1);
  for (const std::string& uid : f.uids) f.requeuer.NoteRefused(uid, "ns", uid, t);
  size_t i = 0;
  for (auto _ : state) {
    t += std::chrono::microseconds(1);
    f.requeuer.NoteRefused(f.uids[i], "ns", f.uids[i], t);
    if (++i == f.uids.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NoteRefused)->Arg(100)->Arg(10'000);

// One release with `recent` refusals inside the window (all already suspects after the
// first release: the scan still walks them), then the once-a-second NudgeStale.
void BM_NoteRelease(benchmark::State& state) {
  const int64_t recent = state.range(0);
  Fixture f(10'000);
  const Clock::time_point now = Clock::now();
  for (int64_t i = 0; i < 10'000; ++i) {
    const bool in_window = i >= 10'000 - recent;
    f.requeuer.NoteRefused(
        f.uids[i], "ns", f.uids[i],
        in_window ? now - std::chrono::milliseconds(1) : now - std::chrono::hours(1));
  }
  for (auto _ : state) f.requeuer.NoteRelease(now);
  state.SetItemsProcessed(state.iterations());
  state.counters["suspects"] = static_cast<double>(f.requeuer.suspects());
}
BENCHMARK(BM_NoteRelease)->Arg(0)->Arg(100)->Arg(1'000);

void BM_NudgeStale(benchmark::State& state) {
  const int64_t suspects = state.range(0);
  Fixture f(suspects);
  const Clock::time_point t0 = Clock::now();
  for (auto _ : state) {
    state.PauseTiming();
    for (const std::string& uid : f.uids) f.requeuer.NoteRefused(uid, "ns", uid, t0);
    f.requeuer.NoteRelease(t0 + std::chrono::milliseconds(5));
    state.ResumeTiming();
    benchmark::DoNotOptimize(f.requeuer.NudgeStale(t0 + std::chrono::seconds(10)));
  }
  state.SetItemsProcessed(state.iterations() * suspects);
}
BENCHMARK(BM_NudgeStale)->Arg(100)->Arg(1'000);

}  // namespace
}  // namespace quotient::extender::state

BENCHMARK_MAIN();
