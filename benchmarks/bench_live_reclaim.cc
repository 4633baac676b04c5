// The reclaim pass's planning over the live cluster state (extender/state/
// reclaim_planner.h): finding the candidates among the pending pods and planning victims
// for one of them over every node, on 500 and 5,000 nodes with 20 bound pods each, 50
// teams whose quotas are all above their min (every pod is a potential victim), one team
// below its min with a pending 4-core pod that fits nowhere. This is what each pass does
// under the cluster state's shared lock (at most max_plans_per_pass plans).
//
// Run (Release build; nothing else heavy on the machine):
//   cmake --build build --target bench_live_reclaim
//   build/benchmarks/bench_live_reclaim --benchmark_min_time=1 --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
// CI smoke:  bench_live_reclaim --benchmark_min_time=0.01   (ctest -L bench)
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "extender/state/reclaim_planner.h"
#include "quota/quota_test_util.h"

namespace quotient::extender::state {
namespace {

constexpr int kPodsPerNode = 20;
constexpr int kTeams = 50;
constexpr int kPendingPods = 1000;  // waiting pods that are not candidates (no condition)

struct Fixture {
  explicit Fixture(int nodes) {
    const int64_t cores = int64_t{nodes} * 16'000;
    quota::testing::TreeBuilder tree({{{"cpu", cores}}, {{"cpu", cores}}, {}});
    for (int t = 0; t < kTeams; ++t) {
      // Each team is guaranteed less than it runs: every bound pod may be a victim.
      tree.AddQuota("team-" + std::to_string(t), "root",
                    {{{"cpu", 1'000}}, {{"cpu", cores}}, {"ns-" + std::to_string(t)}});
    }
    tree.AddQuota("starved", "root", {{{"cpu", 8'000}}, {{"cpu", 8'000}}, {"starved"}});
    ledger.Reload(tree.Build(), quota::Clock::now());
    for (int n = 0; n < nodes; ++n) {
      NodeInfo node;
      node.name = "node-pool-a-" + std::to_string(n);
      node.allocatable = {{"cpu", 16'000}, {"memory", 64ll << 30}, {"pods", 110}};
      state.UpsertNode(node);
      for (int p = 0; p < kPodsPerNode; ++p) {
        PodInfo pod;
        pod.uid = "uid-" + std::to_string(n) + "-" + std::to_string(p);
        pod.ns = "ns-" + std::to_string((n + p) % kTeams);
        pod.name = "pod-" + pod.uid;
        pod.node_name = node.name;
        pod.creation_timestamp = "2026-12-02T07:00:00Z";
        pod.requests = {{"cpu", 800}, {"memory", 2ll << 30}, {"pods", 1}};  // 16 cores: full
        state.UpsertPod(pod);
      }
    }
    for (int i = 0; i < kPendingPods; ++i) {
      PodInfo pod;
      pod.uid = "waiting-" + std::to_string(i);
      pod.ns = "ns-" + std::to_string(i % kTeams);
      pod.name = pod.uid;
      pod.requests = {{"cpu", 800}, {"pods", 1}};
      state.UpsertPod(pod);
    }
    PodInfo pending;
    pending.uid = "starved-0";
    pending.ns = "starved";
    pending.name = "trainer-0";
    pending.unschedulable = true;
    pending.requests = {{"cpu", 4000}, {"memory", 8ll << 30}, {"pods", 1}};
    state.UpsertPod(pending);
  }
  quota::QuotaLedger ledger{quota::testing::TreeBuilder().Build(), {}};
  ClusterState state{&ledger};
};

Fixture& FixtureFor(int nodes) {
  static Fixture small(500);
  static Fixture large(5000);
  return nodes == 500 ? small : large;
}

const std::vector<std::string> kSchedulers = {"default-scheduler"};

void BM_FindCandidates(benchmark::State& st) {
  Fixture& f = FixtureFor(static_cast<int>(st.range(0)));
  for (auto _ : st) {
    auto candidates = f.state.ReadForReclaim([&](const NodeMap&, const PodMap& pods, const auto& waiting) {
      return FindReclaimCandidates(f.ledger.usage(), pods, waiting, kSchedulers,
                                   [](const std::string&) { return false; });
    });
    if (candidates.size() != 1) st.SkipWithError("expected one candidate");
    benchmark::DoNotOptimize(candidates);
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_FindCandidates)->Arg(500)->Arg(5000)->Unit(benchmark::kMicrosecond);

void BM_PlanReclaim(benchmark::State& st) {
  Fixture& f = FixtureFor(static_cast<int>(st.range(0)));
  const ReclaimCandidate candidate = f.state.ReadForReclaim([&](const NodeMap&, const PodMap& pods, const auto& waiting) {
    return FindReclaimCandidates(f.ledger.usage(), pods, waiting, kSchedulers,
                                 [](const std::string&) { return false; })
        .at(0);
  });
  for (auto _ : st) {
    ReclaimChoice choice = f.state.ReadAll([&](const NodeMap& nodes, const PodMap& pods) {
      return PlanReclaimFor(f.ledger.usage(), candidate, nodes, pods, VictimFilter{});
    });
    if (choice.victims.size() != 5) st.SkipWithError("expected 5 victims of 800m");
    benchmark::DoNotOptimize(choice);
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_PlanReclaim)->Arg(500)->Arg(5000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace quotient::extender::state

BENCHMARK_MAIN();
