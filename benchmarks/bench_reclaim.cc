// Victim selection for reclaim: quota::PlanReclaim over a whole cluster.
//
// Run (Release build; nothing else heavy on the machine):
//   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build --target bench_reclaim
//   build/benchmarks/bench_reclaim --benchmark_min_time=1 --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
// One size:    --benchmark_filter='PlanReclaim/nodes:5000/'
// CI smoke:    bench_reclaim --benchmark_min_time=0.01   (ctest -L bench)
//
// BM_PlanReclaim arguments: nodes, depth of the pending pod's leaf, quota nodes. Every node
// runs 20 pods (1-4 cpu) and is full, and the root is at its max. The pending pod (6 cpu) is
// under its min; every other leaf borrows beyond its min, so every preemptible pod is a
// candidate: the worst case for the scan. Pods are created in node order, so later nodes keep
// offering newer victims, which defeats most pruning of nodes with 10 quota nodes (few,
// tied fairness ranks): the bad case for the per-node pass. items_per_second counts pods
// examined; the counter `victims` is the size of the chosen plan. Target: <= 5 ms per call
// at 5,000 nodes. BM_ReadEveryPod is the floor: it only reads what PlanReclaim must read.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "quota/quota_spec.h"
#include "quota/quota_tree.h"
#include "quota/quota_usage.h"
#include "quota/reclaim.h"
#include "quota/resource_list.h"

namespace quotient::quota {
namespace {

constexpr int kPodsPerNode = 20;
constexpr int64_t kMilliCpu = 1000;
constexpr int64_t kPendingCpu = 6 * kMilliCpu;

// A tree of `count` nodes: root -> pending path "p", "p.p", ... down to the pending pod's
// leaf at `depth` (min 6 cpu each, so the pending pod is within its guarantee), and a victim
// subtree "v" of the remaining nodes, made depth-first with the smallest branching (>= 2) that
// fits them within `depth`. Victim leaves get min 1 cpu, inner nodes their children's sum.
class TreeBuilder {
 public:
  TreeBuilder(int count, int depth) : left_(count - 1 - depth), depth_(depth) {
    for (branching_ = 2; Capacity() < left_; ++branching_) {
    }
  }
  QuotaNodeSpec Build() {
    QuotaNodeSpec root;
    root.name = "root";
    QuotaNodeSpec* parent = &root;
    for (int d = 1; d <= depth_; ++d) {
      parent->children.push_back({});
      parent = &parent->children.back();
      parent->name = "p" + std::string(static_cast<size_t>(d - 1), 'p');
      parent->min.Set(kResourceCpu, kPendingCpu);
    }
    if (left_-- > 0) root.children.push_back(Make("v", 1));
    root.min.Set(
        kResourceCpu,
        kPendingCpu + (root.children.size() > 1 ? root.children[1].min.Get(kResourceCpu) : 0));
    return root;
  }

 private:
  int64_t Capacity() const {  // nodes in a full subtree from depth 1 to depth_
    int64_t total = 1;
    int64_t level = 1;
    for (int d = 1; d < depth_; ++d) total += (level *= branching_);
    return total;
  }
  QuotaNodeSpec Make(const std::string& name, int depth) {
    QuotaNodeSpec node;
    node.name = name;
    int64_t min = 0;
    for (int i = 0; i < branching_ && depth < depth_ && left_ > 0; ++i) {
      --left_;
      node.children.push_back(Make(name + "." + std::to_string(i), depth + 1));
      min += node.children.back().min.Get(kResourceCpu);
    }
    node.min.Set(kResourceCpu, node.children.empty() ? kMilliCpu : min);
    return node;
  }

  int left_;
  int depth_;
  int branching_ = 2;
};

void CollectLeaves(const QuotaTree& tree, QuotaId id, std::vector<QuotaId>* out) {
  if (tree.is_leaf(id)) out->push_back(id);
  for (QuotaId child : tree.children(id)) CollectLeaves(tree, child, out);
}

struct Cluster {
  std::unique_ptr<QuotaUsage> usage;
  std::vector<std::vector<ReclaimPod>> pods;  // by node
  std::vector<ReclaimNode> nodes;
  ReclaimRequest request;
};

Cluster MakeCluster(int nodes, int depth, int quota_nodes) {
  TreeBuilder builder(quota_nodes, depth);
  QuotaNodeSpec spec = builder.Build();

  uint64_t seed = 42;
  auto next = [&seed](uint64_t bound) {  // xorshift: deterministic, cheap
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed % bound;
  };
  std::vector<ResourceList> requests;
  int64_t total = 0;
  for (int i = 0; i < nodes * kPodsPerNode; ++i) {
    requests.push_back({{kResourceCpu, static_cast<int64_t>(1 + next(4)) * kMilliCpu}});
    total += requests.back().Get(kResourceCpu);
  }
  spec.max.Set(kResourceCpu, total);
  spec.min.Set(kResourceCpu, std::max(spec.min.Get(kResourceCpu), total));

  Cluster cluster;
  cluster.usage = std::make_unique<QuotaUsage>(QuotaTree::Build(spec));
  const QuotaTree& tree = cluster.usage->tree();
  std::vector<QuotaId> leaves;
  CollectLeaves(tree, QuotaTree::root(), &leaves);
  const QuotaId pending_leaf = leaves.front();  // the pending path comes first
  leaves.erase(leaves.begin());
  if (leaves.empty()) leaves.push_back(pending_leaf);  // degenerate: same-leaf victims only
  cluster.pods.resize(static_cast<size_t>(nodes));
  for (int i = 0; i < nodes * kPodsPerNode; ++i) {
    const auto& request = requests[static_cast<size_t>(i)];
    ReclaimPod pod;
    pod.id = static_cast<uint32_t>(i);
    pod.leaf = leaves[next(leaves.size())];
    pod.quota_amounts = tree.ToSparse(request);
    pod.node_amounts = {request.Get(kResourceCpu)};
    pod.priority = static_cast<int32_t>(next(10));
    pod.creation_rank = i;
    pod.preemptible = next(20) != 0;
    pod.pdb_allows = next(10) != 0;
    cluster.usage->ForceCharge(pod.leaf, pod.quota_amounts);
    cluster.pods[static_cast<size_t>(i / kPodsPerNode)].push_back(std::move(pod));
  }
  for (int n = 0; n < nodes; ++n) {
    cluster.nodes.push_back({static_cast<uint32_t>(n), {0}, cluster.pods[static_cast<size_t>(n)]});
  }
  const ResourceList pending{{kResourceCpu, kPendingCpu}};
  cluster.request = {pending_leaf, tree.ToSparse(pending), {kPendingCpu}, 5, {}};
  return cluster;
}

void BM_PlanReclaim(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  Cluster cluster =
      MakeCluster(nodes, static_cast<int>(state.range(1)), static_cast<int>(state.range(2)));
  size_t victims = 0;
  for (auto _ : state) {
    ReclaimPlan plan = PlanReclaim(*cluster.usage, cluster.request, cluster.nodes);
    victims = plan.victim_ids.size();
    if (plan.outcome != ReclaimOutcome::kPlanned) state.SkipWithError("no plan");
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * nodes * kPodsPerNode);
  state.counters["victims"] = static_cast<double>(victims);
}
// The floor: reads every field PlanReclaim needs of every pod (its memory traffic), no logic.
void BM_ReadEveryPod(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  Cluster cluster = MakeCluster(nodes, 4, 1000);
  for (auto _ : state) {
    int64_t sum = 0;
    for (const ReclaimNode& node : cluster.nodes) {
      for (const ReclaimPod& pod : node.pods) {
        if (pod.terminating || !pod.preemptible) continue;
        sum += pod.leaf + pod.priority + pod.creation_rank + pod.pdb_allows +
               pod.quota_amounts.front().amount + pod.node_amounts.front();
      }
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * nodes * kPodsPerNode);
}
BENCHMARK(BM_ReadEveryPod)->ArgName("nodes")->Arg(500)->Arg(5000)->Unit(benchmark::kMillisecond);

BENCHMARK(BM_PlanReclaim)
    ->ArgNames({"nodes", "depth", "quotas"})
    ->ArgsProduct({{500, 5000}, {2, 4, 6}, {10, 1000}})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace quotient::quota

BENCHMARK_MAIN();
