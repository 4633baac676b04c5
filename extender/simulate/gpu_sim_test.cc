// The simulator with GPUs: device-level fit on scenario nodes, MIG fractions, gpushare
// memory, GPU models, and GPU equivalents in quota.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "extender/simulate/simulator.h"

namespace quotient::extender::simulate {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct Played {
  config::Scenario scenario;
  std::unique_ptr<Simulator> simulator;
  std::vector<StepReport> reports;

  std::vector<std::string> Pods(std::string_view ns) const {
    std::vector<std::string> out;
    for (const auto& [sequence, pod] : simulator->pods()) {
      if (pod.ns != ns) continue;
      out.push_back(pod.running()
                        ? fmt::format("{}@{}", pod.name, simulator->nodes()[pod.node].name)
                        : pod.name);
    }
    return out;
  }
  std::string Reason(std::string_view ns, std::string_view name) const {
    for (const auto& [sequence, pod] : simulator->pods()) {
      if (pod.ns == ns && pod.name == name) return pod.reason;
    }
    return "no such pod";
  }
};

std::unique_ptr<Played> Play(const std::string& nodes, const std::string& quota,
                             const std::string& steps) {
  auto played = std::make_unique<Played>();
  const std::string yaml = "nodes:\n" + nodes + R"(quota:
  apiVersion: scheduling.sigs.k8s.io/v1beta1
  kind: ElasticQuotaTree
  metadata: {name: t, namespace: kube-system}
  spec:
    root:
      name: root
      max: {cpu: 1000}
      children:
      - name: a
        namespaces: [a]
)" + quota + "steps:\n" + steps;
  config::ConfigErrors errors;
  if (!config::LoadScenario(yaml, "test.yaml", &played->scenario, &errors)) {
    ADD_FAILURE() << config::FormatErrors(errors);
    return played;
  }
  played->simulator = std::make_unique<Simulator>(played->scenario);
  played->reports = played->simulator->RunAll();
  for (const StepReport& report : played->reports) {
    EXPECT_THAT(report.warnings, IsEmpty()) << "step " << report.number;
    EXPECT_EQ(report.error, "") << "step " << report.number;
  }
  return played;
}

const char* kA100 = R"(- name: mig-1
  capacity: {cpu: 32, memory: 256Gi}
  labels: {nvidia.com/gpu.product: NVIDIA-A100-SXM4-40GB, nvidia.com/gpu.count: "1",
           cdmo.clear.ml/gpu-partitioning: mig}
)";

TEST(GpuSimTest, FractionsOfOneA100FitByPlacementNotBySum) {
  auto p = Play(kA100, "        max: {pods: 10}\n", R"(
- create: {namespace: a, name: quarter, replicas: 4, requests: {cpu: 1},
           labels: {required-resources: "0.25"}}
)");
  EXPECT_THAT(p->Pods("a"),
              ElementsAre("quarter-0@mig-1", "quarter-1@mig-1", "quarter-2@mig-1", "quarter-3"));
  EXPECT_EQ(p->Reason("a", "quarter-3"),
            "no node fits: gpu: every partitionable GPU on node mig-1 already holds the most "
            "2g.10gb (0.25 GPU) instances allowed (3 per GPU, or 7 instances in all); no "
            "preemption: reclaim does not plan GPU memory shares or MIG placements");
}

TEST(GpuSimTest, AHalfAndTwoQuartersShareOneA100) {
  auto p = Play(kA100, "", R"(
- create: {namespace: a, name: half, requests: {cpu: 1}, labels: {required-resources: "0.5"}}
- create: {namespace: a, name: quarter, replicas: 2, requests: {cpu: 1},
           labels: {required-resources: "0.25"}}
- create: {namespace: a, name: more, requests: {cpu: 1}, labels: {required-resources: "0.25"}}
)");
  EXPECT_THAT(p->Pods("a"),
              ElementsAre("half-0@mig-1", "quarter-0@mig-1", "quarter-1@mig-1", "more-0"));
  EXPECT_THAT(p->Reason("a", "more-0"),
              ::testing::StartsWith("no node fits: gpu: no free placement for 2g.10gb"));
}

TEST(GpuSimTest, GpuEquivalentsLetOneQuotaGovernMixedRequests) {
  // 1000 milli-GPUs: half a GPU (500) plus a 3g.20gb device (3/7: 429) fit, a 1g.5gb (143)
  // more does not.
  auto p = Play(kA100, "        max: {quotient.io/gpu-milli: 1000}\n", R"(
- create: {namespace: a, name: half, requests: {cpu: 1}, labels: {required-resources: "0.5"}}
- create: {namespace: a, name: mig, requests: {cpu: 1, nvidia.com/mig-3g.20gb: 1}}
- create: {namespace: a, name: small, requests: {cpu: 1, nvidia.com/mig-1g.5gb: 1}}
)");
  EXPECT_THAT(p->Pods("a"), ElementsAre("half-0@mig-1", "mig-0@mig-1", "small-0"));
  EXPECT_THAT(p->Reason("a", "small-0"),
              ::testing::StartsWith(
                  "quota a: quotient.io/gpu-milli used 929 + reserved 0 + request 143 > max 1000"));
}

TEST(GpuSimTest, APodMayAskForSeveralMigInstancesAllOrNothing) {
  // Two 3g.20gb in one pod fill the A100 (slices 4 and 0) and are charged 2 x 429 milli;
  // a 1g.5gb more is then refused by the quota.
  auto p = Play(kA100, "        max: {quotient.io/gpu-milli: 1000}\n", R"(
- create: {namespace: a, name: pair, requests: {cpu: 1, nvidia.com/mig-3g.20gb: 2}}
- create: {namespace: a, name: small, requests: {cpu: 1, nvidia.com/mig-1g.5gb: 1}}
)");
  EXPECT_THAT(p->Pods("a"), ElementsAre("pair-0@mig-1", "small-0"));
  EXPECT_THAT(p->Reason("a", "small-0"),
              ::testing::StartsWith(
                  "quota a: quotient.io/gpu-milli used 858 + reserved 0 + request 143 > max "
                  "1000"));
}

TEST(GpuSimTest, SeveralMigInstancesThatDoNotAllFitWaitWithHowManyWould) {
  auto p = Play(kA100, "", R"(
- create: {namespace: a, name: half, requests: {cpu: 1}, labels: {required-resources: "0.5"}}
- create: {namespace: a, name: pair, requests: {cpu: 1, nvidia.com/mig-2g.10gb: 3}}
)");
  EXPECT_THAT(p->Pods("a"), ElementsAre("half-0@mig-1", "pair-0"));
  EXPECT_THAT(p->Reason("a", "pair-0"),
              ::testing::StartsWith(
                  "no node fits: gpu: only 2 of 3 2g.10gb instances fit on node mig-1: then no "
                  "free placement (2 memory slices) on any GPU (largest placeable: 0 of 8 "
                  "slices)"));
}

TEST(GpuSimTest, MemorySharesNeedOneGpuWithRoom) {
  auto p = Play(R"(- name: share-1
  capacity: {cpu: 32, memory: 128Gi, aliyun.com/gpu-mem: 32, aliyun.com/gpu-count: 2}
)",
                "", R"(
- create: {namespace: a, name: big, replicas: 2, requests: {cpu: 1, aliyun.com/gpu-mem: 12}}
- create: {namespace: a, name: eight, requests: {cpu: 1, aliyun.com/gpu-mem: 8}}
- create: {namespace: a, name: four, replicas: 2, requests: {cpu: 1, aliyun.com/gpu-mem: 4}}
)");
  // The node has 8 of its 32 units free, 4 on each GPU: 8 does not fit, two 4s do.
  ASSERT_EQ(p->reports[1].waiting.size(), 1u);
  EXPECT_EQ(p->reports[1].waiting[0].reason,
            "no node fits: gpu: no GPU on node share-1 has 8Gi of GPU memory free (largest "
            "4Gi); no preemption: reclaim does not plan GPU memory shares or MIG placements");
  EXPECT_THAT(p->Pods("a"), ElementsAre("big-0@share-1", "big-1@share-1", "eight-0",
                                        "four-0@share-1", "four-1@share-1"));
}

TEST(GpuSimTest, APodAskingForAModelLandsOnlyOnThatModel) {
  auto p = Play(R"(- name: v100
  capacity: {cpu: 32, nvidia.com/gpu: 4}
  labels: {gpu-type: V100}
- name: t4
  capacity: {cpu: 32, nvidia.com/gpu: 4}
  labels: {gpu-type: T4}
)",
                "", R"(
- create: {namespace: a, name: t4-job, replicas: 3, requests: {nvidia.com/gpu: 2},
           annotations: {quotient.io/gpu-model: T4}}
)");
  EXPECT_THAT(p->Pods("a"), ElementsAre("t4-job-0@t4", "t4-job-1@t4", "t4-job-2"));
  EXPECT_EQ(p->Reason("a", "t4-job-2"),
            "no node fits: insufficient nvidia.com/gpu on 1 of 2 nodes, gpu: node v100 has "
            "V100-16GB GPUs, the pod asks for T4; no preemption: beyond its quota's min, and no "
            "lower-priority pod in its quota");
  EXPECT_THAT(p->reports[0].evicted, IsEmpty());
}

TEST(GpuSimTest, AMalformedGpuRequestNeverSchedules) {
  auto p = Play(kA100, "", R"(
- create: {namespace: a, name: bad, requests: {cpu: 1}, labels: {required-resources: "lots"}}
)");
  EXPECT_THAT(p->Pods("a"), ElementsAre("bad-0"));
  EXPECT_EQ(p->Reason("a", "bad-0"), "gpu: gpu fraction \"lots\" is not a number in (0, 1]");
}

}  // namespace
}  // namespace quotient::extender::simulate
