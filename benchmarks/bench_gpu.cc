// The GPU/MIG model: placing one MIG request on one GPU, and fit + score of one pod's GPU
// request over a whole cluster of 8-GPU nodes (what a filter or prioritize call does per
// node), plus the fragmentation measurement of docs/gpu.md.
//
// Run (Release build; nothing else heavy on the machine):
//   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build --target bench_gpu
//   build/benchmarks/bench_gpu --benchmark_min_time=1 --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
// CI smoke:    bench_gpu --benchmark_min_time=0.01
//
// Targets: a MIG request on one GPU <= 1 us; fit + score of a GPU request over
// 5,000 nodes x 8 GPUs <= 2 ms.
//
// PlaceMigOneGpu/<occupied>: one mig-dynamic A100-40GB whose `occupied` memory slices
// (0, 3 or 6) hold 1g.5gb instances (placed by the policy itself); the request is 1g.5gb
// (7 candidate starts) or a 0.5 fraction (3g.20gb, 2 starts, mapped through the table).
// FitCluster/<nodes>/<kind>: `nodes` nodes of 8 GPUs, about half the capacity in use
// (every other GPU held whole on exclusive nodes; 8 GiB of 16 on shared GPUs; 3 instances
// per dynamic-MIG GPU); one request of kind 0 = 1 whole GPU, 1 = 8 GiB of GPU memory,
// 2 = a 0.5 fraction (dynamic MIG), 3 = 2 whole GPUs with NVLink pairs known; per node:
// FitGpuRequest (placement and score), as the GPU decider does for every candidate node.
// MigChurn/<policy>: 20,000 arrivals on 4 A100-40GB (mig_churn.h); the counters are the
// result (refusals while a GPU had room, mean node fragmentation), the time is incidental.
// LiveGpuFilter/<nodes>/<full>, LiveGpuPrioritize/<nodes>/<full>: the live decorator
// (state::GpuDecider) over a pass-all inner decider, on a GpuState of `nodes` dynamic-MIG
// nodes of 8 A100s fed as the watch feeds it; full:0 = 2 instances per GPU in slices 0-3
// (every node fits a 3g.20gb at 4), full:1 = 3 instances per GPU (no node fits: a reason
// string per node); a 0.5-fraction pod: request parsing, the shared lock, one hash lookup
// and one FitGpuRequest per node.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "extender/decide/gpu_decider.h"
#include "extender/devices/gpu_state.h"
#include "gpu/gpu_request.h"
#include "gpu/inventory.h"
#include "gpu/mig_churn.h"
#include "gpu/node_gpus.h"
#include "gpu/placement.h"

namespace quotient::gpu {
namespace {

NodeGpus DynamicNode(int gpus) {
  std::vector<std::string> warnings;
  return NodeGpus(BuildNodeInventory({{"nvidia.com/gpu.product", "NVIDIA-A100-SXM4-40GB"},
                                      {"nvidia.com/gpu.count", std::to_string(gpus)},
                                      {"cdmo.clear.ml/gpu-partitioning", "mig"}},
                                     {}, {}, BuiltinMigCatalog(), InventoryOptions{}, &warnings));
}

GpuRequest Parse(const quota::ResourceList& requests, const StringPairs& labels) {
  GpuRequest out;
  std::string error;
  ParseGpuRequest(requests, labels, {}, BuiltinMigCatalog(), &out, &error);
  return out;
}

void BM_PlaceMigOneGpu(benchmark::State& state) {
  NodeGpus node = DynamicNode(1);
  const GpuRequest small = Parse(quota::ResourceList{{"nvidia.com/mig-1g.5gb", 1}}, {});
  for (int64_t i = 0; i < state.range(0); ++i) {
    node.Assign("p" + std::to_string(i), FitGpuRequest(node, small, FitOptions{}).assignment);
  }
  const GpuRequest request =
      state.range(1) == 0 ? small : Parse({}, {{"required-resources", "0.5"}});
  for (auto _ : state) {
    GpuFit fit = FitGpuRequest(node, request, FitOptions{});
    benchmark::DoNotOptimize(fit);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlaceMigOneGpu)->ArgsProduct({{0, 3, 6}, {0, 1}})->ArgNames({"occupied", "half"});

std::vector<NodeGpus> Cluster(int64_t nodes, int64_t kind) {
  std::vector<NodeGpus> out;
  out.reserve(static_cast<size_t>(nodes));
  std::vector<std::string> warnings;
  const GpuRequest mig = Parse(quota::ResourceList{{"nvidia.com/mig-1g.5gb", 1}}, {});
  for (int64_t n = 0; n < nodes; ++n) {
    if (kind == 2) {
      NodeGpus node = DynamicNode(8);
      for (int i = 0; i < 24; ++i) {
        // 3 instances per GPU, with a varying layout from node to node.
        GpuRequest r = mig;
        if ((n + i) % 3 == 0) r.profile = "2g.10gb";
        const GpuFit fit = FitGpuRequest(node, r, FitOptions{});
        if (fit.fits()) node.Assign("p" + std::to_string(i), fit.assignment);
      }
      out.push_back(std::move(node));
      continue;
    }
    quota::ResourceList alloc;
    StringPairs annotations;
    if (kind == 1) {
      alloc = {{"aliyun.com/gpu-mem", 128}, {"aliyun.com/gpu-count", 8}};
    } else {
      alloc = {{"nvidia.com/gpu", 8}};
    }
    if (kind == 3) {
      annotations = {{"quotient.io/gpu-links",
                      "0-1=NV4,2-3=NV4,4-5=NV4,6-7=NV4,0-2=PIX,1-3=PIX,4-6=PIX,5-7=PIX,"
                      "0-4=SYS,1-5=SYS,2-6=SYS,3-7=SYS"}};
    }
    NodeGpus node(BuildNodeInventory({}, annotations, alloc, BuiltinMigCatalog(),
                                     InventoryOptions{}, &warnings));
    for (int g = 0; g < 8; ++g) {
      GpuAssignment a;
      a.gpus = uint64_t{1} << g;
      if (kind == 1) {
        a.kind = GpuRequestKind::kMemory;
        a.share_units = 8 + (n + g) % 5 - 2;
        node.Assign("p" + std::to_string(g), a);
      } else if ((n + g) % 2 == 0) {
        a.kind = GpuRequestKind::kWhole;
        node.Assign("p" + std::to_string(g), a);
      }
    }
    out.push_back(std::move(node));
  }
  return out;
}

void BM_FitCluster(benchmark::State& state) {
  const int64_t kind = state.range(1);
  const std::vector<NodeGpus> cluster = Cluster(state.range(0), kind);
  quota::ResourceList requests;
  StringPairs labels;
  switch (kind) {
    case 0: requests = {{"nvidia.com/gpu", 1}}; break;
    case 1: requests = {{"aliyun.com/gpu-mem", 8}}; break;
    case 2: labels = {{"required-resources", "0.5"}}; break;
    default: requests = {{"nvidia.com/gpu", 2}}; break;
  }
  int64_t fits = 0;
  for (auto _ : state) {
    const GpuRequest request = Parse(requests, labels);
    int64_t score = 0;
    fits = 0;
    for (const NodeGpus& node : cluster) {
      const GpuFit fit = FitGpuRequest(node, request, FitOptions{});
      score += fit.score;
      fits += fit.fits() ? 1 : 0;
    }
    benchmark::DoNotOptimize(score);
  }
  state.counters["fitting_nodes"] = static_cast<double>(fits);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_FitCluster)
    ->ArgsProduct({{500, 5000}, {0, 1, 2, 3}})
    ->ArgNames({"nodes", "kind"})
    ->Unit(benchmark::kMicrosecond);

void BM_MigChurn(benchmark::State& state) {
  const MigPolicy policy = state.range(0) == 0 ? MigPolicy::kKeepLargest : MigPolicy::kFirstFit;
  MigChurn churn;
  for (auto _ : state) {
    churn = RunMigChurn(policy, 4, 20000, 42);
    benchmark::DoNotOptimize(churn);
  }
  state.counters["placed"] = static_cast<double>(churn.placed);
  state.counters["refused_with_room"] = static_cast<double>(churn.refused_with_room);
  state.counters["refused_full"] = static_cast<double>(churn.refused_full);
  state.counters["fragmentation"] = churn.mean_fragmentation;
  state.SetLabel(state.range(0) == 0 ? "keep-largest" : "first-fit");
}
BENCHMARK(BM_MigChurn)->Arg(0)->Arg(1)->ArgName("first_fit")->Unit(benchmark::kMillisecond);

// Passes every node with score 5, as the quota decider does for an admitted pod.
class PassAll : public extender::Decider {
 public:
  std::string Describe() const override { return "pass-all"; }
  extender::FilterDecision Filter(const extender::ExtenderArgs& args) override {
    extender::FilterDecision d;
    d.answer.passed.resize(args.nodes.size());
    for (size_t i = 0; i < args.nodes.size(); ++i) d.answer.passed[i] = i;
    return d;
  }
  extender::PrioritizeDecision Prioritize(const extender::ExtenderArgs& args) override {
    return {std::vector<int64_t>(args.nodes.size(), 5), extender::DecisionReason::kScored};
  }
  extender::PreemptDecision Preempt(const extender::PreemptionArgs&) override { return {}; }
  boost::asio::awaitable<extender::BindDecision> Bind(extender::BindingArgs) override {
    co_return extender::BindDecision{};
  }
};

class NoPatch : public extender::state::PodPatcher {
 public:
  boost::asio::awaitable<std::string> Patch(std::string, std::string, std::string) override {
    co_return std::string();
  }
};

struct LiveFixture {
  LiveFixture(int64_t nodes, bool full)
      : state(&BuiltinMigCatalog(), InventoryOptions{}),
        decider(std::make_unique<PassAll>(), &state, &patcher) {
    names.reserve(static_cast<size_t>(nodes));
    for (int64_t n = 0; n < nodes; ++n) names.push_back("node-" + std::to_string(n));
    for (int64_t n = 0; n < nodes; ++n) {
      extender::state::NodeInfo node;
      node.name = names[static_cast<size_t>(n)];
      node.labels = {{"nvidia.com/gpu.product", "NVIDIA-A100-SXM4-40GB"},
                     {"nvidia.com/gpu.count", "8"},
                     {"cdmo.clear.ml/gpu-partitioning", "mig"}};
      state.ObserveNode(false, node);
      for (int g = 0; g < 8; ++g) {
        for (int i = full ? 0 : 1; i < 3; ++i) {
          extender::PodInfo pod;
          pod.uid = node.name + "-" + std::to_string(g) + "-" + std::to_string(i);
          pod.ns = "bench";
          pod.name = pod.uid;
          pod.node_name = node.name;
          const char* profile = (n + g + i) % 3 == 0 ? "2g.10gb" : "1g.5gb";
          pod.requests = {{std::string("nvidia.com/mig-") + profile, 1}};
          // The placement the node agent acts on, as bind would have written it.
          const int start = i == 0 ? 4 : (i == 1 ? 0 : 2);
          pod.annotations = {{"quotient.io/mig-placement", "gpu=" + std::to_string(g) +
                                                               ",profile=" + profile +
                                                               ",start=" + std::to_string(start)}};
          state.ObservePod(false, pod);
        }
      }
    }
    args.pod.ns = "bench";
    args.pod.name = "half";
    args.pod.uid = "half";
    args.pod.labels = {{"required-resources", "0.5"}};
    args.has_node_names = true;
    for (const std::string& name : names) args.nodes.push_back({name, ""});
  }
  extender::state::GpuState state;
  NoPatch patcher;
  extender::state::GpuDecider decider;
  std::vector<std::string> names;
  extender::ExtenderArgs args;
};

void BM_LiveGpuFilter(benchmark::State& state) {
  LiveFixture f(state.range(0), state.range(1) != 0);
  size_t passed = 0;
  for (auto _ : state) {
    extender::FilterDecision d = f.decider.Filter(f.args);
    passed = d.answer.passed.size();
    benchmark::DoNotOptimize(d);
  }
  state.counters["fitting_nodes"] = static_cast<double>(passed);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_LiveGpuFilter)
    ->ArgsProduct({{500, 5000}, {0, 1}})
    ->ArgNames({"nodes", "full"})
    ->Unit(benchmark::kMicrosecond);

void BM_LiveGpuPrioritize(benchmark::State& state) {
  LiveFixture f(state.range(0), state.range(1) != 0);
  for (auto _ : state) {
    extender::PrioritizeDecision d = f.decider.Prioritize(f.args);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_LiveGpuPrioritize)
    ->ArgsProduct({{500, 5000}, {0, 1}})
    ->ArgNames({"nodes", "full"})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace quotient::gpu

BENCHMARK_MAIN();
