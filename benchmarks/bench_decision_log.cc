// The decision log on the filter path: what Router adds to every filter when it records
// the verdict for /debug/explain (DecisionLog::RecordFilter: aggregate the per-node
// reasons, lock one of 16 shards, copy the record), and the lookup /debug/explain does.
//
// Run (Release build; nothing else heavy on the machine):
//   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build --target bench_decision_log
//   build/benchmarks/bench_decision_log --benchmark_min_time=1 --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
// CI smoke:    bench_decision_log --benchmark_min_time=0.01   (ctest -L bench)
//
// Cases: `nodes` candidate nodes per filter, all failing with one reason (a quota refusal:
// FailAll gives every node the same text) or each with its own text (node fit with
// per-node numbers: 8 distinct reasons kept, the rest counted); `pods` distinct pods
// recorded round-robin (10,000 = the log's capacity, so records are replaced, not added).
// Multi-threaded cases use real time; items_per_second is aggregate throughput.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "extender/debug/decision_log.h"

namespace quotient::extender {
namespace {

struct Workload {
  std::vector<ExtenderArgs> pods;
  FilterDecision decision;
};

Workload Make(int64_t nodes, bool distinct_reasons, int64_t pods) {
  Workload w;
  static std::vector<std::string> names;
  if (names.size() < static_cast<size_t>(nodes)) {
    for (size_t i = names.size(); i < static_cast<size_t>(nodes); ++i) {
      names.push_back("node-" + std::to_string(i));
    }
  }
  for (int64_t p = 0; p < pods; ++p) {
    ExtenderArgs args;
    args.pod.ns = "team-" + std::to_string(p % 20);
    args.pod.name = "train-" + std::to_string(p);
    args.pod.uid = "uid-" + std::to_string(p);
    args.pod.requests = quota::ResourceList{
        {"cpu", 4000}, {"memory", 16LL << 30}, {"nvidia.com/gpu", 1}, {"pods", 1}};
    for (int64_t n = 0; n < nodes; ++n) args.nodes.push_back({names[static_cast<size_t>(n)], ""});
    w.pods.push_back(std::move(args));
  }
  w.decision.result = DecisionResult::kRejected;
  w.decision.reason = distinct_reasons ? DecisionReason::kNodeFit : DecisionReason::kQuotaMax;
  w.decision.message = "quota root.a.1: cpu used 20 + reserved 0 + request 5 > max 20";
  for (int64_t n = 0; n < nodes; ++n) {
    if (distinct_reasons) {
      w.decision.answer.failed.emplace_back(
          n, "node fit: nvidia.com/gpu requested 1, free 0 of " + std::to_string(n % 64));
    } else {
      w.decision.answer.failed_unresolvable.emplace_back(n, w.decision.message);
    }
  }
  return w;
}

DecisionLog* SharedLog() {
  static DecisionLog log;
  return &log;
}

void BM_RecordFilter(benchmark::State& state) {
  static Workload w;
  if (state.thread_index() == 0) w = Make(state.range(0), state.range(1) != 0, state.range(2));
  DecisionLog* log = SharedLog();
  size_t i = static_cast<size_t>(state.thread_index());
  const size_t step = static_cast<size_t>(state.threads());
  for (auto _ : state) {
    log->RecordFilter(w.pods[i % w.pods.size()], w.decision);
    i += step;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordFilter)
    ->ArgNames({"nodes", "distinct", "pods"})
    ->ArgsProduct({{1, 100, 5000}, {0, 1}, {10'000}})
    ->ThreadRange(1, 2)
    ->UseRealTime();

void BM_Find(benchmark::State& state) {
  static Workload w = Make(100, false, 10'000);
  DecisionLog log;
  for (const auto& pod : w.pods) log.RecordFilter(pod, w.decision);
  size_t i = 0;
  DecisionRecord out;
  for (auto _ : state) {
    const auto& pod = w.pods[i++ % w.pods.size()].pod;
    benchmark::DoNotOptimize(log.Find(pod.ns, pod.name, &out));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Find);

}  // namespace
}  // namespace quotient::extender

BENCHMARK_MAIN();
