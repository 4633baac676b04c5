// Loading ElasticQuotaTree files: the trees of the example scenarios, the forms the
// object comes in (multi-document YAML, kubectl's List, the API server's JSON) and the
// example files. Error cases live in quota_yaml_errors_test.cc.
#include "config/quota_yaml.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace quotient::config {
namespace {

using quota::QuotaNodeSpec;

constexpr int64_t kGi = int64_t{1} << 30;

struct Loaded {
  bool ok = false;
  QuotaNodeSpec root;
  ConfigErrors errors;
};

Loaded Load(std::string_view text) {
  Loaded l;
  l.ok = LoadQuotaTree(text, "q.yaml", &l.root, &l.errors);
  return l;
}

// Line numbers below are those of the raw strings: the text starts on line 1.
constexpr std::string_view kScenario1 = R"(apiVersion: scheduling.sigs.k8s.io/v1beta1
kind: ElasticQuotaTree
metadata:
  name: elasticquotatree
  namespace: kube-system
spec:
  root:
    name: root
    min: {cpu: 40}
    max: {cpu: 40}
    children:
    - name: root.a
      min: {cpu: 20}
      max: {cpu: 40}
      attributes: {quotient.io/node-selector: "org=team-a", note: "first"}
      children:
      - name: root.a.1
        namespaces: [namespace1]
        min: {cpu: 10}
        max: {cpu: 20}
      - name: root.a.2
        namespaces: [namespace2]
        min: {cpu: 10}
        max: {cpu: 20}
    - name: root.b
      min: {cpu: 20}
      max: {cpu: 40}
      children:
      - name: root.b.1
        namespaces: [namespace3]
        min: {cpu: 10}
        max: {cpu: 20}
      - name: root.b.2
        namespaces: [namespace4]
        min: {cpu: "10"}
        max: {cpu: 20000m}
)";

TEST(QuotaYamlTest, Scenario1TreeLoadsWithNamesUnitsNamespacesOrderPathsAndLines) {
  Loaded l = Load(kScenario1);
  ASSERT_TRUE(l.ok) << FormatErrors(l.errors);
  const QuotaNodeSpec& root = l.root;
  EXPECT_EQ(root.name, "root");
  EXPECT_EQ(root.path, "spec.root");
  EXPECT_EQ(root.line, 8);
  EXPECT_EQ(root.min, (quota::ResourceList{{"cpu", 40'000}}));
  EXPECT_EQ(root.max, (quota::ResourceList{{"cpu", 40'000}}));
  EXPECT_TRUE(root.namespaces.empty());
  ASSERT_EQ(root.children.size(), 2u);

  const QuotaNodeSpec& a = root.children[0];
  EXPECT_EQ(a.name, "root.a");
  EXPECT_EQ(a.path, "spec.root.children[0]");
  EXPECT_EQ(a.line, 12);
  EXPECT_EQ(a.min.Get("cpu"), 20'000);
  EXPECT_EQ(a.max.Get("cpu"), 40'000);
  using Attributes = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(a.attributes,
            (Attributes{{"quotient.io/node-selector", "org=team-a"}, {"note", "first"}}));
  ASSERT_EQ(a.children.size(), 2u);
  EXPECT_EQ(a.children[0].name, "root.a.1");
  EXPECT_EQ(a.children[0].path, "spec.root.children[0].children[0]");
  EXPECT_EQ(a.children[0].line, 17);
  EXPECT_EQ(a.children[0].namespaces, std::vector<std::string>{"namespace1"});
  EXPECT_EQ(a.children[0].min.Get("cpu"), 10'000);
  EXPECT_EQ(a.children[0].max.Get("cpu"), 20'000);
  EXPECT_EQ(a.children[1].name, "root.a.2");
  EXPECT_EQ(a.children[1].namespaces, std::vector<std::string>{"namespace2"});
  EXPECT_TRUE(a.children[1].children.empty());

  const QuotaNodeSpec& b = root.children[1];
  EXPECT_EQ(b.name, "root.b");
  EXPECT_EQ(b.path, "spec.root.children[1]");
  EXPECT_EQ(b.line, 25);
  EXPECT_TRUE(b.attributes.empty());
  ASSERT_EQ(b.children.size(), 2u);
  EXPECT_EQ(b.children[0].namespaces, std::vector<std::string>{"namespace3"});
  const QuotaNodeSpec& b2 = b.children[1];
  EXPECT_EQ(b2.name, "root.b.2");
  EXPECT_EQ(b2.path, "spec.root.children[1].children[1]");
  EXPECT_EQ(b2.line, 33);
  EXPECT_EQ(b2.namespaces, std::vector<std::string>{"namespace4"});
  EXPECT_EQ(b2.min.Get("cpu"), 10'000);  // "10" as a string
  EXPECT_EQ(b2.max.Get("cpu"), 20'000);  // 20000m
}

TEST(QuotaYamlTest, Scenario2TreeCapsGpusAndLeavesMissingResourcesUnlimited) {
  Loaded l = Load(R"(apiVersion: scheduling.sigs.k8s.io/v1beta1
kind: ElasticQuotaTree
spec:
  root:
    name: root
    min: {cpu: 12, memory: 90Gi, nvidia.com/gpu: 3}
    max: {cpu: 12, memory: 90Gi, nvidia.com/gpu: 3}
    children:
    - name: dev1
      namespaces: [dev1]
      max: {nvidia.com/gpu: 1}
    - name: dev2
      namespaces: [dev2]
      min: {cpu: 8, memory: 60Gi, nvidia.com/gpu: 2}
      max: {cpu: 8, memory: 60Gi, nvidia.com/gpu: 2}
)");
  ASSERT_TRUE(l.ok) << FormatErrors(l.errors);
  EXPECT_EQ(l.root.max,
            (quota::ResourceList{{"cpu", 12'000}, {"memory", 90 * kGi}, {"nvidia.com/gpu", 3}}));
  ASSERT_EQ(l.root.children.size(), 2u);
  const QuotaNodeSpec& dev1 = l.root.children[0];
  EXPECT_EQ(dev1.name, "dev1");
  EXPECT_TRUE(dev1.min.empty());
  EXPECT_EQ(dev1.max, (quota::ResourceList{{"nvidia.com/gpu", 1}}));
  EXPECT_FALSE(dev1.max.Has("cpu"));
  EXPECT_FALSE(dev1.max.Has("memory"));
  const QuotaNodeSpec& dev2 = l.root.children[1];
  EXPECT_EQ(dev2.namespaces, std::vector<std::string>{"dev2"});
  EXPECT_EQ(dev2.max,
            (quota::ResourceList{{"cpu", 8'000}, {"memory", 60 * kGi}, {"nvidia.com/gpu", 2}}));
  EXPECT_EQ(dev2.min, dev2.max);
}

TEST(QuotaYamlTest, NamespacesBeforeTheTreeAreIgnoredAndLinesCountFromTheFileStart) {
  Loaded l = Load(R"(apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-b}
---
apiVersion: scheduling.sigs.k8s.io/v1beta1
kind: ElasticQuotaTree
spec:
  root:
    name: root
    max: {cpu: 8}
    children:
    - {name: a, namespaces: [team-a], max: {cpu: 4}}
    - {name: b, namespaces: [team-b]}
---
)");
  ASSERT_TRUE(l.ok) << FormatErrors(l.errors);
  EXPECT_EQ(l.root.line, 13);
  ASSERT_EQ(l.root.children.size(), 2u);
  EXPECT_EQ(l.root.children[0].line, 16);
  EXPECT_EQ(l.root.children[1].namespaces, std::vector<std::string>{"team-b"});
}

TEST(QuotaYamlTest, DocumentMarkersWithCommentsEndMarkersAndNullDocumentsAreAccepted) {
  Loaded l = Load(R"(--- # namespaces first
apiVersion: v1
kind: Namespace
metadata: {name: team-a}
...
--- null
---
apiVersion: scheduling.sigs.k8s.io/v1beta1
kind: ElasticQuotaTree
spec:
  root: {name: root}
...
)");
  ASSERT_TRUE(l.ok) << FormatErrors(l.errors);
  EXPECT_EQ(l.root.line, 11);
}

TEST(QuotaYamlTest, AListFromKubectlGetCountsAsItsItems) {
  Loaded l = Load(R"(apiVersion: v1
kind: List
items:
- apiVersion: scheduling.sigs.k8s.io/v1beta1
  kind: ElasticQuotaTree
  metadata: {name: elasticquotatree, namespace: kube-system}
  spec:
    root: {name: root, max: {cpu: 4}}
metadata: {resourceVersion: ""}
)");
  ASSERT_TRUE(l.ok) << FormatErrors(l.errors);
  EXPECT_EQ(l.root.name, "root");
  EXPECT_EQ(l.root.line, 8);
}

TEST(QuotaYamlTest, TheApiServersJsonWithServerSetMetadataAndStatusLoads) {
  Loaded l = Load(R"({
  "apiVersion": "scheduling.sigs.k8s.io/v1beta1",
  "kind": "ElasticQuotaTree",
  "metadata": {
    "name": "elasticquotatree", "namespace": "kube-system", "uid": "0b9a-11",
    "resourceVersion": "1234", "generation": 2, "creationTimestamp": "2024-05-01T10:00:00Z",
    "labels": {"app": "quota"}, "annotations": {"a": "b"},
    "managedFields": [{"manager": "kubectl", "operation": "Apply"}]
  },
  "spec": {
    "root": {
      "name": "root",
      "min": {"cpu": "40", "memory": "40Gi", "nvidia.com/gpu": "4"},
      "max": {"cpu": 40, "memory": "40Gi", "nvidia.com/gpu": 4},
      "children": [
        {"name": "root.a", "namespaces": ["namespace1"], "min": {"cpu": "500m"},
         "max": {"cpu": 0.5}, "attributes": {"quotient.io/node-selector": "org=team-a"}}
      ]
    }
  },
  "status": {"anything": ["the", "controller", "writes"]}
})");
  ASSERT_TRUE(l.ok) << FormatErrors(l.errors);
  EXPECT_EQ(l.root.min,
            (quota::ResourceList{{"cpu", 40'000}, {"memory", 40 * kGi}, {"nvidia.com/gpu", 4}}));
  EXPECT_EQ(l.root.max, l.root.min);
  ASSERT_EQ(l.root.children.size(), 1u);
  EXPECT_EQ(l.root.children[0].min.Get("cpu"), 500);
  EXPECT_EQ(l.root.children[0].max.Get("cpu"), 500);
  EXPECT_EQ(l.root.children[0].line, 16);
  EXPECT_EQ(l.root.children[0].path, "spec.root.children[0]");
}

TEST(QuotaYamlTest, NullFieldsMeanTheirDefaults) {
  Loaded l = Load(R"(apiVersion: scheduling.sigs.k8s.io/v1beta1
kind: ElasticQuotaTree
metadata:
spec:
  root:
    name: root
    min:
    max:
    namespaces:
    attributes:
    children:
)");
  ASSERT_TRUE(l.ok) << FormatErrors(l.errors);
  EXPECT_TRUE(l.root.min.empty());
  EXPECT_TRUE(l.root.max.empty());
  EXPECT_TRUE(l.root.children.empty());
}

TEST(QuotaYamlTest, ExtendedAndStandardResourceNamesAreAccepted) {
  Loaded l = Load(R"(apiVersion: scheduling.sigs.k8s.io/v1beta1
kind: ElasticQuotaTree
spec:
  root:
    name: root
    max:
      cpu: 1
      memory: 1Gi
      pods: 110
      ephemeral-storage: 100Gi
      hugepages-2Mi: 1Gi
      nvidia.com/gpu: 8
      nvidia.com/mig-1g.5gb: 7
      aliyun.com/gpu-mem: 80
      kube-queue/max-jobs: 10
      example.com/Big_Resource: 1
)");
  ASSERT_TRUE(l.ok) << FormatErrors(l.errors);
  EXPECT_EQ(l.root.max.size(), 10u);
  EXPECT_EQ(l.root.max.Get("nvidia.com/mig-1g.5gb"), 7);
  EXPECT_EQ(l.root.max.Get("hugepages-2Mi"), kGi);
}

TEST(QuotaYamlTest, AFailedLoadLeavesTheTreeUnchanged) {
  QuotaNodeSpec root;
  root.name = "previous";
  ConfigErrors errors;
  EXPECT_FALSE(LoadQuotaTree("kind: ElasticQuotaTree\nspec: {root: {name: x, min: {cpu: -1}}}\n",
                             "q.yaml", &root, &errors));
  EXPECT_EQ(root.name, "previous");
  EXPECT_FALSE(errors.empty());
}

TEST(QuotaYamlTest, FiveDistinctErrorsAreAllReportedInOnePass) {
  Loaded l = Load(R"(apiVersion: scheduling.sigs.k8s.io/v1beta1
kind: ElasticQuotaTree
spec:
  root:
    name: root
    min: {cpu: 10}
    max: {cpu: 10}
    children:
    - name: a
      colour: blue
      min: {cpu: 12Q}
    - name: a
      namespaces: [Team_A]
    - name: c
      min: {cpu: 5}
      max: {cpu: 4}
)");
  EXPECT_FALSE(l.ok);
  ASSERT_EQ(l.errors.size(), 5u) << FormatErrors(l.errors);
  std::vector<std::string> lines;
  for (const ConfigError& e : l.errors) lines.push_back(e.ToString());
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines[0].rfind("q.yaml:10: spec.root.children[0].colour: unknown field", 0), 0u);
  EXPECT_EQ(lines[1].rfind("q.yaml:11: spec.root.children[0].min.cpu: invalid quantity \"12Q\"", 0),
            0u);
  EXPECT_EQ(lines[2].rfind("q.yaml:12: spec.root.children[1].name: duplicate quota name \"a\"", 0),
            0u);
  EXPECT_EQ(lines[3].rfind("q.yaml:13: spec.root.children[1].namespaces[0]: invalid namespace "
                           "\"Team_A\"",
                           0),
            0u);
  EXPECT_EQ(lines[4].rfind("q.yaml:15: spec.root.children[2].min.cpu: min 5 > max 4", 0), 0u);
  for (const ConfigError& e : l.errors) EXPECT_EQ(e.source, "q.yaml");
}

TEST(QuotaYamlTest, AMissingFileIsOneError) {
  QuotaNodeSpec root;
  ConfigErrors errors;
  EXPECT_FALSE(LoadQuotaTreeFile("/nonexistent/quota.yaml", &root, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ToString(),
            "/nonexistent/quota.yaml: cannot read the file: No such file or directory");
}

TEST(QuotaYamlTest, EveryExampleQuotaFileLoads) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(QUOTIENT_EXAMPLES_DIR)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with("quota-") || entry.path().extension() != ".yaml") continue;
    ++files;
    QuotaNodeSpec root;
    ConfigErrors errors;
    EXPECT_TRUE(LoadQuotaTreeFile(entry.path().string(), &root, &errors)) << FormatErrors(errors);
    EXPECT_EQ(root.name, "root") << name;
    EXPECT_FALSE(root.children.empty()) << name;
  }
  EXPECT_GE(files, 3);
}

TEST(QuotaYamlTest, TheScenario1ExampleIsItsDocumentedTree) {
  QuotaNodeSpec root;
  ConfigErrors errors;
  ASSERT_TRUE(LoadQuotaTreeFile(std::string(QUOTIENT_EXAMPLES_DIR) + "/quota-scenario1.yaml", &root,
                                &errors))
      << FormatErrors(errors);
  EXPECT_EQ(root.max.Get("cpu"), 40'000);
  ASSERT_EQ(root.children.size(), 2u);
  std::vector<std::string> leaves;
  for (const QuotaNodeSpec& inner : root.children) {
    EXPECT_EQ(inner.min.Get("cpu"), 20'000);
    EXPECT_EQ(inner.max.Get("cpu"), 40'000);
    for (const QuotaNodeSpec& leaf : inner.children) {
      EXPECT_EQ(leaf.min.Get("cpu"), 10'000);
      EXPECT_EQ(leaf.max.Get("cpu"), 20'000);
      leaves.push_back(leaf.name + ":" + leaf.namespaces.at(0));
    }
  }
  EXPECT_EQ(leaves, (std::vector<std::string>{"root.a.1:namespace1", "root.a.2:namespace2",
                                              "root.b.1:namespace3", "root.b.2:namespace4"}));
}

}  // namespace
}  // namespace quotient::config
