// Loading `quotient simulate` scenarios: the format, its defaults, the example files, and
// every kind of mistake reported with its line and field path.
#include "config/scenario.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <variant>
#include <vector>

namespace quotient::config {
namespace {

struct Loaded {
  bool ok = false;
  Scenario scenario;
  ConfigErrors errors;
};

Loaded Load(std::string_view text, std::string_view source = "s.yaml") {
  Loaded l;
  l.ok = LoadScenario(text, source, &l.scenario, &l.errors);
  return l;
}

// Lines 1-8; "steps:" is line 8 and the first step is on line 9.
constexpr std::string_view kPrefix = R"(nodes:
- name: node-1
  capacity: {cpu: 4}
quota:
  apiVersion: scheduling.sigs.k8s.io/v1beta1
  kind: ElasticQuotaTree
  spec: {root: {name: root, children: [{name: a, namespaces: [ns1]}]}}
steps:
)";

std::string WithSteps(std::string_view steps) {
  return std::string(kPrefix) + std::string(steps);
}

// The node list starts on line 5.
std::string WithNodes(std::string_view nodes) {
  return "steps: [{expect: {running: {}}}]\n"
         "quota: {apiVersion: scheduling.sigs.k8s.io/v1beta1, kind: ElasticQuotaTree,\n"
         "        spec: {root: {name: root}}}\n"
         "nodes:\n" +
         std::string(nodes);
}

TEST(ScenarioTest, AFullScenarioLoadsWithItsDefaults) {
  Loaded l = Load(R"(nodes:
- namePrefix: node-
  count: 3
  capacity: {cpu: 10, memory: 64Gi}
  labels: {org: public}
- name: gpu-a
  capacity: {nvidia.com/gpu: 1, pods: 8}
quota:
  apiVersion: scheduling.sigs.k8s.io/v1beta1
  kind: ElasticQuotaTree
  spec: {root: {name: root, max: {cpu: 30}, children: [{name: a, namespaces: [ns1]}]}}
steps:
- create: {namespace: ns1, name: web, requests: {cpu: 500m}}
- create: {namespace: ns1, name: batch, replicas: 0, priority: -5, preemptible: false,
           labels: {app: batch}, annotations: {note: "anything: goes"}}
- expect: {running: {ns1: 1}}
- delete: {namespace: ns1, name: web}
- expect: {pending: {ns1: 0}}
)");
  ASSERT_TRUE(l.ok) << FormatErrors(l.errors);
  const Scenario& s = l.scenario;
  EXPECT_EQ(s.source, "s.yaml");
  ASSERT_EQ(s.nodes.size(), 4u);
  EXPECT_EQ(s.nodes[0].name, "node-1");
  EXPECT_EQ(s.nodes[2].name, "node-3");
  EXPECT_EQ(s.nodes[2].line, 2);
  EXPECT_EQ(s.nodes[2].capacity.Get("memory"), int64_t{64} << 30);
  EXPECT_EQ(s.nodes[2].capacity.Get("pods"), kDefaultPodCapacity);
  EXPECT_EQ(s.nodes[2].labels, (StringPairs{{"org", "public"}}));
  EXPECT_EQ(s.nodes[3].name, "gpu-a");
  EXPECT_EQ(s.nodes[3].capacity.Get("pods"), 8);
  EXPECT_EQ(s.quota.name, "root");
  EXPECT_EQ(s.quota.max.Get("cpu"), 30'000);
  ASSERT_EQ(s.steps.size(), 5u);
  const auto& web = std::get<CreateAction>(s.steps[0].action);
  EXPECT_EQ(web.replicas, 1);
  EXPECT_EQ(web.priority, 0);
  EXPECT_TRUE(web.preemptible);
  EXPECT_EQ(web.requests, (quota::ResourceList{{"cpu", 500}}));
  const auto& batch = std::get<CreateAction>(s.steps[1].action);
  EXPECT_EQ(batch.replicas, 0);
  EXPECT_EQ(batch.priority, -5);
  EXPECT_FALSE(batch.preemptible);
  EXPECT_EQ(batch.annotations, (StringPairs{{"note", "anything: goes"}}));
  EXPECT_EQ(s.steps[1].path, "steps[1]");
  EXPECT_EQ(s.steps[1].line, 14);
  EXPECT_EQ(std::get<ExpectAction>(s.steps[2].action).running.at("ns1"), 1);
  EXPECT_EQ(std::get<DeleteAction>(s.steps[3].action).name, "web");
  EXPECT_EQ(std::get<ExpectAction>(s.steps[4].action).pending.at("ns1"), 0);
}

TEST(ScenarioTest, DraDeviceClassesNodeDevicesAndClaimsLoad) {
  Loaded l = Load("deviceClasses:\n- {name: gpu.example.com, resource: nvidia.com/gpu}\n" +
                  WithSteps("- create: {namespace: a, name: web, claims: [{deviceClass: "
                            "gpu.example.com, count: 2}, {deviceClass: gpu.example.com}]}\n"));
  ASSERT_TRUE(l.ok) << FormatErrors(l.errors);
  ASSERT_EQ(l.scenario.device_classes.size(), 1u);
  EXPECT_EQ(l.scenario.device_classes[0].resource, "nvidia.com/gpu");
  const auto& create = std::get<CreateAction>(l.scenario.steps[0].action);
  ASSERT_EQ(create.claims.size(), 2u);
  EXPECT_EQ(create.claims[0].count, 2);
  EXPECT_EQ(create.claims[1].count, 1);
  Loaded nodes =
      Load("nodes:\n- name: n\n  devices: {driver: gpu.example.com, count: 4}\n" +
           std::string(kPrefix.substr(kPrefix.find("quota:"))) + "- expect: {running: {a: 0}}\n");
  ASSERT_TRUE(nodes.ok) << FormatErrors(nodes.errors);
  EXPECT_EQ(nodes.scenario.nodes[0].device_driver, "gpu.example.com");
  EXPECT_EQ(nodes.scenario.nodes[0].device_count, 4);
}

// A byte-order mark (as some editors write) must not shift the inline quota's text: the
// value "100" once came out as "1".
TEST(ScenarioTest, AnInlineQuotaAfterAByteOrderMarkKeepsItsValues) {
  const Loaded l = Load(
      "\xEF\xBB\xBFnodes: [{name: n}]\nquota:\n  apiVersion: scheduling.sigs.k8s.io/v1beta1\n"
      "  kind: ElasticQuotaTree\n  spec:\n    root:\n      name: root\n      min:\n"
      "        cpu: 100\nsteps: [{expect: {running: {}}}]\n");
  ASSERT_TRUE(l.ok) << FormatErrors(l.errors);
  EXPECT_EQ(l.scenario.quota.min.Get("cpu"), 100'000);
}

TEST(ScenarioTest, QuotaFileIsResolvedAgainstTheScenariosDirectory) {
  const std::string source = std::string(QUOTIENT_EXAMPLES_DIR) + "/not-a-file.yaml";
  Loaded l = Load(
      "nodes: [{name: n}]\nquotaFile: quota-scenario1.yaml\nsteps: [{expect: {running: {}}}]\n",
      source);
  ASSERT_TRUE(l.ok) << FormatErrors(l.errors);
  EXPECT_EQ(l.scenario.quota.children.size(), 2u);
}

TEST(ScenarioTest, EveryExampleScenarioLoads) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(QUOTIENT_EXAMPLES_DIR)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("scenario-") || entry.path().extension() != ".yaml") continue;
    ++files;
    Scenario scenario;
    ConfigErrors errors;
    EXPECT_TRUE(LoadScenarioFile(entry.path().string(), &scenario, &errors))
        << FormatErrors(errors);
    EXPECT_FALSE(scenario.steps.empty()) << name;
  }
  EXPECT_GE(files, 3);
}

TEST(ScenarioTest, AnUnreadableFileIsOneError) {
  Scenario scenario;
  ConfigErrors errors;
  EXPECT_FALSE(LoadScenarioFile("/nonexistent/scenario.yaml", &scenario, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "cannot read the file: No such file or directory");
}

struct ErrorCase {
  std::string name;
  std::string yaml;
  std::string path;
  int line = 0;
  std::string message;  // a part of the message
  size_t count = 1;     // errors in all
};

const std::vector<ErrorCase> kCases = {
    // Top level.
    {"AnUnknownTopLevelFieldIsReportedAtItsKey", WithSteps("- expect: {running: {}}\nnotes: x\n"),
     "notes", 10, "unknown field (known fields: nodes, quota, quotaFile, steps, deviceClasses)"},
    {"ADuplicatedTopLevelFieldIsReported", WithSteps("- expect: {running: {}}\nsteps: []\n"),
     "steps", 10, "duplicate field (also at line 8)"},
    {"AYamlSyntaxErrorIsReportedAloneWithItsLine", WithSteps("- expect: {running: {a: 1}\n"), "",
     10, "invalid YAML"},
    {"TwoDocumentsAreAnError", WithSteps("- expect: {running: {}}\n---\nnodes: []\n"), "", 11,
     "a second YAML document (the first starts at line 1): this file is one mapping; merge the "
     "two"},
    {"ADocumentThatIsNotAMappingIsReported", "- a\n- b\n", "", 1, "expected a mapping"},
    {"MissingSectionsAreEachReported", "quotaFile: q.yaml\n", "nodes", 1, "required", 3},
    {"QuotaAndQuotaFileTogetherAreReported",
     WithSteps("- expect: {running: {}}\nquotaFile: q.yaml\n"), "quotaFile", 10,
     "either quota or quotaFile"},
    {"AMissingQuotaFileIsReportedAtItsField",
     "nodes: [{name: n}]\nquotaFile: no-such-quota.yaml\nsteps: [{expect: {running: {}}}]\n",
     "quotaFile", 2, "cannot read the quota file \"no-such-quota.yaml\""},
    // The inline quota: LoadQuotaTree's errors at the scenario's lines, under "quota.".
    {"AnInlineQuotaErrorCarriesTheScenariosLine",
     "nodes: [{name: n}]\nquota:\n  apiVersion: scheduling.sigs.k8s.io/v1beta1\n"
     "  kind: ElasticQuotaTree\n  spec:\n    root:\n      name: root\n      min: {cpu: 12Q}\n"
     "steps: [{expect: {running: {}}}]\n",
     "quota.spec.root.min.cpu", 8, "invalid quantity \"12Q\""},
    {"AnInlineQuotaAfterACommentAndAMarkerCarriesTheFilesLine",
     "# a comment\n---\nnodes: [{name: n}]\nquota:\n  apiVersion: scheduling.sigs.k8s.io/v1beta1\n"
     "  kind: ElasticQuotaTree\n  spec:\n    root:\n      name: root\n      min: {cpu: 12Q}\n"
     "steps: [{expect: {running: {}}}]\n",
     "quota.spec.root.min.cpu", 10, "invalid quantity \"12Q\""},
    {"AnInlineQuotaDuplicateNamesTheScenariosLines",
     "nodes: [{name: n}]\nquota:\n  apiVersion: scheduling.sigs.k8s.io/v1beta1\n"
     "  kind: ElasticQuotaTree\n  spec:\n    root:\n      name: root\n      name: again\n"
     "steps: [{expect: {running: {}}}]\n",
     "quota.spec.root.name", 8, "duplicate field (also at line 7)"},
    {"AnInlineQuotaInAFlowTopLevelFallsBackToTheQuotaKeysLine",
     "{nodes: [{name: n}], steps: [{expect: {running: {}}}],\n"
     " quota: {apiVersion: scheduling.sigs.k8s.io/v1beta1, kind: ElasticQuotaTree,\n"
     "  spec: {root: {name: root, mni: {}}}}}\n",
     "quota.spec.root.mni", 2, "unknown field"},
    {"AnInlineQuotaThatIsNotAnObjectIsReported",
     "nodes: [{name: n}]\nquota: root\nsteps: [{expect: {running: {}}}]\n", "quota", 2,
     "expected an ElasticQuotaTree object"},
    {"AnInlineObjectOfAnotherKindIsReported",
     "nodes: [{name: n}]\nquota: {apiVersion: v1, kind: Namespace}\n"
     "steps: [{expect: {running: {}}}]\n",
     "quota.kind", 2, "no ElasticQuotaTree"},
    // Nodes.
    {"AnEmptyNodeListIsReported", "nodes: []\nquotaFile: q.yaml\nsteps: [{expect: {}}]\n", "nodes",
     1, "at least one node", 3},
    {"ANodeWithoutANameIsReported", WithNodes("- capacity: {cpu: 1}\n"), "nodes[0]", 5,
     "required: name or namePrefix"},
    {"NameAndNamePrefixTogetherAreReported",
     "nodes: [{name: a, namePrefix: b-}]\nquotaFile: x\nsteps: []\n", "nodes[0].namePrefix", 1,
     "either name or namePrefix", 3},
    {"CountWithoutNamePrefixIsReported", WithNodes("- name: n\n  count: 2\n"), "nodes[0].count", 6,
     "count needs namePrefix"},
    {"ACountOutOfRangeIsReported", WithNodes("- namePrefix: n-\n  count: 0\n"), "nodes[0].count", 6,
     "expected an integer in [1, 10000], got \"0\""},
    {"AnInvalidNodeNameIsReported", WithNodes("- name: Node_1\n"), "nodes[0].name", 5,
     "invalid name \"Node_1\""},
    {"AnInvalidGeneratedNodeNameIsReported", WithNodes("- namePrefix: Node\n"),
     "nodes[0].namePrefix", 5, "invalid node name \"Node1\""},
    {"TwoNodesWithOneNameAreReported",
     WithNodes("- namePrefix: node-\n  count: 2\n- name: node-2\n"), "nodes[1]", 7,
     "node \"node-2\" is defined twice (also by nodes[0])"},
    {"AnInvalidCapacityIsReportedAtItsResource",
     WithNodes("- name: n\n  capacity: {cpu: 4, memory: lots}\n"), "nodes[0].capacity.memory", 6,
     "invalid quantity \"lots\""},
    {"AFractionalGpuCapacityIsRefusedLikeTheApiServerDoes",
     WithNodes("- name: n\n  capacity: {cpu: 4, nvidia.com/gpu: 1.5}\n"),
     "nodes[0].capacity.nvidia.com/gpu", 6, "nvidia.com/gpu is counted in whole units"},
    {"AnInvalidLabelIsReported", WithNodes("- name: n\n  labels: {\"a b\": c}\n"),
     "nodes[0].labels.a b", 6, "invalid label key"},
    {"AnUnknownNodeFieldIsReported", WithNodes("- name: n\n  taints: []\n"), "nodes[0].taints", 6,
     "unknown field (known fields: name, namePrefix, count, capacity, labels, devices)"},
    {"NodeDevicesWithoutACountAreReported", WithNodes("- name: n\n  devices: {driver: d}\n"),
     "nodes[0].devices", 6, "required: driver and count"},
    // Steps.
    {"AClaimOfAnUndeclaredDeviceClassIsReported",
     WithSteps("- create: {namespace: a, name: web, claims: [{deviceClass: gpu.x}]}\n"),
     "steps[0].create.claims[0].deviceClass", 9, "device class \"gpu.x\" is not in deviceClasses"},
    {"AnEmptyStepListIsReported", WithSteps(""), "steps", 8, "at least one step"},
    {"AStepWithTwoActionsIsReported",
     WithSteps("- {expect: {running: {}}, delete: {namespace: a, name: b}}\n"), "steps[0]", 9,
     "exactly one action"},
    {"AnUnknownActionIsReported", WithSteps("- scale: {namespace: a, name: b}\n"), "steps[0].scale",
     9, "unknown field (known fields: create, delete, expect)", 2},
    {"ACreateWithoutANamespaceIsReported", WithSteps("- create: {name: web}\n"),
     "steps[0].create.namespace", 9, "required"},
    {"AnInvalidNamespaceIsReported", WithSteps("- create: {namespace: Team_A, name: web}\n"),
     "steps[0].create.namespace", 9, "invalid name \"Team_A\""},
    {"TooManyReplicasAreReported",
     WithSteps("- create: {namespace: a, name: web,\n    replicas: 20000}\n"),
     "steps[0].create.replicas", 10, "expected an integer in [0, 10000]"},
    {"AnInvalidRequestIsReported",
     WithSteps("- create: {namespace: a, name: web, requests: {gpu: 1}}\n"),
     "steps[0].create.requests.gpu", 9, "invalid resource name \"gpu\""},
    {"APriorityThatIsNoIntegerIsReported",
     WithSteps("- create: {namespace: a, name: web, priority: high}\n"), "steps[0].create.priority",
     9, "expected an integer"},
    {"APreemptibleThatIsNoBoolIsReported",
     WithSteps("- create: {namespace: a, name: web, preemptible: yes}\n"),
     "steps[0].create.preemptible", 9, "expected true or false, got \"yes\""},
    {"AnUnknownCreateFieldIsReported",
     WithSteps("- create: {namespace: a, name: web, replica: 2}\n"), "steps[0].create.replica", 9,
     "unknown field"},
    {"CreatingADeploymentTwiceIsReported",
     WithSteps("- create: {namespace: a, name: web}\n- create: {namespace: a, name: web}\n"),
     "steps[1].create", 10, "deployment a/web already exists (created by steps[0])"},
    {"DeletingAnUnknownDeploymentIsReported",
     WithSteps("- create: {namespace: a, name: web}\n- delete: {namespace: a, name: api}\n"),
     "steps[1].delete", 10, "deployment a/api does not exist at this step"},
    {"DeletingTwiceIsReported",
     WithSteps("- create: {namespace: a, name: web}\n- delete: {namespace: a, name: web}\n"
               "- delete: {namespace: a, name: web}\n"),
     "steps[2].delete", 11, "does not exist"},
    {"AnInvalidCreateStillCountsForLaterSteps",
     WithSteps("- create: {namespace: a, name: web, replica: 2}\n"
               "- delete: {namespace: a, name: web}\n"),
     "steps[0].create.replica", 9, "unknown field"},
    {"AnExpectWithoutCountsIsReported", WithSteps("- expect: {}\n"), "steps[0].expect", 9,
     "expected running and/or pending"},
    {"ANegativeCountIsReported", WithSteps("- expect:\n    pending: {a: -1}\n"),
     "steps[0].expect.pending.a", 10, "expected an integer in [0, "},
    {"AnExpectOnAnInvalidNamespaceIsReported", WithSteps("- expect: {running: {A: 1}}\n"),
     "steps[0].expect.running.A", 9, "invalid namespace \"A\""},
};

void PrintTo(const ErrorCase& c, std::ostream* os) {
  *os << c.name;
}

class ScenarioErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(ScenarioErrorTest, IsReportedWithItsPathAndLine) {
  const ErrorCase& c = GetParam();
  Loaded l = Load(c.yaml);
  EXPECT_FALSE(l.ok);
  ASSERT_FALSE(l.errors.empty()) << c.yaml;
  EXPECT_EQ(l.errors[0].source, "s.yaml");
  EXPECT_EQ(l.errors[0].path, c.path) << FormatErrors(l.errors);
  EXPECT_EQ(l.errors[0].line, c.line) << FormatErrors(l.errors);
  EXPECT_NE(l.errors[0].message.find(c.message), std::string::npos) << FormatErrors(l.errors);
  EXPECT_EQ(l.errors.size(), c.count) << FormatErrors(l.errors);
}

INSTANTIATE_TEST_SUITE_P(Scenario, ScenarioErrorTest, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<ErrorCase>& param) {
                           return param.param.name;
                         });

}  // namespace
}  // namespace quotient::config
