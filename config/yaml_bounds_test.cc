// Hostile YAML: aliases that recurse, nest deeply or expand exponentially, and texts that
// trip yaml-cpp, are refused by every loader with one error naming the line and the limit.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "config/k8s_manifest.h"
#include "config/quota_yaml.h"
#include "config/scenario.h"
#include "config/server_config.h"
#include "config/yaml_reader.h"

namespace quotient::config {
namespace {

constexpr std::string_view kTreeHeader =
    "apiVersion: scheduling.sigs.k8s.io/v1beta1\nkind: ElasticQuotaTree\nspec:\n";

// The one error a refused text gives, as "line: message".
std::string RefusedQuota(const std::string& yaml) {
  quota::QuotaNodeSpec root;
  ConfigErrors errors;
  EXPECT_FALSE(LoadQuotaTree(yaml, "q.yaml", &root, &errors));
  if (errors.empty()) return "";
  EXPECT_EQ(errors.size(), 1u) << FormatErrors(errors);
  return fmt::format("{}: {}", errors[0].line, errors[0].message);
}

// `levels` sequences, each an alias of the previous one `width` times: width^levels
// leaves from a few hundred bytes.
std::string ExponentialList(int levels, int width) {
  std::string yaml = "kind: List\nitems:\n- kind: List\n  items: &l0 [";
  for (int i = 0; i < width; ++i) yaml += i == 0 ? "{kind: Namespace}" : ", {kind: Namespace}";
  yaml += "]\n";
  for (int level = 1; level < levels; ++level) {
    yaml += fmt::format("- kind: List\n  items: &l{} [", level);
    for (int i = 0; i < width; ++i) {
      yaml += fmt::format("{}{{kind: List, items: *l{}}}", i == 0 ? "" : ", ", level - 1);
    }
    yaml += "]\n";
  }
  return yaml;
}

TEST(YamlBoundsTest, AListThatContainsItselfIsACycle) {
  EXPECT_EQ(RefusedQuota("kind: List\nitems: &l [{kind: List, items: *l}]\n"),
            "2: an alias makes this node contain itself (a cycle)");
}

TEST(YamlBoundsTest, AQuotaRootThatIsItsOwnChildIsACycle) {
  EXPECT_EQ(RefusedQuota(std::string(kTreeHeader) + "  root: &r {name: root, children: [*r]}\n"),
            "4: an alias makes this node contain itself (a cycle)");
}

TEST(YamlBoundsTest, ADeepAcyclicAliasChainIsRefusedAtTheDepthLimit) {
  std::string yaml = "a0: &a0 [x]\n";
  for (int i = 1; i < 200; ++i) yaml += fmt::format("a{}: &a{} [*a{}]\n", i, i, i - 1);
  const std::string refused = RefusedQuota(yaml);
  EXPECT_NE(refused.find("nested more than 64 levels deep (the limit), aliases expanded"),
            std::string::npos)
      << refused;
}

TEST(YamlBoundsTest, AListOfListsOfAliasesIsRefusedAtTheExpansionLimit) {
  const std::string yaml = ExponentialList(9, 10);  // 10^9 objects in ~1 KB
  ASSERT_LT(yaml.size(), 4096u);
  const std::string refused = RefusedQuota(yaml);
  EXPECT_NE(refused.find("expands to more than 1000000 YAML nodes through aliases (the limit)"),
            std::string::npos)
      << refused;
}

// The walk remembers what a collection expands to and counts it again for each alias of
// it: the count is the expanded one, exactly. a: 3 nodes; c: 1 + 333 x 3 = 1,000; b with
// n aliases of c: 1 + 1,000 n; with the root and the three keys, 1,008 + 1,000 n.
TEST(YamlBoundsTest, AnAliasCountsAsEveryNodeItExpandsTo) {
  auto doc = [](int aliases_of_c) {
    std::string yaml = "a: &a [x, y]\nc: &c [*a";
    for (int i = 1; i < 333; ++i) yaml += ", *a";
    yaml += "]\nb: [*c";
    for (int i = 1; i < aliases_of_c; ++i) yaml += ", *c";
    return yaml + "]\n";
  };
  ConfigErrors errors;
  EXPECT_TRUE(CheckYamlBounds(YAML::Load(doc(998)), 0, "t.yaml", &errors));  // 999,008 nodes
  EXPECT_TRUE(errors.empty());
  EXPECT_FALSE(CheckYamlBounds(YAML::Load(doc(999)), 0, "t.yaml", &errors));  // 1,000,008
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 2);  // c's: an alias is the node it names, defined there
  EXPECT_NE(errors[0].message.find("more than 1000000 YAML nodes"), std::string::npos);
}

// Reached again through an alias, a deep collection is as deep where the alias is.
TEST(YamlBoundsTest, AnAliasIsAsDeepAsWhatItNames) {
  std::string deep = "d: &d ";
  for (int i = 0; i < 60; ++i) deep += "[";
  for (int i = 0; i < 60; ++i) deep += "]";
  auto nest = [&](int levels) {
    std::string yaml = deep + "\ne: ";
    for (int i = 0; i < levels; ++i) yaml += "[";
    yaml += "*d";
    for (int i = 0; i < levels; ++i) yaml += "]";
    return yaml + "\n";
  };
  ConfigErrors errors;
  // d's 60 levels start at depth 1 (the root map is 0): the deepest at 60, then 64 below 4.
  EXPECT_TRUE(CheckYamlBounds(YAML::Load(nest(4)), 0, "t.yaml", &errors));
  EXPECT_FALSE(CheckYamlBounds(YAML::Load(nest(5)), 0, "t.yaml", &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("nested more than 64 levels deep"), std::string::npos);
}

TEST(YamlBoundsTest, ListsNestedPastTheLimitAndTooManyObjectsAreRefused) {
  std::string nested;
  for (int i = 0; i <= kMaxListNesting; ++i) nested += "{kind: List, items: [";
  nested += "{kind: Namespace}";
  for (int i = 0; i <= kMaxListNesting; ++i) nested += "]}";
  nested += "\n";
  EXPECT_EQ(RefusedQuota(nested), "1: a List nested in more than 8 Lists (the limit)");

  // 10 x 10 x 101 = 10,100 objects: within the YAML bounds, past the object bound.
  std::string many = "kind: List\nitems:\n- kind: List\n  items: &l0 [";
  for (int i = 0; i < 101; ++i) many += i == 0 ? "{kind: Namespace}" : ", {kind: Namespace}";
  many += "]\n- kind: List\n  items: &l1 [";
  for (int i = 0; i < 10; ++i)
    many += i == 0 ? "{kind: List, items: *l0}" : ", {kind: List, items: *l0}";
  many += "]\n";
  for (int i = 0; i < 9; ++i) many += "- {kind: List, items: *l1}\n";
  const std::string refused = RefusedQuota(many);
  EXPECT_NE(refused.find("more than 10000 objects in the file (the limit)"), std::string::npos)
      << refused;
}

TEST(YamlBoundsTest, ATreeDeeperThanTheLimitIsRefusedAtTheChildrenPastIt) {
  std::string yaml = std::string(kTreeHeader) + "  root: ";
  for (int level = 1; level <= kMaxQuotaDepth; ++level) {
    yaml += fmt::format("{{name: n{}, children: [", level);
  }
  yaml += "{name: leaf}";
  for (int level = 1; level <= kMaxQuotaDepth; ++level) yaml += "]}";
  yaml += "\n";
  quota::QuotaNodeSpec root;
  ConfigErrors errors;
  EXPECT_FALSE(LoadQuotaTree(yaml, "q.yaml", &root, &errors));
  ASSERT_EQ(errors.size(), 1u) << FormatErrors(errors);
  EXPECT_EQ(errors[0].message, "the tree is deeper than 24 levels (the limit)");
  EXPECT_EQ(errors[0].line, 4);
}

TEST(YamlBoundsTest, NoTreeAmongManyObjectsNamesTheFirstTenAndCountsTheRest) {
  std::string yaml;
  for (int i = 0; i < 25; ++i) yaml += "---\nkind: Namespace\n";
  const std::string refused = RefusedQuota(yaml);
  EXPECT_NE(refused.find(" and 15 more)"), std::string::npos) << refused;
}

TEST(YamlBoundsTest, ErrorsAreFormattedUpToTheLimitThenCounted) {
  ConfigErrors errors(kMaxFormattedErrors + 5, ConfigError{"f.yaml", 1, "a", "bad"});
  const std::string text = FormatErrors(errors);
  EXPECT_TRUE(text.ends_with("f.yaml:1: a: bad\n... and 5 more errors\n")) << text;
}

TEST(YamlBoundsTest, EveryLoaderAppliesTheBounds) {
  const std::string cycle = "a: &a {b: *a}\n";
  Settings settings;
  ConfigErrors errors;
  EXPECT_FALSE(LoadSettings(cycle, "quotient.yaml", &settings, &errors));
  ASSERT_EQ(errors.size(), 1u) << FormatErrors(errors);
  EXPECT_EQ(errors[0].message, "an alias makes this node contain itself (a cycle)");

  Scenario scenario;
  errors.clear();
  EXPECT_FALSE(LoadScenario(ExponentialList(9, 10), "s.yaml", &scenario, &errors));
  ASSERT_EQ(errors.size(), 1u) << FormatErrors(errors);
  EXPECT_NE(errors[0].message.find("expands to more than"), std::string::npos);
}

// yaml-cpp 0.7's LoadAll never returns on a document whose first token cannot start a
// node, and Load reads such a file as null. Scenarios and the settings file (and the GPU
// catalog, gpu_catalog_yaml_test) load one document at a time like every other file: a
// leading "," is a syntax error, not a hang nor an empty file of defaults.
TEST(YamlBoundsTest, AFileStartingWithACommaIsASyntaxErrorNotAHangNorDefaults) {
  const std::function<bool(const char*, ConfigErrors*)> loaders[] = {
      [](const char* text, ConfigErrors* errors) {
        Scenario scenario;
        return LoadScenario(text, "s.yaml", &scenario, errors);
      },
      [](const char* text, ConfigErrors* errors) {
        Settings settings;
        return LoadSettings(text, "quotient.yaml", &settings, errors);
      },
  };
  for (const auto& load : loaders) {
    for (const char* text : {",\n", ", a: b\n", ", server: {threads: 2}\n", "# c\n---\n,\n"}) {
      SCOPED_TRACE(text);
      ConfigErrors errors;
      EXPECT_FALSE(load(text, &errors));
      ASSERT_EQ(errors.size(), 1u) << FormatErrors(errors);
      EXPECT_NE(errors[0].message.find("invalid YAML"), std::string::npos) << errors[0].message;
    }
  }
}

TEST(YamlBoundsTest, AScenarioAfterACommentAndAMarkerKeepsTheFilesLines) {
  Scenario scenario;
  ConfigErrors errors;
  EXPECT_FALSE(LoadScenario("# a comment\n---\nnodes: 3\n", "s.yaml", &scenario, &errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].path, "nodes");
  EXPECT_EQ(errors[0].line, 3);
}

// The settings file is one document: a second one is refused rather than silently dropped.
TEST(YamlBoundsTest, ASecondSettingsDocumentIsRefusedWithItsLine) {
  Settings settings;
  ConfigErrors errors;
  EXPECT_FALSE(LoadSettings("server: {threads: 2}\n---\nserver: {threads: 3}\n", "quotient.yaml",
                            &settings, &errors));
  ASSERT_EQ(errors.size(), 1u) << FormatErrors(errors);
  EXPECT_EQ(FormatErrors(errors),
            "quotient.yaml:3: a second YAML document (the first starts at line 1): this file is "
            "one mapping; merge the two\n");
  errors.clear();
  EXPECT_FALSE(LoadSettings("# c\n---\nserver: {threads: 2}\n...\n\nserver: {threads: 3}\n",
                            "quotient.yaml", &settings, &errors));
  ASSERT_EQ(errors.size(), 1u) << FormatErrors(errors);
  EXPECT_EQ(errors[0].line, 6) << FormatErrors(errors);
  EXPECT_NE(errors[0].message.find("(the first starts at line 3)"), std::string::npos)
      << errors[0].message;
}

TEST(YamlBoundsTest, SettingsAfterACommentAndMarkersKeepTheFilesLines) {
  Settings settings;
  ConfigErrors errors;
  EXPECT_TRUE(LoadSettings("# only a comment\n---\n---\nserver: {threads: 3}\n...\n", "q.yaml",
                           &settings, &errors))
      << FormatErrors(errors);
  EXPECT_EQ(settings.server.threads, 3);
  errors.clear();
  EXPECT_FALSE(
      LoadSettings("# a comment\n---\nserver:\n  threads: many\n", "q.yaml", &settings, &errors));
  ASSERT_EQ(errors.size(), 1u) << FormatErrors(errors);
  EXPECT_EQ(errors[0].path, "server.threads");
  EXPECT_EQ(errors[0].line, 4);
}

TEST(YamlBoundsTest, EmptyOrCommentOnlySettingsAreTheDefaults) {
  for (const char* text : {"", "# nothing\n", "---\n", "---\n...\n---\n# c\n"}) {
    SCOPED_TRACE(text);
    Settings settings;
    ConfigErrors errors;
    EXPECT_TRUE(LoadSettings(text, "q.yaml", &settings, &errors)) << FormatErrors(errors);
    EXPECT_EQ(settings.server.threads, Settings{}.server.threads);
  }
}

TEST(YamlBoundsTest, AWideFlatDocumentWithinTheBoundsPasses) {
  std::string yaml = "items:\n";
  for (int i = 0; i < 10'000; ++i) yaml += fmt::format("- {{a: {}, b: [1, 2]}}\n", i);
  const YAML::Node node = YAML::Load(yaml);
  ConfigErrors errors;
  EXPECT_TRUE(CheckYamlBounds(node, 0, "f.yaml", &errors)) << FormatErrors(errors);
}

}  // namespace
}  // namespace quotient::config
