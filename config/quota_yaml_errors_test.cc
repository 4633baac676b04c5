// Every kind of mistake in a quota file is reported with its field path and line, once.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/quota_yaml.h"

namespace quotient::config {
namespace {

// Lines 1-4; a case's root node body starts on line 5.
constexpr std::string_view kHeader = R"(apiVersion: scheduling.sigs.k8s.io/v1beta1
kind: ElasticQuotaTree
spec:
  root:
)";

std::string Tree(std::string_view root_body) {
  return std::string(kHeader) + std::string(root_body);
}

struct ErrorCase {
  std::string name;
  std::string yaml;
  std::string path;
  int line = 0;
  std::string message;  // a part of the message
  size_t count = 1;     // errors in all: nothing reported twice, nothing spurious
};

const std::vector<ErrorCase> kCases = {
    // Object level.
    {"AnUnknownTopLevelFieldIsReportedAtItsKey",
     "apiVersion: scheduling.sigs.k8s.io/v1beta1\nkind: ElasticQuotaTree\nsepc: {}\n"
     "spec: {root: {name: root}}\n",
     "sepc", 3, "unknown field (known fields: apiVersion, kind, metadata, spec, status)"},
    {"AnUnknownMetadataFieldIsReported",
     "apiVersion: scheduling.sigs.k8s.io/v1beta1\nkind: ElasticQuotaTree\nmetadata:\n  name: t\n"
     "  lables: {a: b}\nspec: {root: {name: root}}\n",
     "metadata.lables", 5, "unknown field"},
    {"AWrongApiVersionIsReportedWithTheExpectedOne",
     "apiVersion: scheduling.sigs.k8s.io/v1alpha1\nkind: ElasticQuotaTree\n"
     "spec: {root: {name: root}}\n",
     "apiVersion", 1, "must be scheduling.sigs.k8s.io/v1beta1 for kind ElasticQuotaTree"},
    {"AMissingApiVersionIsReported", "kind: ElasticQuotaTree\nspec: {root: {name: root}}\n",
     "apiVersion", 1, "got \"\""},
    {"OtherKindsAloneMeanNoTreeAndTheErrorNamesThem",
     "apiVersion: scheduling.sigs.k8s.io/v1alpha1\nkind: ElasticQuota\nmetadata: {name: q}\n---\n"
     "apiVersion: v1\nkind: Namespace\n",
     "kind", 2,
     "no ElasticQuotaTree in the file (found ElasticQuota at line 2, Namespace at line 6)"},
    {"AnEmptyFileHasNoTree", "# nothing\n", "kind", 0, "it is empty"},
    {"TwoTreesAreReportedAtTheSecond",
     "apiVersion: scheduling.sigs.k8s.io/v1beta1\nkind: ElasticQuotaTree\n"
     "spec: {root: {name: root}}\n---\napiVersion: scheduling.sigs.k8s.io/v1beta1\n"
     "kind: ElasticQuotaTree\nspec: {root: {name: other}}\n",
     "kind", 6, "a second ElasticQuotaTree (the first is at line 2)"},
    {"AMissingSpecIsReported",
     "apiVersion: scheduling.sigs.k8s.io/v1beta1\nkind: ElasticQuotaTree\n", "spec.root", 1,
     "required"},
    {"AMissingRootIsReportedAtSpec",
     "apiVersion: scheduling.sigs.k8s.io/v1beta1\nkind: ElasticQuotaTree\nspec: {}\n", "spec.root",
     3, "required"},
    {"ASpecThatIsNotAMappingIsReported",
     "apiVersion: scheduling.sigs.k8s.io/v1beta1\nkind: ElasticQuotaTree\nspec: [root]\n", "spec",
     3, "expected a mapping"},
    {"ARootThatIsNotAMappingIsReportedOnce",
     "apiVersion: scheduling.sigs.k8s.io/v1beta1\nkind: ElasticQuotaTree\nspec: {root: r}\n",
     "spec.root", 3, "expected a quota node"},
    {"AYamlSyntaxErrorIsReportedAloneWithItsLine",
     Tree("    name: root\n    max: {cpu: 1\n    min: {cpu: 1}\n    colour: red\n"), "", 7,
     "invalid YAML"},
    {"ASyntaxErrorInALaterDocumentCarriesItsLineInTheFile",
     "apiVersion: v1\nkind: Namespace\n---\napiVersion: scheduling.sigs.k8s.io/v1beta1\n"
     "kind: ElasticQuotaTree\nspec: {root: [\n",
     "", 7, "invalid YAML"},
    // yaml-cpp 0.7's LoadAll never returns on this input (jbeder/yaml-cpp#1040).
    {"ACommaStartingADocumentIsASyntaxErrorAndNotAHang",
     "apiVersion: v1\nkind: Namespace\n---\n# the tree\n,\nkind: ElasticQuotaTree\n", "", 5,
     "invalid YAML: unexpected character at the start of a document"},
    // Node fields.
    {"AnUnknownNodeFieldIsReportedAtItsKey", Tree("    name: root\n    mni: {cpu: 1}\n"),
     "spec.root.mni", 6,
     "unknown field (known fields: name, min, max, namespaces, children, attributes)"},
    {"ADuplicatedNodeFieldIsReported", Tree("    name: root\n    name: again\n"), "spec.root.name",
     6, "duplicate field (also at line 5)"},
    {"AMissingNameIsReportedAtTheNode",
     Tree("    name: root\n    children:\n    - max: {cpu: 1}\n"), "spec.root.children[0].name", 7,
     "every quota node needs a name"},
    {"ANameThatIsNotAStringIsReportedOnce", Tree("    name: {first: root}\n"), "spec.root.name", 5,
     "expected a string"},
    {"ADuplicateNameIsReportedAtTheSecond",
     Tree("    name: root\n    children:\n    - name: a\n    - name: b\n    - name: a\n"),
     "spec.root.children[2].name", 9, "duplicate quota name \"a\" (also at spec.root.children[0])"},
    {"ChildrenThatAreNotAListAreReported", Tree("    name: root\n    children: {name: a}\n"),
     "spec.root.children", 6, "expected a list of quota nodes"},
    {"AChildThatIsNotAMappingIsReported", Tree("    name: root\n    children:\n    - a\n"),
     "spec.root.children[0]", 7, "expected a quota node"},
    // Namespaces.
    {"ANamespaceOnTwoLeavesIsReportedAtTheSecond",
     Tree("    name: root\n    children:\n    - name: a\n      namespaces: [team]\n"
          "    - name: b\n      namespaces: [team]\n"),
     "spec.root.children[1].namespaces", 10, "namespace \"team\" is already on quota \"a\""},
    {"ANamespaceOnAnInnerNodeIsReported",
     Tree("    name: root\n    namespaces: [team]\n    children:\n    - name: a\n"),
     "spec.root.namespaces", 6, "namespaces may hang on leaves only"},
    {"ANamespaceListedTwiceOnOneLeafIsReported",
     Tree("    name: root\n    namespaces: [team, team]\n"), "spec.root.namespaces[1]", 6,
     "namespace \"team\" is listed twice (also at [0])"},
    {"AnInvalidNamespaceNameIsReported", Tree("    name: root\n    namespaces: [Team_A]\n"),
     "spec.root.namespaces[0]", 6, "invalid namespace \"Team_A\": must be a DNS-1123 label"},
    {"NamespacesThatAreNotAListAreReported", Tree("    name: root\n    namespaces: team-a\n"),
     "spec.root.namespaces", 6, "expected a list of namespace names"},
    // Quantities and the tree rules.
    {"MinAboveMaxIsReportedAtTheMin",
     Tree("    name: root\n    max: {cpu: 4}\n    min: {cpu: 8}\n"), "spec.root.min.cpu", 7,
     "min 8 > max 4"},
    {"ChildrensMinAboveTheParentsMinIsReportedAtTheParentsMin",
     Tree("    name: root\n    min: {cpu: 10}\n    children:\n    - {name: a, min: {cpu: 6}}\n"
          "    - {name: b, min: {cpu: 6}}\n"),
     "spec.root.min.cpu", 6, "the children's min add up to 12 > this quota's min 10"},
    {"ChildrensMinOfAResourceTheParentLacksIsReportedAtTheParentsMin",
     Tree("    name: root\n    min: {cpu: 10}\n    children:\n"
          "    - {name: a, min: {nvidia.com/gpu: 1}}\n"),
     "spec.root.min.nvidia.com/gpu", 6, "the children's min add up to 1 > this quota's min 0"},
    {"AnInvalidQuantityIsReportedWithTheParsersReason",
     Tree("    name: root\n    max: {cpu: 12Q}\n"), "spec.root.max.cpu", 6,
     "invalid quantity \"12Q\": invalid suffix"},
    {"ANegativeQuantityIsReported", Tree("    name: root\n    max: {memory: -1Gi}\n"),
     "spec.root.max.memory", 6, "invalid quantity \"-1Gi\": must not be negative"},
    {"AQuantityThatIsAListIsReported", Tree("    name: root\n    max: {cpu: [1]}\n"),
     "spec.root.max.cpu", 6, "expected a quantity"},
    {"AnInvalidParentMinIsNotAlsoReportedAsTheChildrensSum",
     Tree("    name: root\n    min: {cpu: ten}\n    children:\n    - {name: a, min: {cpu: 1}}\n"),
     "spec.root.min.cpu", 6, "invalid quantity \"ten\""},
    {"AFractionOfAGpuIsReportedAsKubernetesDoes",
     Tree("    name: root\n    max: {nvidia.com/gpu: 1.5}\n"), "spec.root.max.nvidia.com/gpu", 6,
     "invalid quantity \"1.5\": nvidia.com/gpu is counted in whole units"},
    {"AFractionOfAPodIsReported", Tree("    name: root\n    max: {pods: 500m}\n"),
     "spec.root.max.pods", 6, "pods is counted in whole units"},
    {"MinThatIsNotAMappingIsReported", Tree("    name: root\n    min: 4\n"), "spec.root.min", 6,
     "expected a mapping of resource name to quantity"},
    {"ADuplicatedResourceIsReported", Tree("    name: root\n    max: {cpu: 1, cpu: 2}\n"),
     "spec.root.max.cpu", 6, "duplicate resource (also at line 6)"},
    // Resource names.
    {"AResourceNameWithASpaceIsReported", Tree("    name: root\n    max: {\"gpu mem\": 1}\n"),
     "spec.root.max.gpu mem", 6, "invalid resource name \"gpu mem\""},
    {"AResourceNameWithTwoSlashesIsReported", Tree("    name: root\n    max: {a.com/b/c: 1}\n"),
     "spec.root.max.a.com/b/c", 6, "more than one '/'"},
    {"AnExtendedResourceWithoutADomainIsReported", Tree("    name: root\n    max: {gpu: 1}\n"),
     "spec.root.max.gpu", 6, "an extended resource needs a domain, e.g. nvidia.com/gpu"},
    {"AnEmptyResourceNameIsReported", Tree("    name: root\n    max: {\"\": 1}\n"), "spec.root.max",
     6, "invalid resource name \"\": is empty"},
    {"AnUppercaseDomainIsReported", Tree("    name: root\n    max: {NVIDIA.com/gpu: 1}\n"),
     "spec.root.max.NVIDIA.com/gpu", 6, "the domain before '/' must be a DNS-1123 subdomain"},
    // Attributes.
    {"AttributesThatAreNotAMappingAreReported", Tree("    name: root\n    attributes: [a]\n"),
     "spec.root.attributes", 6, "expected a mapping of string to string"},
    {"AnUnknownQuotientAttributeIsReported",
     Tree("    name: root\n    attributes: {quotient.io/node-selecter: org=a}\n"),
     "spec.root.attributes.quotient.io/node-selecter", 6,
     "unknown Quotient attribute (known: quotient.io/node-selector)"},
    {"AnInvalidNodeSelectorIsReported",
     Tree("    name: root\n    attributes:\n      quotient.io/node-selector: \"org\"\n"),
     "spec.root.attributes.quotient.io/node-selector", 7,
     "invalid node selector \"org\": term \"org\" is not key=value"},
    {"AnAttributeThatIsNotAStringIsReported",
     Tree("    name: root\n    attributes: {owner: {team: a}}\n"), "spec.root.attributes.owner", 6,
     "expected a string value"},
};

void PrintTo(const ErrorCase& c, std::ostream* os) {
  *os << c.name;
}

class QuotaYamlErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(QuotaYamlErrorTest, IsReportedWithPathAndLine) {
  const ErrorCase& c = GetParam();
  quota::QuotaNodeSpec root;
  ConfigErrors errors;
  EXPECT_FALSE(LoadQuotaTree(c.yaml, "q.yaml", &root, &errors));
  EXPECT_EQ(errors.size(), c.count) << FormatErrors(errors);
  bool found = false;
  for (const ConfigError& e : errors) {
    found = found || (e.source == "q.yaml" && e.path == c.path && e.line == c.line &&
                      e.message.find(c.message) != std::string::npos);
  }
  EXPECT_TRUE(found) << "want q.yaml:" << c.line << ": " << c.path << ": ..." << c.message
                     << "...\ngot:\n"
                     << FormatErrors(errors);
}

INSTANTIATE_TEST_SUITE_P(QuotaYaml, QuotaYamlErrorTest, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<ErrorCase>& param) {
                           return param.param.name;
                         });

TEST(QuotaYamlLimitsTest, NestingDeeperThanYamlCppAllowsIsASyntaxError) {
  std::string yaml = Tree("    ");
  for (int i = 0; i < 1500; ++i) yaml += fmt::format("{{name: n{}, children: [", i);
  yaml += "{name: leaf}";
  for (int i = 0; i < 1500; ++i) yaml += "]}";
  quota::QuotaNodeSpec root;
  ConfigErrors errors;
  EXPECT_FALSE(LoadQuotaTree(yaml + "\n", "q.yaml", &root, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_GE(errors[0].line, 5);  // yaml-cpp marks the token after the nesting
  EXPECT_NE(errors[0].message.find("invalid YAML: nested more than"), std::string::npos)
      << errors[0].message;
}

// Aliases can make a small file describe a large tree: kMaxQuotaNodes holds even when the
// expansion stays under the YAML bounds (config/yaml_reader.h), which refuse larger ones.
TEST(QuotaYamlLimitsTest, AliasesCannotExpandTheTreeBeyondTheNodeLimit) {
  std::string yaml = Tree("    name: root\n    children:\n    - name: l0\n      children: &l0\n");
  for (int i = 0; i < 10; ++i) yaml += "      - {name: x}\n";
  for (int level = 1; level <= 4; ++level) {
    yaml += fmt::format("    - name: l{}\n      children: &l{}\n", level, level);
    for (int i = 0; i < 10; ++i)
      yaml += fmt::format("      - {{name: y, children: *l{}}}\n", level - 1);
  }
  quota::QuotaNodeSpec root;
  ConfigErrors errors;
  EXPECT_FALSE(LoadQuotaTree(yaml, "q.yaml", &root, &errors));
  bool found = false;
  for (const ConfigError& e : errors) {
    found = found || e.message.find("more than 10000 quota nodes") != std::string::npos;
  }
  EXPECT_TRUE(found);
  EXPECT_LT(errors.size(), 2 * kMaxQuotaNodes);
}

}  // namespace
}  // namespace quotient::config
