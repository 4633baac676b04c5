// The preempt verb's quota rules: what one /preempt call costs once decoded.
//
// Run (Release build; nothing else heavy on the machine):
//   cmake --build build --target bench_preempt
//   build/benchmarks/bench_preempt --benchmark_min_time=1 --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
// CI smoke:  bench_preempt --benchmark_min_time=0.01   (ctest -L bench)
//
// The scheduler proposes N candidate nodes x 10 victims (N = 100, the scheduler's
// minCandidateNodesAbsolute, and 1,000). The tree: root -> org -> 20 teams (min 100 cpu,
// max 1,000); the preemptor's team is empty (within its min), every other team runs 20
// pods per node well above its min, so every victim passes every rule and each one walks
// rule 4b on its path with the relief of the victims before it: the most work per victim.
//  BM_CheckPreemption: quota::CheckPreemption alone (pure, the victims already built).
//  BM_Preempt: state::QuotaPreemptor::Preempt end to end on a ClusterState (every
//    victim's record and the candidates' free room read under one shared lock) and the
//    ledger's usage.
// items_per_second counts victims judged.
#include <benchmark/benchmark.h>

#include <deque>
#include <string>
#include <vector>

#include "extender/decide/quota_preemptor.h"
#include "quota/preempt_check.h"
#include "quota/quota_test_util.h"

namespace quotient::extender::state {
namespace {

constexpr int kTeams = 20;
constexpr int kPodsPerNode = 20;
constexpr int kVictimsPerNode = 10;
constexpr int64_t kPodCpu = 2000;

struct Fixture {
  explicit Fixture(int nodes) {
    auto cpu = [](int64_t cores) { return quota::ResourceList{{"cpu", cores * 1000}}; };
    quota::testing::TreeBuilder tree({cpu(kTeams * 100), {}, {}});
    tree.AddQuota("org", "root", {cpu(kTeams * 100), {}, {}});
    for (int t = 0; t < kTeams; ++t) {
      tree.AddQuota("team-" + std::to_string(t), "org",
                    {cpu(100), cpu(1'000'000), {"ns-" + std::to_string(t)}});
    }
    ledger.Reload(tree.Build(), quota::Clock::now());
    state.BeginNodeList();
    for (int n = 0; n < nodes; ++n) {
      NodeInfo node;
      node.name = "node-" + std::to_string(n);
      node.allocatable = quota::ResourceList{{"cpu", kPodsPerNode * kPodCpu}, {"pods", 110}};
      state.UpsertNode(node);
    }
    state.EndNodeList();
    state.BeginPodList();
    for (int n = 0; n < nodes; ++n) {
      NodeVictims& proposed = args.nodes.emplace_back();
      proposed.node = names.emplace_back("node-" + std::to_string(n));
      for (int i = 0; i < kPodsPerNode; ++i) {
        PodInfo pod;
        pod.uid = names.emplace_back("pod-" + std::to_string(n) + "-" + std::to_string(i));
        pod.name = pod.uid;
        pod.ns = "ns-" + std::to_string(1 + (n + i) % (kTeams - 1));  // never ns-0
        pod.node_name = proposed.node;
        pod.phase = "Running";
        pod.creation_timestamp = "2026-12-02T07:00:00Z";
        pod.requests = quota::ResourceList{{"cpu", kPodCpu}, {"pods", 1}};
        state.UpsertPod(pod);
        if (i < kVictimsPerNode) proposed.victim_uids.push_back(names.back());
      }
    }
    state.EndPodList();
    args.pod.uid = "preemptor";
    args.pod.name = "preemptor";
    args.pod.ns = "ns-0";
    args.pod.priority = 1000;
    args.pod.requests = quota::ResourceList{{"cpu", 4 * kPodCpu}, {"pods", 1}};
  }

  quota::QuotaLedger ledger{quota::testing::TreeBuilder().Build(), {}};
  ClusterState state{&ledger};
  std::deque<std::string> names;  // the views in `args` point here
  PreemptionArgs args;
};

void BM_CheckPreemption(benchmark::State& bench) {
  Fixture f(static_cast<int>(bench.range(0)));
  const quota::QuotaUsage& usage = f.ledger.usage();
  const quota::QuotaTree& tree = usage.tree();
  quota::PreemptRequest request{
      tree.LeafForNamespace("ns-0"), tree.ToSparse(f.args.pod.requests), {4 * kPodCpu}, 1000};
  std::vector<quota::PreemptVictim> victims;
  for (const NodeVictims& node : f.args.nodes) {
    for (std::string_view uid : node.victim_uids) {
      PodRecord r;
      f.state.FindPod(uid, &r);
      victims.push_back({static_cast<uint32_t>(victims.size()),
                         tree.LeafForNamespace(r.ns),
                         tree.ToSparse(r.requests),
                         {r.requests.Get("cpu")},
                         0,
                         static_cast<int64_t>(victims.size())});
    }
  }
  std::vector<quota::PreemptNode> nodes;
  for (size_t n = 0; n < f.args.nodes.size(); ++n) {
    nodes.push_back({static_cast<uint32_t>(n),
                     {0},
                     std::span(victims).subspan(n * kVictimsPerNode, kVictimsPerNode),
                     0});
  }
  size_t kept = 0;
  for (auto _ : bench) {
    auto checks = quota::CheckPreemption(&usage, request, nodes);
    kept = checks.back().kept.size();
    benchmark::DoNotOptimize(checks.data());
  }
  bench.counters["kept_per_node"] = static_cast<double>(kept);
  bench.SetItemsProcessed(bench.iterations() * static_cast<int64_t>(victims.size()));
}
BENCHMARK(BM_CheckPreemption)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_Preempt(benchmark::State& bench) {
  Fixture f(static_cast<int>(bench.range(0)));
  QuotaPreemptor preemptor(&f.ledger, &f.state);
  size_t nodes = 0;
  for (auto _ : bench) {
    PreemptDecision d = preemptor.Preempt(f.args);
    nodes = d.nodes.size();
    benchmark::DoNotOptimize(d.nodes.data());
  }
  bench.counters["nodes_kept"] = static_cast<double>(nodes);
  bench.SetItemsProcessed(bench.iterations() * bench.range(0) * kVictimsPerNode);
}
BENCHMARK(BM_Preempt)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace quotient::extender::state

BENCHMARK_MAIN();
