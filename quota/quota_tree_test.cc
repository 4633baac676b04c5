#include "quota/quota_tree.h"

#include <gtest/gtest.h>

#include "quota/quota_test_util.h"

namespace quotient::quota {
namespace {

using testing::Scenario1Tree;
using testing::TreeBuilder;

TEST(QuotaTreeTest, CompilesParentsBeforeChildrenWithDepthAndNamespaces) {
  auto tree = Scenario1Tree().Build();
  ASSERT_EQ(tree->size(), 7u);
  EXPECT_EQ(tree->name(QuotaTree::root()), "root");
  QuotaId a1 = tree->Find("root.a.1");
  ASSERT_NE(a1, kNoQuota);
  EXPECT_EQ(tree->name(tree->parent(a1)), "root.a");
  EXPECT_EQ(tree->depth(a1), 2);
  EXPECT_TRUE(tree->is_leaf(a1));
  EXPECT_FALSE(tree->is_leaf(tree->Find("root.b")));
  EXPECT_EQ(tree->LeafForNamespace("namespace3"), tree->Find("root.b.1"));
  EXPECT_EQ(tree->LeafForNamespace("kube-system"), kNoQuota);
  for (QuotaId id = 1; id < static_cast<QuotaId>(tree->size()); ++id) {
    EXPECT_LT(tree->parent(id), id);
  }
}

TEST(QuotaTreeTest, MissingMinIsZeroAndMissingMaxIsUnlimited) {
  TreeBuilder b({{}, {{"nvidia.com/gpu", 4}}, {}});
  b.AddQuota("dev1", "root", {{}, {{"nvidia.com/gpu", 1}}, {"dev1"}});
  auto tree = b.Build();
  int32_t gpu = tree->ResourceIndex("nvidia.com/gpu");
  int32_t cpu = tree->ResourceIndex("cpu");
  ASSERT_GE(gpu, 0);
  ASSERT_GE(cpu, 0);  // always in the table
  QuotaId dev1 = tree->Find("dev1");
  EXPECT_EQ(tree->Min(dev1, gpu), 0);
  EXPECT_EQ(tree->Max(dev1, gpu), 1);
  EXPECT_EQ(tree->Max(dev1, cpu), kUnlimited);
  EXPECT_TRUE(tree->constrained(gpu));
  EXPECT_FALSE(tree->constrained(cpu));
  EXPECT_FALSE(tree->constrained(tree->ResourceIndex("pods")));
}

TEST(QuotaTreeTest, SparseRequestsKeepOnlyTrackedNonZeroResources) {
  auto tree = Scenario1Tree().Build();
  SparseAmounts s = tree->ToSparse(
      ResourceList{{"cpu", 5000}, {"example.com/foo", 3}, {"memory", 0}, {"pods", 1}});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(tree->resource_name(s[0].resource), "cpu");
  EXPECT_EQ(s[0].amount, 5000);
  EXPECT_EQ(tree->resource_name(s[1].resource), "pods");
}

TEST(QuotaTreeTest, CommonAncestor) {
  auto tree = Scenario1Tree().Build();
  EXPECT_EQ(tree->CommonAncestor(tree->Find("root.a.1"), tree->Find("root.a.2")),
            tree->Find("root.a"));
  EXPECT_EQ(tree->CommonAncestor(tree->Find("root.a.1"), tree->Find("root.b.2")), 0);
  EXPECT_EQ(tree->CommonAncestor(tree->Find("root.a.1"), tree->Find("root.a.1")),
            tree->Find("root.a.1"));
}

TEST(QuotaTreeTest, NodeSelectorsAreInheritedAndExtended) {
  QuotaNodeSpec root;
  root.name = "root";
  QuotaNodeSpec org;
  org.name = "org-a";
  org.attributes = {{std::string(kAttributeNodeSelector), "org=a"}};
  QuotaNodeSpec team;
  team.name = "team";
  team.attributes = {{std::string(kAttributeNodeSelector), "gpu-type=T4, train=true"}};
  org.children.push_back(team);
  root.children.push_back(org);
  auto tree = QuotaTree::Build(root);
  EXPECT_EQ(tree->node_selector(tree->Find("team")),
            (std::vector<std::string>{"org=a", "gpu-type=T4", "train=true"}));
  EXPECT_TRUE(tree->node_selector(QuotaTree::root()).empty());
}

TEST(QuotaSpecTest, ValidationReportsEveryProblemWithPaths) {
  TreeBuilder b({{{"cpu", 10000}}, {{"cpu", 10000}}, {}});
  b.AddQuota("x", "root", {{{"cpu", 8000}}, {{"cpu", 4000}}, {"ns1"}})  // min > max
      .AddQuota("y", "root", {{{"cpu", 6000}}, {}, {"ns1"}})            // ns twice; Σmin 14 > 10
      .AddQuota("y2", "y", {{}, {}, {"ns2"}})                           // y has ns and children
      .AddQuota("x", "root", {});                                       // duplicate name
  std::vector<SpecProblem> problems;
  EXPECT_FALSE(ValidateQuotaSpec(b.spec(), &problems));
  std::string all;
  for (const auto& p : problems) all += p.path + ": " + p.message + "\n";
  EXPECT_NE(all.find("spec.root.children[0].min.cpu: min 8 > max 4"), std::string::npos) << all;
  EXPECT_NE(all.find("spec.root.min.cpu: the children's min add up to 14 > this quota's min 10"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("namespace \"ns1\" is already on quota \"x\""), std::string::npos) << all;
  EXPECT_NE(all.find("spec.root.children[1].namespaces: quota \"y\" has children"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("duplicate quota name \"x\""), std::string::npos) << all;
  EXPECT_EQ(problems.size(), 5u) << all;
}

TEST(QuotaSpecTest, Scenario1IsValid) {
  std::vector<SpecProblem> problems;
  EXPECT_TRUE(ValidateQuotaSpec(Scenario1Tree().spec(), &problems));
}

}  // namespace
}  // namespace quotient::quota
