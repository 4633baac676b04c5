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
//
// BM_PlanReclaimGpu: the same with a device check (gpu_reclaim_fit.h). Every node has 8
// gpushare GPUs of 16 GiB, each holding two 8 GiB pods, laid out round-robin (pod p on GPU
// p % 8), and the starved pod asks for 16 GiB: by counting, any two victims make room;
// only two of the same GPU do. The preference order takes pods GPU by GPU, so the planner
// takes 9 victims (the 9th shares GPU 0 with the 1st), then reprieves 7: each node costs
// ~18 device fits, each a copy of the node's placements.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "extender/control/reclaim_planner.h"
#include "extender/devices/gpu_reclaim_fit.h"
#include "extender/devices/gpu_state.h"
#include "quota/quota_test_util.h"

namespace quotient::extender::state {
namespace {

constexpr int kPodsPerNode = 20;
constexpr int kTeams = 50;
constexpr int kPendingPods = 1000;  // waiting pods that are not candidates (no condition)

// 50 teams, each guaranteed less than it runs (every bound pod may be a victim), and a
// starved team guaranteed 8 cores, over `nodes` nodes of 16 cores.
std::shared_ptr<const quota::QuotaTree> TeamsTree(int nodes) {
  const int64_t cores = int64_t{nodes} * 16'000;
  quota::testing::TreeBuilder tree({{{"cpu", cores}}, {{"cpu", cores}}, {}});
  for (int t = 0; t < kTeams; ++t) {
    tree.AddQuota("team-" + std::to_string(t), "root",
                  {{{"cpu", 1'000}}, {{"cpu", cores}}, {"ns-" + std::to_string(t)}});
  }
  tree.AddQuota("starved", "root", {{{"cpu", 8'000}}, {{"cpu", 8'000}}, {"starved"}});
  return tree.Build();
}

// Pod p of node n, of team (n + p) % kTeams, all created in the same second.
PodInfo BoundPod(int n, int p, const std::string& node, quota::ResourceList requests) {
  PodInfo pod;
  pod.uid = "uid-" + std::to_string(n) + "-" + std::to_string(p);
  pod.ns = "ns-" + std::to_string((n + p) % kTeams);
  pod.name = "pod-" + pod.uid;
  pod.node_name = node;
  pod.creation_timestamp = "2026-12-02T07:00:00Z";
  pod.requests = std::move(requests);
  return pod;
}

// The starved team's Unschedulable pod, the one reclaim plans for.
PodInfo StarvedPod(quota::ResourceList requests) {
  PodInfo pending;
  pending.uid = "starved-0";
  pending.ns = "starved";
  pending.name = "trainer-0";
  pending.unschedulable = true;
  pending.requests = std::move(requests);
  return pending;
}

struct Fixture {
  explicit Fixture(int nodes) {
    ledger.Reload(TeamsTree(nodes), quota::Clock::now());
    for (int n = 0; n < nodes; ++n) {
      NodeInfo node;
      node.name = "node-pool-a-" + std::to_string(n);
      node.allocatable = {{"cpu", 16'000}, {"memory", 64ll << 30}, {"pods", 110}};
      state.UpsertNode(node);
      for (int p = 0; p < kPodsPerNode; ++p) {
        // 20 x 0.8 cores: the node is full.
        state.UpsertPod(
            BoundPod(n, p, node.name, {{"cpu", 800}, {"memory", 2ll << 30}, {"pods", 1}}));
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
    state.UpsertPod(StarvedPod({{"cpu", 4000}, {"memory", 8ll << 30}, {"pods", 1}}));
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
    auto candidates =
        f.state.ReadForReclaim([&](const NodeMap&, const PodMap& pods, const auto& waiting) {
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
  const ReclaimCandidate candidate =
      f.state.ReadForReclaim([&](const NodeMap&, const PodMap& pods, const auto& waiting) {
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

constexpr int kGpusPerNode = 8;
constexpr int kGpuPodsPerNode = 16;

struct GpuFixture {
  explicit GpuFixture(int nodes) {
    ledger.Reload(TeamsTree(nodes), quota::Clock::now());
    for (int n = 0; n < nodes; ++n) {
      NodeInfo node;
      node.name = "gpu-node-" + std::to_string(n);
      node.allocatable = {{"cpu", 16'000},
                          {"pods", 110},
                          {"aliyun.com/gpu-mem", kGpusPerNode * 16},
                          {"aliyun.com/gpu-count", kGpusPerNode}};
      state.UpsertNode(node);
      gpus.UpsertNode(node);
      for (int p = 0; p < kGpuPodsPerNode; ++p) {
        PodInfo pod =
            BoundPod(n, p, node.name, {{"cpu", 800}, {"pods", 1}, {"aliyun.com/gpu-mem", 8}});
        pod.annotations = {{"ALIYUN_COM_GPU_MEM_IDX", std::to_string(p % kGpusPerNode)}};
        state.UpsertPod(pod);
        gpus.UpsertPod(pod);
      }
    }
    const PodInfo pending = StarvedPod({{"cpu", 4000}, {"pods", 1}, {"aliyun.com/gpu-mem", 16}});
    state.UpsertPod(pending);
    gpus.UpsertPod(pending);
  }
  quota::QuotaLedger ledger{quota::testing::TreeBuilder().Build(), {}};
  ClusterState state{&ledger};
  GpuState gpus{&gpu::BuiltinMigCatalog(), gpu::InventoryOptions{}};
  GpuReclaimFit devices{&gpus};
};

GpuFixture& GpuFixtureFor(int nodes) {
  static GpuFixture small(500);
  static GpuFixture large(5000);
  return nodes == 500 ? small : large;
}

void BM_PlanReclaimGpu(benchmark::State& st) {
  GpuFixture& f = GpuFixtureFor(static_cast<int>(st.range(0)));
  const ReclaimCandidate candidate =
      f.state.ReadForReclaim([&](const NodeMap&, const PodMap& pods, const auto& waiting) {
        return FindReclaimCandidates(f.ledger.usage(), pods, waiting, kSchedulers,
                                     [](const std::string&) { return false; })
            .at(0);
      });
  VictimFilter filter;
  filter.devices = &f.devices;
  for (auto _ : st) {
    ReclaimChoice choice = f.state.ReadAll([&](const NodeMap& nodes, const PodMap& pods) {
      return PlanReclaimFor(f.ledger.usage(), candidate, nodes, pods, filter);
    });
    if (choice.victims.size() != 2) {
      st.SkipWithError("expected the 2 pods of one GPU");
      break;
    }
    benchmark::DoNotOptimize(choice);
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_PlanReclaimGpu)->Arg(500)->Arg(5000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace quotient::extender::state

BENCHMARK_MAIN();
