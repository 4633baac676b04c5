// The simulator's scheduling rules, one behaviour per test: node fit, scoring, node
// selectors, queue order, quota admission and release, reclaim with replacement pods,
// priority preemption inside a quota, and expect steps.
#include "extender/simulate/simulator.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace quotient::extender::simulate {
namespace {

using testing::ElementsAre;
using testing::HasSubstr;
using testing::IsEmpty;

// A scenario played from YAML: what the tests write is what users write.
struct Played {
  config::Scenario scenario;
  std::unique_ptr<Simulator> simulator;
  std::vector<StepReport> reports;

  // "web-0@node-1" for running pods, "web-1" for Pending ones, in creation order.
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
  SimPod Pod(std::string_view ns, std::string_view name) const {
    for (const auto& [sequence, pod] : simulator->pods()) {
      if (pod.ns == ns && pod.name == name) return pod;
    }
    ADD_FAILURE() << "no pod " << ns << "/" << name;
    return {};
  }
};

std::unique_ptr<Played> Play(const std::string& yaml) {
  auto played = std::make_unique<Played>();
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

// A tree whose leaf `a` holds namespace `a` and leaf `b` namespace `b`, each with the extra
// fields given ("max: {cpu: 4}"); any other namespace is unquoted.
std::string Quota(std::string_view a, std::string_view b = "", std::string_view root = "") {
  auto fields = [](std::string_view f) {
    return f.empty() ? std::string() : fmt::format(", {}", f);
  };
  return fmt::format(
      "quota:\n"
      "  apiVersion: scheduling.sigs.k8s.io/v1beta1\n"
      "  kind: ElasticQuotaTree\n"
      "  spec:\n"
      "    root: {{name: root{}, children: [\n"
      "      {{name: a, namespaces: [a]{}}},\n"
      "      {{name: b, namespaces: [b]{}}}]}}\n",
      fields(root), fields(a), fields(b));
}

TEST(SimulatorTest, PodsRunWhereEveryRequestedResourceFits) {
  auto p = Play(
      "nodes:\n- {name: small, capacity: {cpu: 4, memory: 4Gi}}\n"
      "- {name: big, capacity: {cpu: 4, memory: 1Gi}}\n" +
      Quota("") +
      "steps:\n- create: {namespace: x, name: web, replicas: 3, "
      "requests: {cpu: 2, memory: 2Gi}}\n");
  EXPECT_THAT(p->Pods("x"), ElementsAre("web-0@small", "web-1@small", "web-2"));
  EXPECT_EQ(p->Pod("x", "web-2").reason,
            "no node fits: insufficient cpu on 1 of 2 nodes, insufficient memory on 2 of 2 nodes; "
            "no preemption: namespace x has no quota");
}

TEST(SimulatorTest, AResourceANodeDoesNotListHasNoCapacity) {
  auto p = Play("nodes:\n- {namePrefix: cpu-, count: 2, capacity: {cpu: 8}}\n" + Quota("") +
                "steps:\n- create: {namespace: x, name: train, requests: {nvidia.com/gpu: 1}}\n");
  EXPECT_THAT(p->Pods("x"), ElementsAre("train-0"));
  EXPECT_THAT(p->Pod("x", "train-0").reason,
              HasSubstr("no node fits: insufficient nvidia.com/gpu on 2 of 2 nodes"));
}

TEST(SimulatorTest, ANodeTakesAtMostItsPodCapacity) {
  auto p = Play("nodes:\n- {name: n, capacity: {cpu: 8, pods: 2}}\n" + Quota("") +
                "steps:\n- create: {namespace: x, name: web, replicas: 3}\n");
  EXPECT_THAT(p->Pods("x"), ElementsAre("web-0@n", "web-1@n", "web-2"));
  EXPECT_THAT(p->Pod("x", "web-2").reason, HasSubstr("insufficient pods on 1 of 1 node"));
}

TEST(SimulatorTest, LeastAllocatedSpreadsPodsAndTiesGoToTheEarlierNode) {
  auto p = Play(
      "nodes:\n- {namePrefix: n-, count: 2, capacity: {cpu: 4, memory: 8Gi}}\n"
      "- {name: large, capacity: {cpu: 16, memory: 32Gi}}\n" +
      Quota("") +
      "steps:\n- create: {namespace: x, name: web, replicas: 6, "
      "requests: {cpu: 2, memory: 4Gi}}\n");
  // large scores higher until it holds 3 pods; a 4th would leave it 50% free, a tie with
  // n-1 and n-2 that n-1 wins as the earlier node.
  EXPECT_THAT(p->Pods("x"), ElementsAre("web-0@large", "web-1@large", "web-2@large", "web-3@n-1",
                                        "web-4@n-2", "web-5@large"));
}

TEST(SimulatorTest, AQuotasNodeSelectorKeepsItsPodsOnMatchingNodes) {
  auto p = Play(
      "nodes:\n- {namePrefix: public-, count: 2, capacity: {cpu: 4}, labels: {org: public}}\n"
      "- {namePrefix: team-, count: 2, capacity: {cpu: 4}, labels: {org: team-a, gpu: 'true'}}\n" +
      Quota("attributes: {quotient.io/node-selector: 'org=team-a, gpu = true'}") +
      "steps:\n- create: {namespace: a, name: web, replicas: 3, requests: {cpu: 4}}\n");
  EXPECT_THAT(p->Pods("a"), ElementsAre("web-0@team-1", "web-1@team-2", "web-2"));
  EXPECT_THAT(p->Pod("a", "web-2").reason,
              HasSubstr("no node fits: insufficient cpu on 2 of 4 nodes, node selector "
                        "\"org=team-a, gpu = true\" not matched by 2 of 4 nodes"));
}

TEST(SimulatorTest, HigherPriorityPendingPodsAreScheduledFirst) {
  // Unquoted namespaces: nobody may preempt, so the freed node goes to the queue's head.
  auto p = Play("nodes:\n- {name: n, capacity: {cpu: 2}}\n" + Quota("") + R"(steps:
- create: {namespace: x, name: blocker, requests: {cpu: 2}}
- create: {namespace: x, name: low, requests: {cpu: 2}}
- create: {namespace: x, name: high, requests: {cpu: 2}, priority: 10}
- delete: {namespace: x, name: blocker}
)");
  EXPECT_THAT(p->Pods("x"), ElementsAre("low-0", "high-0@n"));
  EXPECT_THAT(p->reports[3].evicted, IsEmpty());
}

TEST(SimulatorTest, AmongEqualPrioritiesTheOlderPodIsScheduledFirst) {
  auto p = Play("nodes:\n- {name: n, capacity: {cpu: 2}}\n" + Quota("") + R"(steps:
- create: {namespace: x, name: blocker, requests: {cpu: 2}}
- create: {namespace: y, name: first, requests: {cpu: 2}}
- create: {namespace: x, name: second, requests: {cpu: 2}}
- delete: {namespace: x, name: blocker}
)");
  EXPECT_THAT(p->Pods("y"), ElementsAre("first-0@n"));
  EXPECT_THAT(p->Pods("x"), ElementsAre("second-0"));
}

TEST(SimulatorTest, QuotaMaxKeepsPodsPendingWithTheRefusalAsReason) {
  auto p = Play("nodes:\n- {name: n, capacity: {cpu: 16}}\n" + Quota("max: {cpu: 4}") +
                "steps:\n- create: {namespace: a, name: web, replicas: 3, requests: {cpu: 2}}\n");
  EXPECT_THAT(p->Pods("a"), ElementsAre("web-0@n", "web-1@n", "web-2"));
  EXPECT_EQ(p->Pod("a", "web-2").reason,
            "quota a: cpu used 4 + reserved 0 + request 2 > max 4; no preemption: beyond its "
            "quota's min, and no lower-priority pod in its quota");
}

TEST(SimulatorTest, DeletingADeploymentFreesItsQuotaAndNodes) {
  auto p = Play("nodes:\n- {name: n, capacity: {cpu: 16}}\n" + Quota("max: {cpu: 4}") + R"(steps:
- create: {namespace: a, name: web, replicas: 2, requests: {cpu: 2}}
- create: {namespace: a, name: api, requests: {cpu: 2}}
- delete: {namespace: a, name: web}
)");
  EXPECT_THAT(p->reports[1].waiting, testing::SizeIs(1));
  EXPECT_THAT(p->Pods("a"), ElementsAre("api-0@n"));
  EXPECT_EQ(p->reports[2].running.at("a"), 1);
  EXPECT_EQ(p->reports[2].pending.at("a"), 0);
  const quota::QuotaUsage& usage = p->simulator->ledger().usage();
  const int32_t cpu = usage.tree().ResourceIndex("cpu");
  EXPECT_EQ(usage.Used(usage.tree().Find("a"), cpu), 2000);
  EXPECT_EQ(p->simulator->nodes()[0].requested.Get("cpu"), 2000);
}

TEST(SimulatorTest, ReclaimEvictsABorrowerAndItsDeploymentReplacesThePod) {
  auto p = Play("nodes:\n- {name: n, capacity: {cpu: 8}}\n" +
                Quota("min: {cpu: 4}, max: {cpu: 8}", "min: {cpu: 4}, max: {cpu: 8}",
                      "min: {cpu: 8}, max: {cpu: 8}") +
                R"(steps:
- create: {namespace: a, name: web, replicas: 4, requests: {cpu: 2}}
- create: {namespace: b, name: web, replicas: 1, requests: {cpu: 2}}
)");
  const StepReport& step = p->reports[1];
  ASSERT_EQ(step.evicted.size(), 1u);
  EXPECT_EQ(step.evicted[0].ns, "a");
  EXPECT_EQ(step.evicted[0].pod, "web-3");  // the newest borrower
  EXPECT_EQ(step.evicted[0].node, "n");
  EXPECT_EQ(step.evicted[0].reason, "reclaimed by b/web-0 (quota b is below its min)");
  // The replacement: the next name of the Deployment, Pending, created last.
  EXPECT_THAT(p->Pods("a"), ElementsAre("web-0@n", "web-1@n", "web-2@n", "web-4"));
  EXPECT_GT(p->Pod("a", "web-4").sequence, p->Pod("b", "web-0").sequence);
  EXPECT_THAT(p->Pods("b"), ElementsAre("web-0@n"));
}

TEST(SimulatorTest, AHigherPriorityPodPreemptsInsideItsQuotaButNotNonPreemptiblePods) {
  auto p = Play("nodes:\n- {name: n, capacity: {cpu: 4}}\n" + Quota("max: {cpu: 4}") + R"(steps:
- create: {namespace: a, name: keep, requests: {cpu: 2}, priority: -1, preemptible: false}
- create: {namespace: a, name: batch, requests: {cpu: 2}}
- create: {namespace: a, name: urgent, requests: {cpu: 2}, priority: 100}
)");
  ASSERT_EQ(p->reports[2].evicted.size(), 1u);
  EXPECT_EQ(p->reports[2].evicted[0].pod, "batch-0");
  EXPECT_EQ(p->reports[2].evicted[0].reason, "preempted by a/urgent-0 (priority 100 > 0)");
  EXPECT_THAT(p->Pods("a"), ElementsAre("keep-0@n", "urgent-0@n", "batch-1"));
}

TEST(SimulatorTest, NonPreemptiblePodsRunOnlyWithinTheirQuotasMin) {
  auto p = Play("nodes:\n- {name: n, capacity: {cpu: 16}}\n" +
                Quota("min: {cpu: 4}, max: {cpu: 8}", "min: {cpu: 4}, max: {cpu: 8}",
                      "min: {cpu: 8}, max: {cpu: 16}") +
                R"(steps:
- create: {namespace: a, name: db, replicas: 3, requests: {cpu: 2}, preemptible: false}
- create: {namespace: a, name: web, replicas: 2, requests: {cpu: 2}}
)");
  ASSERT_EQ(p->reports[0].waiting.size(), 1u);
  EXPECT_EQ(p->reports[0].waiting[0].name, "db-2");
  EXPECT_EQ(p->reports[0].waiting[0].reason,
            "quota a: cpu used 4 + reserved 0 + request 2 > min 4 (non-preemptible pods may use "
            "only the guaranteed min); no preemption: it is beyond its quota's min");
  // Preemptible pods still borrow up to max, and nothing is evicted for anyone.
  EXPECT_THAT(p->Pods("a"), ElementsAre("db-0@n", "db-1@n", "db-2", "web-0@n", "web-1@n"));
  EXPECT_THAT(p->reports[1].evicted, IsEmpty());
}

TEST(SimulatorTest, ExpectStepsCompareOnlyTheNamespacesTheyList) {
  auto p = Play("nodes:\n- {name: n, capacity: {cpu: 4}}\n" + Quota("") + R"(steps:
- create: {namespace: a, name: web, replicas: 3, requests: {cpu: 2}}
- expect: {running: {a: 2}, pending: {a: 1, never-created: 0}}
- expect: {running: {a: 3, b: 1}, pending: {a: 1}}
)");
  EXPECT_TRUE(p->reports[1].ok);
  EXPECT_FALSE(p->reports[2].ok);
  EXPECT_THAT(p->reports[2].failures,
              ElementsAre("a running: expected 3, got 2", "b running: expected 1, got 0"));
  EXPECT_THAT(p->reports[2].running, ElementsAre(testing::Pair("a", 2)));  // created only
}

TEST(SimulatorTest, UnquotedNamespacesAreAdmittedAndNeverVictims) {
  auto p = Play("nodes:\n- {name: n, capacity: {cpu: 4}}\n" +
                Quota("min: {cpu: 4}, max: {cpu: 4}", "", "min: {cpu: 4}") + R"(steps:
- create: {namespace: other, name: web, replicas: 2, requests: {cpu: 2}}
- create: {namespace: a, name: web, requests: {cpu: 2}}
)");
  EXPECT_THAT(p->Pods("other"), ElementsAre("web-0@n", "web-1@n"));
  EXPECT_THAT(p->Pods("a"), ElementsAre("web-0"));
  EXPECT_THAT(p->Pod("a", "web-0").reason,
              HasSubstr("; no preemption: no running pod may be evicted for it"));
  EXPECT_THAT(p->reports[1].evicted, IsEmpty());
}

}  // namespace
}  // namespace quotient::extender::simulate
