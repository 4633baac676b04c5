// The live decider's filter and prioritize over the cluster cache (state::QuotaDecider on
// state::ClusterState and quota::QuotaLedger): what each webhook call costs once decoded,
// on 500 and 5,000 nodes with 20 bound pods each, quota admission on a depth-3 path, the
// node-pool check and node fit on nvidia.com/gpu. No HTTP, no JSON (bench_wire and
// http_load measure those).
//
// Run (Release build; nothing else heavy on the machine):
//   cmake --build build --target bench_live_filter
//   build/benchmarks/bench_live_filter --benchmark_min_time=1 --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
// CI smoke:  bench_live_filter --benchmark_min_time=0.01   (ctest -L bench)
//
// Filter admits the pod and reserves its quota; the benchmark cancels the reservation
// after each call (CancelReservation, one shard lock) so every iteration takes the same
// path. Filter/.../threads:2 runs two io threads concurrently (shared lock on the cache).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "extender/decide/quota_decider.h"
#include "quota/quota_test_util.h"

namespace quotient::extender::state {
namespace {

constexpr int kPodsPerNode = 20;
constexpr int kTeams = 50;

struct Fixture {
  explicit Fixture(int nodes) {
    quota::testing::TreeBuilder tree({{{"cpu", 1'000'000'000}}, {{"cpu", 1'000'000'000}}, {}});
    tree.AddQuota("org", "root", {{}, {}, {}});
    for (int t = 0; t < kTeams; ++t) {
      tree.AddQuota("team-" + std::to_string(t), "org",
                    {{{"cpu", 1'000'000}}, {{"cpu", 100'000'000}}, {"ns-" + std::to_string(t)}});
    }
    ledger.Reload(tree.Build(), quota::Clock::now());
    for (int n = 0; n < nodes; ++n) {
      NodeInfo node;
      node.name = "gpu-node-pool-a-" + std::to_string(n);
      node.labels = {{"org", "a"}, {"nvidia.com/gpu.product", "NVIDIA-A100-SXM4-40GB"}};
      node.allocatable = {
          {"cpu", 64'000}, {"memory", 256ll << 30}, {"nvidia.com/gpu", 8}, {"pods", 110}};
      state.UpsertNode(node);
      names.push_back(node.name);
      for (int p = 0; p < kPodsPerNode; ++p) {
        PodInfo pod;
        pod.uid = "uid-" + std::to_string(n) + "-" + std::to_string(p);
        pod.ns = "ns-" + std::to_string((n + p) % kTeams);
        pod.name = "pod-" + pod.uid;
        pod.node_name = node.name;
        pod.requests = {{"cpu", 1000}, {"memory", 4ll << 30}, {"pods", 1}};
        if (p < 6) pod.requests.Set("nvidia.com/gpu", 1);
        state.UpsertPod(pod);
      }
    }
    for (const auto& name : names) args.nodes.push_back(WireNode{name, {}});
    args.has_node_names = true;
    args.pod.uid = "pending-pod";
    args.pod.ns = "ns-7";
    args.pod.name = "trainer-0";
    args.pod.requests = {{"cpu", 4000}, {"memory", 16ll << 30}, {"nvidia.com/gpu", 1}, {"pods", 1}};
  }
  quota::QuotaLedger ledger{quota::testing::TreeBuilder().Build(), {}};
  ClusterState state{&ledger};
  QuotaDecider decider{&ledger, &state, nullptr, [] { return std::string(); },
                       QuotaDeciderOptions{std::chrono::seconds(30), {"nvidia.com/gpu"}}};
  std::vector<std::string> names;
  ExtenderArgs args;
};

Fixture& FixtureFor(int nodes) {
  static Fixture small(500);
  static Fixture large(5000);
  return nodes == 500 ? small : large;
}

void BM_Filter(benchmark::State& st) {
  Fixture& f = FixtureFor(static_cast<int>(st.range(0)));
  ExtenderArgs args = f.args;
  args.pod.uid = "pending-" + std::to_string(st.thread_index());
  for (auto _ : st) {
    FilterDecision d = f.decider.Filter(args);
    benchmark::DoNotOptimize(d.answer.passed.data());
    f.ledger.CancelReservation(args.pod.uid);
  }
  st.SetItemsProcessed(st.iterations());
  st.counters["nodes"] = static_cast<double>(args.nodes.size());
}
BENCHMARK(BM_Filter)->Arg(500)->Arg(5000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Filter)->Arg(5000)->Threads(2)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_Prioritize(benchmark::State& st) {
  Fixture& f = FixtureFor(static_cast<int>(st.range(0)));
  for (auto _ : st) {
    PrioritizeDecision d = f.decider.Prioritize(f.args);
    benchmark::DoNotOptimize(d.scores.data());
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_Prioritize)->Arg(500)->Arg(5000)->Unit(benchmark::kMicrosecond);

// A pod event from the watch: the status update of a bound pod (the common case).
void BM_PodStatusUpdate(benchmark::State& st) {
  Fixture& f = FixtureFor(500);
  PodInfo pod;
  pod.uid = "uid-3-4";
  pod.ns = "ns-7";
  pod.name = "pod-uid-3-4";
  pod.node_name = f.names[3];
  pod.phase = "Running";
  pod.requests = {{"cpu", 1000}, {"memory", 4ll << 30}, {"pods", 1}};
  for (auto _ : st) f.state.UpsertPod(pod);
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_PodStatusUpdate);

}  // namespace
}  // namespace quotient::extender::state

BENCHMARK_MAIN();
