// Feeding the GPU state from the watches: what an initial sync, and a relist after an
// API-server outage, cost state::GpuState on a large GPU cluster.
//
// Run (Release build; nothing else heavy on the machine):
//   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build --target bench_gpu_sync
//   build/benchmarks/bench_gpu_sync --benchmark_min_time=1 --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
// CI smoke:    bench_gpu_sync --benchmark_min_time=0.01
//
// The cluster: `nodes` nodes of 8 GPUs in three pools, one node in three each:
//  - exclusive: 8 whole GPUs (allocatable nvidia.com/gpu), 4 pods of 1 GPU and 2 of 2
//    (no annotation: their devices are placed as FitGpuRequest would);
//  - gpushare: 8 GPUs of 16 GiB (aliyun.com/gpu-mem 128, gpu-count 8), 3 pods per GPU
//    (4, 4 and 8 GiB) with the gpushare ALIYUN_COM_GPU_MEM_IDX annotation;
//  - dynamic MIG: 8 A100-40GB, 3 instances per GPU with quotient.io/mig-placement
//    annotations: a 0.5 fraction (3g.20gb) or a 1g.5gb at slice 4, a 1g.5gb at 0 and a
//    2g.10gb at 2;
// plus 2 pods without GPUs per node (daemon sets). 5,000 nodes: 90,000 GPU pods, 10,000
// other pods. UIDs are 36-character UUID strings, as the API server sends them.
//
// GpuStateSync/<nodes>/<order>: a fresh GpuState fed one node list and one pod list, as
// the reflectors of an initial sync deliver them; order 0 = the node list first, 1 = each
// node followed by its pods (the live fixture of bench_gpu), 2 = the pod list first (every
// bound pod waits for its node). Items: nodes + pods.
// GpuStateRelist/<nodes>/<gone>: on a synced state, a node relist and a pod relist
// (BeginList, every object, EndList) after an outage; gone:0 = nothing changed, gone:1 =
// every 100th node and its pods were deleted meanwhile (they are put back, untimed, after
// each iteration). Items: nodes + pods listed.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "extender/devices/gpu_state.h"
#include "gpu/mig_catalog.h"

namespace quotient::extender::state {
namespace {

constexpr int kGpusPerNode = 8;

std::string Uid(int64_t node, int pod) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08llx-5a1e-4c2b-9d3f-%012x",
                static_cast<unsigned long long>(node), static_cast<unsigned>(pod));
  return buf;
}

struct NodeObjects {
  NodeInfo node;
  std::vector<PodInfo> pods;
};

PodInfo BoundPod(const std::string& node, int64_t n, int i) {
  PodInfo pod;
  pod.uid = Uid(n, i);
  pod.ns = "team-" + std::to_string(n % 40);
  pod.name = "job-" + std::to_string(n) + "-" + std::to_string(i);
  pod.node_name = node;
  pod.phase = "Running";
  pod.labels = {{"app.kubernetes.io/name", "trainer"}, {"team", pod.ns}};
  pod.requests = {{"cpu", 4000}, {"memory", int64_t{16} << 30}, {"pods", 1}};
  return pod;
}

NodeObjects MakeNode(int64_t n) {
  NodeObjects out;
  NodeInfo& node = out.node;
  node.name = "gpu-node-" + std::to_string(n);
  node.labels = {{"kubernetes.io/hostname", node.name}, {"topology.kubernetes.io/zone", "z1"}};
  node.allocatable = {{"cpu", 96000}, {"memory", int64_t{1} << 40}, {"pods", 110}};
  int i = 0;
  auto add = [&]() -> PodInfo& { return out.pods.emplace_back(BoundPod(node.name, n, i++)); };
  switch (n % 3) {
    case 0:  // exclusive
      node.labels.push_back({"nvidia.com/gpu.product", "NVIDIA-H100-80GB-HBM3"});
      node.labels.push_back({"nvidia.com/gpu.count", "8"});
      node.allocatable.Set("nvidia.com/gpu", kGpusPerNode);
      for (int k = 0; k < 6; ++k) add().requests.Set("nvidia.com/gpu", k < 4 ? 1 : 2);
      break;
    case 1:  // gpushare
      node.labels.push_back({"gpu-type", "T4"});
      node.allocatable.Set("aliyun.com/gpu-mem", 16 * kGpusPerNode);
      node.allocatable.Set("aliyun.com/gpu-count", kGpusPerNode);
      for (int g = 0; g < kGpusPerNode; ++g) {
        for (int units : {4, 4, 8}) {
          PodInfo& pod = add();
          pod.requests.Set("aliyun.com/gpu-mem", units);
          pod.annotations = {{"ALIYUN_COM_GPU_MEM_IDX", std::to_string(g)},
                             {"ALIYUN_COM_GPU_MEM_POD", std::to_string(units)},
                             {"ALIYUN_COM_GPU_MEM_ASSIGNED", "true"}};
        }
      }
      break;
    default:  // dynamic MIG
      node.labels.push_back({"nvidia.com/gpu.product", "NVIDIA-A100-SXM4-40GB"});
      node.labels.push_back({"nvidia.com/gpu.count", "8"});
      node.labels.push_back({"cdmo.clear.ml/gpu-partitioning", "mig"});
      for (int g = 0; g < kGpusPerNode; ++g) {
        const std::string gpu = "gpu=" + std::to_string(g);
        PodInfo& first = add();
        if (g % 2 == 0) {
          first.labels.push_back({"required-resources", "0.5"});
          first.annotations = {{"quotient.io/mig-placement", gpu + ",profile=3g.20gb,start=4"}};
        } else {
          first.requests.Set("nvidia.com/mig-1g.5gb", 1);
          first.annotations = {{"quotient.io/mig-placement", gpu + ",profile=1g.5gb,start=4"}};
        }
        PodInfo& second = add();
        second.requests.Set("nvidia.com/mig-1g.5gb", 1);
        second.annotations = {{"quotient.io/mig-placement", gpu + ",profile=1g.5gb,start=0"}};
        PodInfo& third = add();
        third.requests.Set("nvidia.com/mig-2g.10gb", 1);
        third.annotations = {{"quotient.io/mig-placement", gpu + ",profile=2g.10gb,start=2"}};
      }
      break;
  }
  for (int k = 0; k < 2; ++k) {
    PodInfo& daemon = add();
    daemon.ns = "kube-system";
    daemon.requests = {{"cpu", 100}, {"memory", int64_t{128} << 20}, {"pods", 1}};
  }
  return out;
}

std::vector<NodeObjects> MakeCluster(int64_t nodes) {
  std::vector<NodeObjects> out;
  out.reserve(static_cast<size_t>(nodes));
  for (int64_t n = 0; n < nodes; ++n) out.push_back(MakeNode(n));
  return out;
}

int64_t CountObjects(const std::vector<NodeObjects>& cluster) {
  int64_t count = 0;
  for (const NodeObjects& n : cluster) count += 1 + static_cast<int64_t>(n.pods.size());
  return count;
}

// One initial sync in `order` (see the top of the file).
void Sync(GpuState& state, const std::vector<NodeObjects>& cluster, int64_t order) {
  auto nodes = [&] {
    state.ObserveNodeList(true);
    for (const NodeObjects& n : cluster) state.ObserveNode(false, n.node);
    state.ObserveNodeList(false);
  };
  auto pods = [&] {
    state.ObservePodList(true);
    for (const NodeObjects& n : cluster) {
      for (const PodInfo& pod : n.pods) state.ObservePod(false, pod);
    }
    state.ObservePodList(false);
  };
  if (order == 0) {
    nodes();
    pods();
  } else if (order == 2) {
    pods();
    nodes();
  } else {
    state.ObserveNodeList(true);
    state.ObservePodList(true);
    for (const NodeObjects& n : cluster) {
      state.ObserveNode(false, n.node);
      for (const PodInfo& pod : n.pods) state.ObservePod(false, pod);
    }
    state.ObservePodList(false);
    state.ObserveNodeList(false);
  }
}

int64_t CountedAssignments(const GpuState& state) {
  int64_t count = 0;
  state.ForEachNode([&](const std::string&, const gpu::NodeGpus& node) {
    count += static_cast<int64_t>(node.assignments().size());
  });
  return count;
}

void BM_GpuStateSync(benchmark::State& state) {
  const std::vector<NodeObjects> cluster = MakeCluster(state.range(0));
  std::optional<GpuState> gpu;
  for (auto _ : state) {
    state.PauseTiming();
    gpu.reset();
    gpu.emplace(&gpu::BuiltinMigCatalog(), gpu::InventoryOptions{});
    state.ResumeTiming();
    Sync(*gpu, cluster, state.range(1));
  }
  state.counters["counted_pods"] = static_cast<double>(CountedAssignments(*gpu));
  state.SetItemsProcessed(state.iterations() * CountObjects(cluster));
}
BENCHMARK(BM_GpuStateSync)
    ->ArgsProduct({{500, 5000}, {0, 1, 2}})
    ->ArgNames({"nodes", "order"})
    ->Unit(benchmark::kMillisecond);

void BM_GpuStateRelist(benchmark::State& state) {
  const std::vector<NodeObjects> cluster = MakeCluster(state.range(0));
  const bool gone = state.range(1) != 0;
  GpuState gpu(&gpu::BuiltinMigCatalog(), gpu::InventoryOptions{});
  Sync(gpu, cluster, 0);
  auto listed = [&](size_t n) { return !gone || n % 100 != 0; };
  int64_t objects = 0;
  for (auto _ : state) {
    gpu.ObserveNodeList(true);
    for (size_t n = 0; n < cluster.size(); ++n) {
      if (listed(n)) gpu.ObserveNode(false, cluster[n].node);
    }
    gpu.ObserveNodeList(false);
    gpu.ObservePodList(true);
    for (size_t n = 0; n < cluster.size(); ++n) {
      if (!listed(n)) continue;
      for (const PodInfo& pod : cluster[n].pods) gpu.ObservePod(false, pod);
      objects += 1 + static_cast<int64_t>(cluster[n].pods.size());
    }
    gpu.ObservePodList(false);
    if (gone) {
      state.PauseTiming();  // the deleted nodes come back for the next iteration
      for (size_t n = 0; n < cluster.size(); n += 100) {
        gpu.ObserveNode(false, cluster[n].node);
        for (const PodInfo& pod : cluster[n].pods) gpu.ObservePod(false, pod);
      }
      state.ResumeTiming();
    }
  }
  state.counters["counted_pods"] = static_cast<double>(CountedAssignments(gpu));
  state.SetItemsProcessed(objects);
}
BENCHMARK(BM_GpuStateRelist)
    ->ArgsProduct({{500, 5000}, {0, 1}})
    ->ArgNames({"nodes", "gone"})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace quotient::extender::state

BENCHMARK_MAIN();
