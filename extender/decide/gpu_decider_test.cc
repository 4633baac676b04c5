// The GPU decorator over a fake inner decider: device-level filter with per-node reasons,
// blended scores, bind writing the device placement before delegating, and GPU state
// rebuilt from the pods' annotations.
#include "extender/decide/gpu_decider.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "extender/control/control_test_util.h"
#include "extender/devices/gpu_annotations.h"
#include "extender/devices/gpu_metrics.h"

namespace quotient::extender::state {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// Passes every node, scores 4, binds successfully, and counts calls.
class FakeInner : public Decider {
 public:
  std::string Describe() const override { return "fake"; }
  FilterDecision Filter(const ExtenderArgs& args) override {
    ++filters;
    FilterDecision d;
    for (const WireNode& n : args.nodes) seen.emplace_back(n.name);
    for (size_t i = 0; i < args.nodes.size(); ++i) {
      if (i == 0 && refuse_first) {
        d.answer.failed.emplace_back(i, "inner refused");
      } else {
        d.answer.passed.push_back(i);
      }
    }
    d.reason = DecisionReason::kQuotaAdmitted;
    return d;
  }
  PrioritizeDecision Prioritize(const ExtenderArgs& args) override {
    return {std::vector<int64_t>(args.nodes.size(), 4), DecisionReason::kScored};
  }
  // Echoes the proposed victims (as the quota preemptor does when the quota allows).
  PreemptDecision Preempt(const PreemptionArgs& args) override {
    PreemptDecision d;
    d.nodes = args.nodes;
    return d;
  }
  boost::asio::awaitable<BindDecision> Bind(BindingArgs args) override {
    if (on_bind) on_bind();
    BindDecision d;
    d.error = bind_error;
    if (!d.error.empty()) {
      d.result = DecisionResult::kError;
      d.reason = DecisionReason::kBindRefused;
      co_return d;
    }
    bound.push_back(args.pod_namespace + "/" + args.pod_name + "@" + args.node);
    co_return d;
  }
  std::function<void()> on_bind;  // runs while the Binding is "in flight"
  std::string bind_error;         // the Binding fails with this
  int filters = 0;
  bool refuse_first = false;      // fail the first node it is given
  std::vector<std::string> seen;  // node names of every filter call
  std::vector<std::string> bound;
};

class FakePatcher : public PodPatcher {
 public:
  boost::asio::awaitable<std::string> Patch(std::string ns, std::string name,
                                            std::string body) override {
    patches.push_back(ns + "/" + name + " " + body);
    co_return fail;
  }
  std::vector<std::string> patches;
  std::string fail;
};

NodeInfo Node(const std::string& name, StringPairs labels, quota::ResourceList alloc) {
  NodeInfo node;
  node.name = name;
  node.labels = std::move(labels);
  node.allocatable = std::move(alloc);
  return node;
}

PodInfo Pod(const std::string& name, quota::ResourceList requests, StringPairs labels = {}) {
  PodInfo pod;
  pod.name = name;
  pod.ns = "a";
  pod.uid = "uid-" + name;
  pod.requests = std::move(requests);
  pod.labels = std::move(labels);
  return pod;
}

class GpuDeciderTest : public ::testing::Test {
 protected:
  GpuDeciderTest() {
    auto inner = std::make_unique<FakeInner>();
    inner_ = inner.get();
    decider_ = std::make_unique<GpuDecider>(std::move(inner), &state_, &patcher_);
    state_.UpsertNode(Node("mig-1",
                           {{"nvidia.com/gpu.product", "NVIDIA-A100-SXM4-40GB"},
                            {"nvidia.com/gpu.count", "1"},
                            {"cdmo.clear.ml/gpu-partitioning", "mig"}},
                           {}));
    state_.UpsertNode(
        Node("share-1", {}, {{"aliyun.com/gpu-mem", 16}, {"aliyun.com/gpu-count", 2}}));
    state_.UpsertNode(Node("t4-1", {{"gpu-type", "T4"}}, {{"nvidia.com/gpu", 2}}));
  }

  ExtenderArgs Args(const PodInfo& pod) {
    ExtenderArgs args;
    args.pod = pod;
    args.has_node_names = true;
    for (const char* n : {"mig-1", "share-1", "t4-1"}) args.nodes.push_back({n, ""});
    return args;
  }

  BindDecision Bind(const PodInfo& pod, const std::string& node) {
    state_.UpsertPod(pod);  // the watch saw it pending
    return testing::RunAwaitable(decider_->Bind(BindingArgs{pod.name, pod.ns, pod.uid, node}));
  }

  GpuState state_{&gpu::BuiltinMigCatalog(), gpu::InventoryOptions{}};
  FakePatcher patcher_;
  FakeInner* inner_ = nullptr;
  std::unique_ptr<GpuDecider> decider_;
};

TEST_F(GpuDeciderTest, PodsWithoutGpusGoToTheInnerDeciderUntouched) {
  const FilterDecision d = decider_->Filter(Args(Pod("web", {{"cpu", 1000}})));
  EXPECT_THAT(d.answer.passed, ElementsAre(0, 1, 2));
  EXPECT_EQ(d.reason, DecisionReason::kQuotaAdmitted);
  EXPECT_EQ(decider_->Prioritize(Args(Pod("web", {{"cpu", 1000}}))).scores,
            (std::vector<int64_t>{4, 4, 4}));
}

TEST_F(GpuDeciderTest, FilterDropsNodesWhereTheRequestDoesNotFitWithATextTheSchedulerCanCount) {
  const FilterDecision d = decider_->Filter(Args(Pod("mem", {{"aliyun.com/gpu-mem", 8}})));
  EXPECT_THAT(d.answer.passed, ElementsAre(1));
  EXPECT_THAT(d.answer.failed,
              ElementsAre(Pair(0, "gpu: the node shares no GPU memory (no aliyun.com/gpu-mem)"),
                          Pair(2, "gpu: the node shares no GPU memory (no aliyun.com/gpu-mem)")));
  EXPECT_EQ(d.result, DecisionResult::kAccepted);
}

TEST_F(GpuDeciderTest, AnotherModelIsUnresolvableAndAllRefusedIsARejection) {
  const FilterDecision d = decider_->Filter(
      Args(Pod("v100", {{"nvidia.com/gpu", 1}}, {{"quotient.io/gpu-model", "V100"}})));
  EXPECT_TRUE(d.answer.passed.empty());
  EXPECT_EQ(d.result, DecisionResult::kRejected);
  EXPECT_EQ(d.reason, DecisionReason::kNodeFit);
  ASSERT_EQ(d.answer.failed_unresolvable.size(), 3u);
  EXPECT_EQ(d.answer.failed_unresolvable[0].second,
            "gpu: the node has A100-40GB GPUs, the pod asks for V100");
  EXPECT_EQ(d.answer.failed_unresolvable[2].second,
            "gpu: the node has T4 GPUs, the pod asks for V100");
}

TEST_F(GpuDeciderTest, TheInnerDeciderSeesOnlyTheNodesThatFitAtDeviceLevel) {
  auto args = Args(Pod("mem", {{"aliyun.com/gpu-mem", 8}}));
  inner_->refuse_first = true;  // the inner decider fails its first node (share-1)
  const FilterDecision d = decider_->Filter(args);
  EXPECT_EQ(inner_->filters, 1);
  EXPECT_EQ(inner_->seen, (std::vector<std::string>{"share-1"}));
  EXPECT_TRUE(d.answer.passed.empty());
  // Indexes are the input's: share-1 is node 1, the inner refusal first, then the GPU ones.
  EXPECT_THAT(d.answer.failed,
              ElementsAre(Pair(1, "inner refused"),
                          Pair(0, "gpu: the node shares no GPU memory (no aliyun.com/gpu-mem)"),
                          Pair(2, "gpu: the node shares no GPU memory (no aliyun.com/gpu-mem)")));
}

TEST_F(GpuDeciderTest, APodThatFitsNoNodeAtDeviceLevelNeverReachesTheInnerDecider) {
  // 20 GiB on one GPU: share-1 has 2 x 8. The inner (quota) decider would reserve quota.
  const FilterDecision d = decider_->Filter(Args(Pod("big", {{"aliyun.com/gpu-mem", 20}})));
  EXPECT_EQ(inner_->filters, 0);
  EXPECT_EQ(d.result, DecisionResult::kRejected);
  EXPECT_EQ(d.reason, DecisionReason::kNodeFit);
  EXPECT_EQ(d.message, "gpu: node mig-1 shares no GPU memory (no aliyun.com/gpu-mem)");
  // More than any GPU of share-1 holds: no eviction helps, so it is unresolvable.
  EXPECT_THAT(d.answer.failed_unresolvable,
              ElementsAre(Pair(1,
                               "gpu: the pod asks for 20Gi of GPU memory on one GPU; the "
                               "largest GPU of the node holds 8Gi")));
}

TEST_F(GpuDeciderTest, AMalformedRequestFailsEveryNode) {
  const FilterDecision d =
      decider_->Filter(Args(Pod("bad", {{"cpu", 1}}, {{"required-resources", "2"}})));
  EXPECT_EQ(inner_->filters, 0);
  EXPECT_EQ(d.answer.failed_unresolvable.size(), 3u);
  EXPECT_EQ(d.message, "gpu: gpu fraction \"2\" is not a number in (0, 1]");
}

TEST_F(GpuDeciderTest, PrioritizeBlendsThePlacementScore) {
  const PrioritizeDecision d =
      decider_->Prioritize(Args(Pod("half", {}, {{"required-resources", "0.5"}})));
  // mig-1: 3g.20gb on an empty A100 -> 5 x 4/8 + 5 x 1 = 8; (4 + 8 + 1) / 2 = 6.
  EXPECT_EQ(d.scores, (std::vector<int64_t>{6, 4, 4}));
}

TEST_F(GpuDeciderTest, BindWritesTheMigPlacementThenBindsAndCountsIt) {
  const PodInfo half = Pod("half", {}, {{"required-resources", "0.5"}});
  const BindDecision d = Bind(half, "mig-1");
  EXPECT_EQ(d.error, "");
  EXPECT_THAT(
      patcher_.patches,
      ElementsAre(
          "a/half "
          "{\"metadata\":{\"uid\":\"uid-half\",\"annotations\":{\"quotient.io/mig-placement\":"
          "\"gpu=0,profile=3g.20gb,start=4,size=4\"}}}"));
  EXPECT_THAT(inner_->bound, ElementsAre("a/half@mig-1"));
  // Counted at once: the next half goes to slice 0, a third does not fit.
  const PodInfo second = Pod("second", {}, {{"required-resources", "0.5"}});
  EXPECT_EQ(Bind(second, "mig-1").error, "");
  EXPECT_THAT(patcher_.patches[1], ::testing::HasSubstr("start=0,size=4"));
  const BindDecision third = Bind(Pod("third", {}, {{"required-resources", "0.5"}}), "mig-1");
  EXPECT_EQ(third.result, DecisionResult::kRejected);
  EXPECT_EQ(third.error,
            "gpu: every partitionable GPU on node mig-1 already holds the most 3g.20gb (0.5 GPU) "
            "instances allowed (2 per GPU, or 7 instances in all)");
  EXPECT_EQ(inner_->bound.size(), 2u);
}

TEST_F(GpuDeciderTest, APodOfSeveralMigInstancesIsPlacedCountedAndAnnotatedAsAList) {
  // Three 3g.20gb never fit one A100 (2 per GPU): unresolvable, and the filter says the most
  // the node holds. (Any valid quantity may be asked: "2P" is refused the same way.)
  for (const int64_t count : {int64_t{3}, int64_t{2'000'000'000'000'000}}) {
    const FilterDecision d =
        decider_->Filter(Args(Pod("three", {{"nvidia.com/mig-3g.20gb", count}})));
    ASSERT_EQ(d.answer.failed_unresolvable.size(), 1u);
    EXPECT_EQ(
        d.answer.failed_unresolvable[0].second,
        fmt::format("gpu: the pod asks for {} 3g.20gb instances; the node holds at most 2", count));
  }
  EXPECT_EQ(Bind(Pod("two", {{"nvidia.com/mig-1g.5gb", 2}}), "mig-1").error, "");
  EXPECT_THAT(patcher_.patches,
              ElementsAre("a/two {\"metadata\":{\"uid\":\"uid-two\",\"annotations\":{"
                          "\"quotient.io/mig-placement\":"
                          "\"gpu=0,profile=1g.5gb,start=4,size=1;"
                          "gpu=0,profile=1g.5gb,start=5,size=1\"}}}"));
  metrics::Registry registry;
  RegisterGpuMetrics(&registry, &state_);
  EXPECT_THAT(
      registry.Render(),
      ::testing::HasSubstr("quotient_gpu_node_mig_slices{node=\"mig-1\",state=\"used\"} 2"));
  // Both instances leave with the pod.
  state_.DeletePod("uid-two");
  state_.Read([](auto lookup) {
    EXPECT_EQ(lookup("mig-1")->use()[0].mask, 0);
    return 0;
  });
}

TEST_F(GpuDeciderTest, APodTheWatchHasNotSeenYetIsBoundWithItsPlacementAfterFilter) {
  // kube-scheduler can filter and bind a pod before Quotient's pod watch delivers it.
  const PodInfo half = Pod("early", {}, {{"required-resources", "0.5"}});
  ASSERT_THAT(decider_->Filter(Args(half)).answer.passed, ElementsAre(0));
  const BindDecision d =
      testing::RunAwaitable(decider_->Bind(BindingArgs{half.name, half.ns, half.uid, "mig-1"}));
  EXPECT_EQ(d.error, "");
  EXPECT_THAT(
      patcher_.patches,
      ElementsAre(
          "a/early "
          "{\"metadata\":{\"uid\":\"uid-early\",\"annotations\":{\"quotient.io/mig-placement\":"
          "\"gpu=0,profile=3g.20gb,start=4,size=4\"}}}"));
  // The watch's view, when it comes, is the same pod: counted once.
  PodInfo seen = half;
  seen.node_name = "mig-1";
  state_.UpsertPod(seen);
  EXPECT_EQ(Bind(Pod("second", {}, {{"required-resources", "0.5"}}), "mig-1").error, "");
  EXPECT_THAT(patcher_.patches[1], ::testing::HasSubstr("start=0,size=4"));
}

TEST_F(GpuDeciderTest, BindWritesTheGpushareAnnotations) {
  const BindDecision d = Bind(Pod("mem", {{"aliyun.com/gpu-mem", 3}}), "share-1");
  EXPECT_EQ(d.error, "");
  ASSERT_EQ(patcher_.patches.size(), 1u);
  EXPECT_THAT(patcher_.patches[0],
              ::testing::StartsWith("a/mem {\"metadata\":{\"uid\":\"uid-mem\",\"annotations\":{"
                                    "\"ALIYUN_COM_GPU_MEM_IDX\":\"0\",\"ALIYUN_COM_GPU_MEM_POD\":"
                                    "\"3\",\"ALIYUN_COM_GPU_MEM_DEV\":\"8\","
                                    "\"ALIYUN_COM_GPU_MEM_ASSIGNED\":\"false\","
                                    "\"ALIYUN_COM_GPU_MEM_ASSUME_TIME\":\""));
}

TEST_F(GpuDeciderTest, AFailedPatchDoesNotBindAndReleasesTheDevices) {
  patcher_.fail = "403 Forbidden";
  const BindDecision d = Bind(Pod("mem", {{"aliyun.com/gpu-mem", 3}}), "share-1");
  EXPECT_EQ(d.error, "gpu: writing the device placement failed: 403 Forbidden");
  EXPECT_TRUE(inner_->bound.empty());
  state_.Read([](auto lookup) {
    EXPECT_EQ(lookup("share-1")->use()[0].share_used, 0);
    return 0;
  });
}

// Quotient restarted between the pod's filter and its bind, and its pod watch has not
// listed yet: whether the pod asks for devices is unknown, so it is not bound blind.
TEST_F(GpuDeciderTest, ABindBeforeThePodWatchHasListedIsRefusedNotBoundWithoutItsPlacement) {
  const BindingArgs args{"half", "a", "uid-half", "mig-1"};
  BindDecision d = testing::RunAwaitable(decider_->Bind(args));
  EXPECT_EQ(d.result, DecisionResult::kError);
  EXPECT_EQ(d.reason, DecisionReason::kNotSynced);
  EXPECT_EQ(d.error,
            "gpu: the pod watch has not completed its first list, so the pod's GPU request is "
            "unknown; retry");
  EXPECT_TRUE(inner_->bound.empty());
  state_.ObservePodList(true);
  state_.UpsertPod(Pod("half", {}, {{"required-resources", "0.5"}}));
  state_.ObservePodList(false);
  d = testing::RunAwaitable(decider_->Bind(args));
  EXPECT_EQ(d.error, "");
  EXPECT_THAT(patcher_.patches, ElementsAre(::testing::HasSubstr("start=4,size=4")));
  // Once listed, a pod the state does not know asks for no device.
  EXPECT_EQ(testing::RunAwaitable(decider_->Bind({"web", "a", "uid-web", "t4-1"})).error, "");
  EXPECT_THAT(inner_->bound, ElementsAre("a/half@mig-1", "a/web@t4-1"));
}

// kube-scheduler's bind call timed out (httpTimeout) and it bound the pod again: the
// second bind neither chooses devices again nor, when its Binding is refused, releases the
// devices of the pod the first one bound.
TEST_F(GpuDeciderTest, ARetriedBindOfABoundPodChoosesAndReleasesNothing) {
  const PodInfo pod = Pod("half", {}, {{"required-resources", "0.5"}});
  ASSERT_EQ(Bind(pod, "mig-1").error, "");
  const BindDecision again =
      testing::RunAwaitable(decider_->Bind({pod.name, pod.ns, pod.uid, "mig-1"}));
  EXPECT_EQ(again.result, DecisionResult::kError);
  EXPECT_EQ(again.reason, DecisionReason::kBindDuplicate);
  EXPECT_EQ(again.error,
            "gpu: the pod is bound already to mig-1; its devices are not chosen again");
  EXPECT_EQ(patcher_.patches.size(), 1u);
  // A retry while the first bind is in flight: the first Binding lands (the watch shows
  // it) and the retry's is refused (409); the running pod keeps its devices.
  PodInfo other = Pod("other", {}, {{"required-resources", "0.5"}});
  inner_->on_bind = [&] {
    inner_->on_bind = nullptr;
    const BindDecision during =
        testing::RunAwaitable(decider_->Bind({other.name, other.ns, other.uid, "mig-1"}));
    EXPECT_EQ(during.reason, DecisionReason::kBindDuplicate);
    other.node_name = "mig-1";
    other.annotations = {{"quotient.io/mig-placement", "gpu=0,profile=3g.20gb,start=0,size=4"}};
    state_.UpsertPod(other);
    inner_->bind_error = "409 Conflict: pod a/other is already assigned to node mig-1";
  };
  EXPECT_FALSE(Bind(other, "mig-1").error.empty());
  state_.Read([](auto lookup) {
    EXPECT_EQ(lookup("mig-1")->assignments().size(), 2u);
    EXPECT_EQ(lookup("mig-1")->use()[0].mask, 0xFF);
    return 0;
  });
}

TEST_F(GpuDeciderTest, PlacementsReservedAtBindAreNeverChosenTwice) {
  // Two binds in flight at once: the second reservation sees the first.
  gpu::GpuRequest half;
  std::string error;
  ASSERT_TRUE(gpu::ParseGpuRequest({}, {{"required-resources", "0.5"}}, {},
                                   gpu::BuiltinMigCatalog(), &half, &error));
  gpu::GpuAssignment a;
  gpu::GpuAssignment b;
  StringPairs annotations;
  std::string why;
  ASSERT_EQ(state_.Reserve("p1", "mig-1", half, {}, 0, &a, &annotations, &why),
            GpuState::ReserveResult::kReserved);
  ASSERT_EQ(state_.Reserve("p2", "mig-1", half, {}, 0, &b, &annotations, &why),
            GpuState::ReserveResult::kReserved);
  EXPECT_EQ(a.instances.at(0).start, 4);
  EXPECT_EQ(b.instances.at(0).start, 0);
  EXPECT_EQ(state_.Reserve("p3", "mig-1", half, {}, 0, &b, &annotations, &why),
            GpuState::ReserveResult::kNoFit);
  state_.FinishBind("p1", false);
  ASSERT_EQ(state_.Reserve("p3", "mig-1", half, {}, 0, &b, &annotations, &why),
            GpuState::ReserveResult::kReserved);
  EXPECT_EQ(b.instances.at(0).start, 4);
}

TEST_F(GpuDeciderTest, WholeGpusBindWithoutAnnotations) {
  EXPECT_EQ(Bind(Pod("whole", {{"nvidia.com/gpu", 2}}), "t4-1").error, "");
  EXPECT_TRUE(patcher_.patches.empty());
  EXPECT_EQ(
      decider_->Filter(Args(Pod("more", {{"nvidia.com/gpu", 1}}))).answer.failed.back().second,
      "gpu: the node has 0 idle GPUs, the pod asks for 1");
}

// KEP-5004: a node with GPU feature discovery labels and no nvidia.com/gpu in its
// allocatable has no device plugin for whole GPUs; kube-scheduler passes it for a pod
// asking nvidia.com/gpu only when a DRA DeviceClass names that resource, and its
// DynamicResources plugin chooses the device (a claim written before the bind).
TEST_F(GpuDeciderTest, WholeGpusOnANodeWithoutADevicePluginAreLeftToDra) {
  state_.UpsertNode(Node(
      "dra-1", {{"nvidia.com/gpu.product", "NVIDIA-A100-SXM4-40GB"}, {"nvidia.com/gpu.count", "8"}},
      {{"cpu", 64000}}));
  ExtenderArgs args = Args(Pod("claim", {{"nvidia.com/gpu", 2}}));
  args.nodes = {{"t4-1", ""}, {"dra-1", ""}};
  const FilterDecision d = decider_->Filter(args);
  EXPECT_THAT(d.answer.passed, ElementsAre(0, 1));
  EXPECT_THAT(inner_->seen, ElementsAre("t4-1", "dra-1"));
  // The inner score alone there: no placement is scored.
  EXPECT_EQ(decider_->Prioritize(args).scores.at(1), 4);

  // Preempt keeps the DRA node (which devices its victims free is the DRA plugin's); the
  // device-plugin node full of the pod's GPUs after the victims leave is dropped.
  PreemptionArgs preempt;
  preempt.pod = args.pod;
  preempt.nodes = {{"t4-1", {"uid-nobody"}, 0}, {"dra-1", {"uid-nobody"}, 0}};
  ASSERT_EQ(Bind(Pod("holder", {{"nvidia.com/gpu", 2}}), "t4-1").error, "");
  const PreemptDecision p = decider_->Preempt(preempt);
  ASSERT_EQ(p.nodes.size(), 1u);
  EXPECT_EQ(p.nodes[0].node, "dra-1");

  // The model asked is still checked.
  args.pod = Pod("v100", {{"nvidia.com/gpu", 1}}, {{"quotient.io/gpu-model", "V100"}});
  EXPECT_THAT(decider_->Filter(args).answer.failed_unresolvable,
              ElementsAre(Pair(0, "gpu: the node has T4 GPUs, the pod asks for V100"),
                          Pair(1, "gpu: the node has A100-40GB GPUs, the pod asks for V100")));

  // Bound without a placement: nothing written, nothing counted. The watch then sees it
  // bound with the claim kube-scheduler wrote in PreBind, and GpuState does not keep it.
  PodInfo pod = Pod("claim", {{"nvidia.com/gpu", 2}});
  ASSERT_EQ(Bind(pod, "dra-1").error, "");
  EXPECT_TRUE(patcher_.patches.empty());
  EXPECT_THAT(inner_->bound, ElementsAre("a/holder@t4-1", "a/claim@dra-1"));
  pod.node_name = "dra-1";
  pod.extended_resource_claim = "claim-extended-resources-4xk2p";
  state_.UpsertPod(pod);
  EXPECT_EQ(state_.DebugString().find("pod uid-claim"), std::string::npos) << state_.DebugString();
  EXPECT_EQ(state_.CheckIndex(), "");
  EXPECT_TRUE(state_.warnings().empty());
  // Its labelled GPUs are not the device plugin's: not counted as unhealthy either.
  metrics::Registry registry;
  RegisterGpuMetrics(&registry, &state_);
  const std::string text = registry.Render();
  EXPECT_NE(text.find("quotient_gpu_cluster_nodes{state=\"unhealthy\"} 0"), std::string::npos)
      << text;
}

// The rule for a bound pod is its claim, not its node's allocatable now: a device plugin
// that re-registers after a kubelet restart reports 0 GPUs for a while, and the pods it
// serves stay counted (else their GPUs would look idle to the next bind).
TEST_F(GpuDeciderTest, APodOfADevicePluginStaysCountedWhileItsNodeReportsNoGpus) {
  PodInfo pod = Pod("whole", {{"nvidia.com/gpu", 2}});
  ASSERT_EQ(Bind(pod, "t4-1").error, "");
  state_.UpsertNode(Node("t4-1", {{"gpu-type", "T4"}}, {{"nvidia.com/gpu", 0}}));
  pod.node_name = "t4-1";
  state_.UpsertPod(pod);
  state_.UpsertNode(Node("t4-1", {{"gpu-type", "T4"}}, {{"nvidia.com/gpu", 2}}));
  EXPECT_NE(state_.DebugString().find("pod uid-whole"), std::string::npos);
  EXPECT_EQ(
      decider_->Filter(Args(Pod("more", {{"nvidia.com/gpu", 1}}))).answer.failed.back().second,
      "gpu: the node has 0 idle GPUs, the pod asks for 1");
  EXPECT_EQ(state_.CheckIndex(), "");
}

TEST_F(GpuDeciderTest, DeviceStateIsRebuiltFromThePodsAnnotations) {
  // After a restart: bound pods arrive with the annotations written at bind.
  PodInfo placed = Pod("placed", {}, {{"required-resources", "0.5"}});
  placed.node_name = "mig-1";
  placed.annotations = {{"quotient.io/mig-placement", "gpu=0,profile=3g.20gb,start=0,size=4"}};
  state_.UpsertPod(placed);
  PodInfo shared = Pod("shared", {{"aliyun.com/gpu-mem", 6}});
  shared.node_name = "share-1";
  shared.annotations = {{"ALIYUN_COM_GPU_MEM_IDX", "1"}};
  state_.UpsertPod(shared);
  state_.Read([](auto lookup) {
    EXPECT_EQ(lookup("mig-1")->use()[0].mask, 0x0F);
    EXPECT_EQ(lookup("share-1")->use()[1].share_used, 6);
    return 0;
  });
  // The next half lands beside it, at 4; the pod finishing frees its slices.
  EXPECT_EQ(Bind(Pod("next", {}, {{"required-resources", "0.5"}}), "mig-1").error, "");
  EXPECT_THAT(patcher_.patches.back(), ::testing::HasSubstr("start=4,size=4"));
  placed.phase = "Succeeded";
  state_.UpsertPod(placed);
  state_.Read([](auto lookup) {
    EXPECT_EQ(lookup("mig-1")->use()[0].mask, 0xF0);
    return 0;
  });
}

TEST_F(GpuDeciderTest, APodOnANodeNotSeenYetIsPlacedWhenTheNodeArrives) {
  PodInfo shared = Pod("early", {{"aliyun.com/gpu-mem", 6}});
  shared.node_name = "share-2";
  shared.annotations = {{"ALIYUN_COM_GPU_MEM_IDX", "0"}};
  state_.UpsertPod(shared);
  state_.UpsertNode(Node("share-2", {}, {{"aliyun.com/gpu-mem", 16}, {"aliyun.com/gpu-count", 2}}));
  state_.Read([](auto lookup) {
    EXPECT_EQ(lookup("share-2")->use()[0].share_used, 6);
    return 0;
  });
}

TEST_F(GpuDeciderTest, ARelistDropsPodsDeletedWhileTheWatchWasAway) {
  PodInfo gone = Pod("gone", {{"aliyun.com/gpu-mem", 6}});
  gone.node_name = "share-1";
  gone.annotations = {{"ALIYUN_COM_GPU_MEM_IDX", "0"}};
  state_.UpsertPod(gone);
  PodInfo kept = gone;
  kept.name = "kept";
  kept.uid = "uid-kept";
  state_.ObservePodList(true);
  state_.ObservePod(false, kept);
  state_.ObservePodList(false);
  state_.Read([](auto lookup) {
    EXPECT_EQ(lookup("share-1")->use()[0].share_used, 6);  // kept's 6, not 12
    EXPECT_EQ(lookup("share-1")->assignments().size(), 1u);
    return 0;
  });
  // A node relist without mig-1 forgets it.
  state_.ObserveNodeList(true);
  state_.ObserveNode(
      false, Node("share-1", {}, {{"aliyun.com/gpu-mem", 16}, {"aliyun.com/gpu-count", 2}}));
  state_.ObserveNode(false, Node("t4-1", {{"gpu-type", "T4"}}, {{"nvidia.com/gpu", 2}}));
  state_.ObserveNodeList(false);
  state_.Read([](auto lookup) {
    EXPECT_EQ(lookup("mig-1"), nullptr);
    EXPECT_NE(lookup("share-1"), nullptr);
    return 0;
  });
}

TEST_F(GpuDeciderTest, MetricsShowGpusMemoryAndMigSlicesPerNodeAndInTotal) {
  ASSERT_EQ(Bind(Pod("half", {}, {{"required-resources", "0.5"}}), "mig-1").error, "");
  ASSERT_EQ(Bind(Pod("mem", {{"aliyun.com/gpu-mem", 3}}), "share-1").error, "");
  ASSERT_EQ(Bind(Pod("whole", {{"nvidia.com/gpu", 1}}), "t4-1").error, "");
  metrics::Registry registry;
  RegisterGpuMetrics(&registry, &state_);
  const std::string text = registry.Render();
  for (const char* line : {
           "quotient_gpu_node_gpus{node=\"mig-1\",model=\"A100-40GB\",mode=\"mig-dynamic\"} 1",
           "quotient_gpu_node_gpus{node=\"share-1\",model=\"\",mode=\"shared\"} 2",
           "quotient_gpu_node_gpus_allocated{node=\"t4-1\"} 1",
           "quotient_gpu_node_mig_slices{node=\"mig-1\",state=\"used\"} 4",
           "quotient_gpu_node_memory_allocated_bytes{node=\"share-1\"} 3221225472",
           "quotient_gpu_node_memory_allocated_bytes{node=\"mig-1\"} 21474836480",
           "quotient_gpu_cluster_nodes{state=\"allocated\"} 3",
           "quotient_gpu_cluster_gpus{state=\"total\"} 5",
           "quotient_gpu_cluster_gpus{state=\"allocated\"} 3",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

}  // namespace
}  // namespace quotient::extender::state
