#include "extender/state/watch_sinks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "extender/telemetry/metrics.h"
#include "quota/quota_test_util.h"

namespace quotient::extender::state {
namespace {

using ::testing::HasSubstr;

// An ElasticQuotaTree as the API server serves it: metadata with server fields,
// quantities as the user wrote them (numbers and strings).
constexpr std::string_view kTreeObject = R"({
  "apiVersion": "scheduling.sigs.k8s.io/v1beta1", "kind": "ElasticQuotaTree",
  "metadata": {"name": "elasticquotatree", "namespace": "kube-system",
               "uid": "5b0c", "resourceVersion": "812", "generation": 1,
               "creationTimestamp": "2026-11-22T10:00:00Z",
               "managedFields": [{"manager": "kubectl", "operation": "Update"}]},
  "spec": {"root": {"name": "root", "min": {"cpu": 40}, "max": {"cpu": "40"},
    "children": [{"name": "root.a", "namespaces": ["namespace1"],
                  "min": {"cpu": 10}, "max": {"cpu": 20}}]}}})";

TEST(QuotaTreeSinkTest, CompilesAnObjectAsTheApiServesIt) {
  std::shared_ptr<const quota::QuotaTree> tree;
  std::string errors;
  ASSERT_TRUE(QuotaTreeSink::Compile(kTreeObject, &tree, &errors)) << errors;
  EXPECT_EQ(tree->size(), 2u);
  quota::QuotaId a = tree->Find("root.a");
  EXPECT_EQ(tree->Max(a, tree->ResourceIndex("cpu")), 20'000);
  EXPECT_EQ(tree->LeafForNamespace("namespace1"), a);
}

TEST(QuotaTreeSinkTest, AnInvalidTreeIsRefusedWithItsFieldPath) {
  std::string bad(kTreeObject);
  bad.replace(bad.find(R"("max": {"cpu": 20})"), 18, R"("max": {"cpu": 5})");
  std::shared_ptr<const quota::QuotaTree> tree;
  std::string errors;
  EXPECT_FALSE(QuotaTreeSink::Compile(bad, &tree, &errors));
  EXPECT_THAT(errors, HasSubstr("spec.root.children[0]"));
}

class QuotaTreeSinkFlowTest : public ::testing::Test {
 protected:
  bool Apply(kube::EventType type, std::string_view json) {
    simdjson::padded_string padded(json);
    json::od::parser parser;
    json::od::document doc = parser.iterate(padded);
    json::od::value value = doc.get_value();
    std::string error;
    return sink_.Apply(type, value, &error);
  }
  size_t TreeSize() { return ledger_.tree()->size(); }

  quota::QuotaLedger ledger_{quota::testing::TreeBuilder().Build(), {}};
  metrics::Registry registry_;
  QuotaMetrics metrics_{&registry_, &ledger_};
  QuotaTreeSink sink_{&ledger_, &metrics_, ""};
};

TEST_F(QuotaTreeSinkFlowTest, TheListedTreeIsPublishedAtTheEndOfTheList) {
  sink_.BeginList();
  ASSERT_TRUE(Apply(kube::EventType::kAdded, kTreeObject));
  EXPECT_EQ(TreeSize(), 1u);
  sink_.EndList();
  EXPECT_EQ(TreeSize(), 2u);
}

TEST_F(QuotaTreeSinkFlowTest, ABadEditKeepsTheLastGoodTree) {
  sink_.BeginList();
  Apply(kube::EventType::kAdded, kTreeObject);
  sink_.EndList();
  std::string bad(kTreeObject);
  bad.replace(bad.find(R"("name": "root.a")"), 16, R"("name": "")");
  ASSERT_TRUE(Apply(kube::EventType::kModified, bad));
  EXPECT_EQ(TreeSize(), 2u);
  EXPECT_EQ(ledger_.tree()->LeafForNamespace("namespace1"), ledger_.tree()->Find("root.a"));
}

TEST_F(QuotaTreeSinkFlowTest, DeletingTheObjectKeepsTheLastTree) {
  sink_.BeginList();
  Apply(kube::EventType::kAdded, kTreeObject);
  sink_.EndList();
  ASSERT_TRUE(Apply(kube::EventType::kDeleted, kTreeObject));
  EXPECT_EQ(TreeSize(), 2u);
}

TEST_F(QuotaTreeSinkFlowTest, UntilATreeIsPublishedItSaysWhyThereIsNone) {
  EXPECT_EQ(sink_.MissingTree(), "no ElasticQuotaTree listed yet");
  sink_.BeginList();
  sink_.EndList();
  EXPECT_EQ(sink_.MissingTree(), "no ElasticQuotaTree in kube-system");
  ASSERT_TRUE(Apply(kube::EventType::kAdded, kTreeObject));
  EXPECT_EQ(sink_.MissingTree(), "");
  EXPECT_EQ(TreeSize(), 2u);
  // Published once, a deleted or invalid object keeps the last good tree: nothing missing.
  ASSERT_TRUE(Apply(kube::EventType::kDeleted, kTreeObject));
  EXPECT_EQ(sink_.MissingTree(), "");
}

TEST_F(QuotaTreeSinkFlowTest, AnInvalidFirstTreeIsMissingWithItsFirstError) {
  std::string bad(kTreeObject);
  bad.replace(bad.find(R"("max": {"cpu": 20})"), 18, R"("max": {"cpu": 5})");
  sink_.BeginList();
  ASSERT_TRUE(Apply(kube::EventType::kAdded, bad));
  sink_.EndList();
  EXPECT_THAT(sink_.MissingTree(), HasSubstr("ElasticQuotaTree elasticquotatree is invalid: "));
  EXPECT_THAT(sink_.MissingTree(), HasSubstr("spec.root.children[0]"));
  EXPECT_EQ(sink_.MissingTree().find('\n'), std::string::npos);
  EXPECT_EQ(TreeSize(), 1u);                                    // still the empty tree
  ASSERT_TRUE(Apply(kube::EventType::kModified, kTreeObject));  // fixed
  EXPECT_EQ(sink_.MissingTree(), "");
  EXPECT_EQ(TreeSize(), 2u);
}

TEST(QuotaTreeSinkNamedTest, ATreeOfAnotherNameIsNotTheConfiguredOne) {
  quota::QuotaLedger ledger{quota::testing::TreeBuilder().Build(), {}};
  metrics::Registry registry;
  QuotaMetrics metrics{&registry, &ledger};
  QuotaTreeSink sink{&ledger, &metrics, "production"};
  simdjson::padded_string padded(kTreeObject);
  json::od::parser parser;
  json::od::document doc = parser.iterate(padded);
  json::od::value value = doc.get_value();
  std::string error;
  sink.BeginList();
  ASSERT_TRUE(sink.Apply(kube::EventType::kAdded, value, &error));
  sink.EndList();
  EXPECT_EQ(sink.MissingTree(), "no ElasticQuotaTree named production in kube-system");
  EXPECT_EQ(ledger.tree()->size(), 1u);
}

TEST_F(QuotaTreeSinkFlowTest, OnlyAChangeOfTheSpecReloadsTheTree) {
  sink_.BeginList();
  Apply(kube::EventType::kAdded, kTreeObject);
  sink_.EndList();
  const auto published = ledger_.tree();
  // A label, a new resourceVersion and a status written by a controller: no reload.
  std::string relabelled(kTreeObject);
  relabelled.replace(relabelled.find(R"("resourceVersion": "812")"), 24,
                     R"("resourceVersion": "813", "labels": {"team": "ml"})");
  relabelled.insert(relabelled.rfind('}'), R"(, "status": {"observed": 2})");
  ASSERT_TRUE(Apply(kube::EventType::kModified, relabelled));
  EXPECT_EQ(ledger_.tree(), published);
  std::string spec_changed(relabelled);
  spec_changed.replace(spec_changed.find(R"("max": {"cpu": 20})"), 18, R"("max": {"cpu": 30})");
  ASSERT_TRUE(Apply(kube::EventType::kModified, spec_changed));
  EXPECT_NE(ledger_.tree(), published);
  EXPECT_THAT(registry_.Render(),
              HasSubstr(R"(quotient_config_reloads_total{source="elasticquotatree",)"
                        R"(result="success"} 2)"));
}

TEST_F(QuotaTreeSinkFlowTest, AnObjectPutBackAfterARefusedEditCountsAsGoodAgain) {
  sink_.BeginList();
  Apply(kube::EventType::kAdded, kTreeObject);
  sink_.EndList();
  const auto published = ledger_.tree();
  std::string bad(kTreeObject);
  bad.replace(bad.find(R"("max": {"cpu": 20})"), 18, R"("max": {"cpu": 5})");
  ASSERT_TRUE(Apply(kube::EventType::kModified, bad));
  EXPECT_THAT(registry_.Render(),
              HasSubstr(R"(quotient_config_last_reload_successful{source="elasticquotatree"} 0)"));
  ASSERT_TRUE(Apply(kube::EventType::kModified, kTreeObject));  // the edit undone
  EXPECT_EQ(ledger_.tree(), published);                         // nothing to reload
  EXPECT_THAT(registry_.Render(),
              HasSubstr(R"(quotient_config_last_reload_successful{source="elasticquotatree"} 1)"));
}

TEST_F(QuotaTreeSinkFlowTest, AnInvalidObjectDeletedAndCreatedAgainIsReportedAgain) {
  std::string bad(kTreeObject);
  bad.replace(bad.find(R"("max": {"cpu": 20})"), 18, R"("max": {"cpu": 5})");
  sink_.BeginList();
  Apply(kube::EventType::kAdded, bad);
  sink_.EndList();
  ASSERT_TRUE(Apply(kube::EventType::kDeleted, bad));
  EXPECT_EQ(sink_.MissingTree(), "no ElasticQuotaTree in kube-system");
  ASSERT_TRUE(Apply(kube::EventType::kAdded, bad));
  EXPECT_THAT(sink_.MissingTree(), HasSubstr("is invalid"));
  EXPECT_THAT(registry_.Render(),
              HasSubstr(R"(quotient_config_reloads_total{source="elasticquotatree",)"
                        R"(result="failure"} 2)"));
}

TEST_F(QuotaTreeSinkFlowTest, AnObjectWithoutANameIsSkipped) {
  EXPECT_FALSE(Apply(kube::EventType::kAdded, R"({"metadata": {}, "spec": {}})"));
}

// Which changes the pod and node sinks report as releases (room kube-scheduler may have
// retried a waiting pod for, requeuer.h).
class ReleaseReportTest : public ::testing::Test {
 protected:
  template <typename Sink>
  bool Apply(Sink& sink, kube::EventType type, std::string_view json) {
    simdjson::padded_string padded(json);
    json::od::parser parser;
    json::od::document doc = parser.iterate(padded);
    json::od::value value = doc.get_value();
    std::string error;
    bool ok = sink.Apply(type, value, &error);
    EXPECT_TRUE(ok) << error;
    return ok;
  }

  static constexpr std::string_view kBoundPod = R"({"metadata": {"name": "half-1",
      "namespace": "gpu-research", "uid": "u-half"},
      "spec": {"nodeName": "gpu-a100-1", "containers": [{"name": "c",
               "resources": {"requests": {"cpu": "1"}}}]},
      "status": {"phase": "Running"}})";
  static constexpr std::string_view kPendingPod = R"({"metadata": {"name": "quarter",
      "namespace": "gpu-research", "uid": "u-quarter"},
      "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "1"}}}]},
      "status": {"phase": "Pending"}})";
  static constexpr std::string_view kNode = R"({"metadata": {"name": "gpu-a100-2"},
      "status": {"allocatable": {"cpu": "16", "memory": "64Gi", "pods": "110"}}})";

  ClusterState state_{nullptr};
  int releases_ = 0;
  PodSink pods_{&state_, nullptr, nullptr, [this] { ++releases_; }};
  NodeSink nodes_{&state_, nullptr, [this] { ++releases_; }};
};

TEST_F(ReleaseReportTest, ABoundPodLeavingIsARelease) {
  Apply(pods_, kube::EventType::kAdded, kBoundPod);
  Apply(pods_, kube::EventType::kModified, kBoundPod);
  EXPECT_EQ(releases_, 0);
  Apply(pods_, kube::EventType::kDeleted, kBoundPod);
  EXPECT_EQ(releases_, 1);
}

TEST_F(ReleaseReportTest, APendingPodLeavingFreesNothing) {
  Apply(pods_, kube::EventType::kAdded, kPendingPod);
  Apply(pods_, kube::EventType::kDeleted, kPendingPod);
  EXPECT_EQ(releases_, 0);
}

TEST_F(ReleaseReportTest, ANodeJoiningIsAReleaseAndAnUnchangedUpdateIsNot) {
  Apply(nodes_, kube::EventType::kAdded, kNode);
  EXPECT_EQ(releases_, 1);
  Apply(nodes_, kube::EventType::kModified, kNode);  // a status heartbeat, say
  Apply(nodes_, kube::EventType::kDeleted, kNode);
  EXPECT_EQ(releases_, 1);
}

TEST_F(ReleaseReportTest, ANodeUpdateThatMayAddRoomIsARelease) {
  Apply(nodes_, kube::EventType::kAdded, kNode);
  const std::string grown =
      std::string(kNode).replace(std::string(kNode).find(R"("16")"), 4, R"("32")");
  Apply(nodes_, kube::EventType::kModified, grown);
  EXPECT_EQ(releases_, 2);
  const std::string labelled =
      std::string(grown).replace(grown.find(R"("name": "gpu-a100-2"})"), 21,
                                 R"("name": "gpu-a100-2", "labels": {"org": "team-a"}})");
  Apply(nodes_, kube::EventType::kModified, labelled);
  EXPECT_EQ(releases_, 3);
  const std::string cordoned = std::string(labelled).replace(
      labelled.find(R"("status")"), 8, R"("spec": {"unschedulable": true}, "status")");
  Apply(nodes_, kube::EventType::kModified, cordoned);
  Apply(nodes_, kube::EventType::kModified, labelled);
  EXPECT_EQ(releases_, 5);
}

TEST_F(ReleaseReportTest, TheEndOfAReListIsARelease) {
  pods_.BeginList();
  pods_.EndList();
  nodes_.BeginList();
  nodes_.EndList();
  EXPECT_EQ(releases_, 2);
}

}  // namespace
}  // namespace quotient::extender::state
