// `quotient explain`'s report: the quota path with what fits where, the last verdict,
// and sentences a researcher understands.
#include "extender/debug/explain.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "extender/debug/debug_test_util.h"

namespace quotient::extender {
namespace {

using testing::PodArgs;
using testing::QuotaRefusal;
using testing::Scenario1Ledger;
using Time = std::chrono::system_clock::time_point;

const Time kNow{std::chrono::seconds(1'800'000'000)};
constexpr std::string_view kRefusal =
    "quota root.a.1: cpu used 20 + reserved 0 + request 5 > max 20";

class ReclaimOfRootB : public ReclaimStatusSource {
 public:
  std::vector<std::string> ReclaimsFor(std::string_view, std::string_view, const quota::QuotaTree&,
                                       quota::QuotaId) const override {
    return {"quota root.b.1 is taking back 10 cpu (its min) from root.a."};
  }
};

TEST(ExplainTest, APodOverItsLeafMaxNamesTheQuotaItsUsageAndItsMax) {
  auto ledger = Scenario1Ledger(4);  // root.a.1: 20 of max 20
  DecisionLog log(100, [] { return kNow - std::chrono::seconds(12); });
  log.RecordFilter(PodArgs("namespace1", "web-5", "u5", 5, 4),
                   QuotaRefusal(4, std::string(kRefusal)));

  ExplainReport r = BuildExplain(ledger.get(), true, log, nullptr, "namespace1", "web-5", kNow);

  ASSERT_TRUE(r.known);
  ASSERT_EQ(r.path.size(), 3u);
  EXPECT_EQ(r.path[0].quota, "root.a.1");
  EXPECT_EQ(r.path[1].quota, "root.a");
  EXPECT_EQ(r.path[2].quota, "root");
  EXPECT_EQ(r.blocking, 0);
  const ExplainResource& cpu = r.path[0].resources.at(0);
  EXPECT_EQ(cpu.resource, "cpu");
  EXPECT_EQ(cpu.used, 20000);
  EXPECT_EQ(cpu.reserved, 0);
  EXPECT_EQ(cpu.request, 5000);
  EXPECT_EQ(cpu.min, 10000);
  EXPECT_EQ(cpu.max, 20000);
  EXPECT_FALSE(cpu.fits);
  EXPECT_TRUE(r.path[1].fits) << "root.a has 20 of 40";
  EXPECT_EQ(r.summary,
            "namespace1/web-5 waits for quota: quota root.a.1 would go over its max for cpu: "
            "used 20 + reserved 0 + this pod's 5 > max 20. It runs when pods of root.a.1 finish "
            "or the quota is raised.");

  std::string text = ExplainText(r);
  EXPECT_NE(text.find("Quota path of namespace namespace1 (leaf first):"), std::string::npos)
      << text;
  EXPECT_NE(text.find("root.a.1  cpu       5        20    0         10   20   no: over max"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Last filter, 12s ago: rejected (quota_max): " + std::string(kRefusal)),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("4 nodes (not retried for this pod): " + std::string(kRefusal)),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Reclaim under way: none."), std::string::npos) << text;

  auto json = nlohmann::json::parse(ExplainJson(r));
  EXPECT_EQ(json["pod"]["requests"]["cpu"], "5");
  EXPECT_EQ(json["quota"]["blocking"], "root.a.1");
  EXPECT_EQ(json["quota"]["path"][0]["resources"][0]["max"], "20");
  EXPECT_EQ(json["quota"]["path"][0]["resources"][0]["fits"], false);
  EXPECT_EQ(json["lastFilter"]["reason"], "quota_max");
  EXPECT_EQ(json["lastFilter"]["ageSeconds"], 12.0);
  EXPECT_EQ(json["lastFilter"]["nodeReasons"][0]["nodes"], 4);
  EXPECT_TRUE(json["lastBind"].is_null());
  EXPECT_EQ(json["summary"], r.summary);
}

TEST(ExplainTest, ARefusedPodWhoseQuotaHasRoomNowIsToldTheSchedulerRetriesIt) {
  auto ledger = Scenario1Ledger(2);  // 10 of 20: a pod finished since the refusal
  DecisionLog log(100, [] { return kNow; });
  log.RecordFilter(PodArgs("namespace1", "web-5", "u5", 5, 1),
                   QuotaRefusal(1, std::string(kRefusal)));
  ExplainReport r = BuildExplain(ledger.get(), true, log, nullptr, "namespace1", "web-5", kNow);
  EXPECT_EQ(r.blocking, -1);
  EXPECT_TRUE(r.path[0].fits);
  EXPECT_NE(r.summary.find("has room for it now: the scheduler retries it"), std::string::npos)
      << r.summary;
}

TEST(ExplainTest, APodQuotientNeverSawSaysSoAndShowsTheLimitsOfItsPath) {
  auto ledger = Scenario1Ledger(1);
  DecisionLog log;
  ExplainReport r = BuildExplain(ledger.get(), true, log, nullptr, "namespace1", "ghost", kNow);
  EXPECT_FALSE(r.known);
  ASSERT_EQ(r.path.size(), 3u);
  ASSERT_EQ(r.path[0].resources.size(), 1u);
  EXPECT_EQ(r.path[0].resources[0].used, 5000);
  EXPECT_NE(r.summary.find("Quotient has no decision for namespace1/ghost"), std::string::npos);
  std::string text = ExplainText(r);
  EXPECT_NE(text.find("Last filter: none since Quotient started."), std::string::npos) << text;
  EXPECT_NE(text.find("root.a.1  cpu       ?        5"), std::string::npos) << text;
}

TEST(ExplainTest, AnUnquotedNamespaceIsNamedAsSuchWithItsPolicy) {
  auto ledger = Scenario1Ledger(0);
  DecisionLog log;
  FilterDecision denied;
  denied.result = DecisionResult::kRejected;
  denied.reason = DecisionReason::kUnquotedDenied;
  denied.message = "namespace scratch is on no quota leaf and unquoted namespaces are denied";
  log.RecordFilter(PodArgs("scratch", "job", "u1", 1, 1), denied);
  ExplainReport r = BuildExplain(ledger.get(), false, log, nullptr, "scratch", "job", kNow);
  EXPECT_TRUE(r.unquoted);
  EXPECT_TRUE(r.path.empty());
  EXPECT_NE(r.summary.find("namespace scratch hangs on no quota"), std::string::npos);
  EXPECT_NE(ExplainText(r).find("hangs on no quota leaf; its pods are refused"), std::string::npos);
}

TEST(ExplainTest, ABoundPodSaysWhereAndCountsItsRequestOnce) {
  auto ledger = Scenario1Ledger(4);  // uid-3 is one of the bound pods
  DecisionLog log(100, [] { return kNow; });
  FilterDecision admitted;
  admitted.reason = DecisionReason::kQuotaAdmitted;
  admitted.answer.passed = {0};
  log.RecordFilter(PodArgs("namespace1", "web-3", "uid-3", 5, 1), admitted);
  log.RecordBind(BindingArgs{"web-3", "namespace1", "uid-3", "node-1"}, BindDecision{});
  ExplainReport r = BuildExplain(ledger.get(), true, log, nullptr, "namespace1", "web-3", kNow);
  EXPECT_TRUE(r.holds_quota);
  EXPECT_TRUE(r.path[0].fits) << "its own 5 cpu are inside the 20 used";
  EXPECT_EQ(r.summary, "namespace1/web-3 was admitted and bound to node node-1 just now.");
}

TEST(ExplainTest, NodeRefusalsAreSummarisedWithTheMostFrequentReason) {
  auto ledger = Scenario1Ledger(0);
  DecisionLog log(100, [] { return kNow; });
  FilterDecision d;
  d.result = DecisionResult::kRejected;
  d.reason = DecisionReason::kNodeFit;
  d.answer.failed = {{0, "node fit: nvidia.com/gpu requested 1, free 0 of 1"},
                     {1, "node fit: nvidia.com/gpu requested 1, free 0 of 1"},
                     {2, "node not in Quotient's cache yet"}};
  log.RecordFilter(PodArgs("namespace1", "gpu-job", "u1", 1, 3), d);
  ExplainReport r = BuildExplain(ledger.get(), true, log, nullptr, "namespace1", "gpu-job", kNow);
  EXPECT_EQ(r.summary,
            "namespace1/gpu-job fits its quota, but none of the 3 candidate nodes passed "
            "Quotient's node checks just now: 2 nodes: node fit: nvidia.com/gpu requested 1, "
            "free 0 of 1.");
  EXPECT_NE(ExplainText(r).find("  1 node: node not in Quotient's cache yet"), std::string::npos);
}

TEST(ExplainTest, ThePodsClaimsAreShownAsTheFilterSawThem) {
  auto ledger = Scenario1Ledger(0);
  DecisionLog log(100, [] { return kNow; });
  ExtenderArgs args = PodArgs("namespace1", "train", "u1", 1, 1);
  args.pod.claim_note =
      "claim train-gpus (device class gpu.nvidia.com: nvidia.com/gpu=2); claim fpga: class "
      "fpga.example.com is not in dra.deviceClasses, its devices charged nothing";
  FilterDecision admitted;
  admitted.reason = DecisionReason::kQuotaAdmitted;
  admitted.answer.passed = {0};
  log.RecordFilter(args, admitted);
  ExplainReport r = BuildExplain(ledger.get(), true, log, nullptr, "namespace1", "train", kNow);
  EXPECT_NE(ExplainText(r).find("ResourceClaims: " + args.pod.claim_note + "\n"), std::string::npos)
      << ExplainText(r);
  auto j = nlohmann::json::parse(ExplainJson(r));
  EXPECT_EQ(j["pod"]["claims"], args.pod.claim_note);

  // A pod without claims says nothing of them.
  log.RecordFilter(PodArgs("namespace1", "web", "u2", 1, 1), admitted);
  ExplainReport plain = BuildExplain(ledger.get(), true, log, nullptr, "namespace1", "web", kNow);
  EXPECT_EQ(ExplainText(plain).find("ResourceClaims"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(ExplainJson(plain))["pod"]["claims"], "");
}

TEST(ExplainTest, AReclaimUnderWayIsToldInTheSummaryAndTheText) {
  auto ledger = Scenario1Ledger(4);
  DecisionLog log(100, [] { return kNow; });
  log.RecordFilter(PodArgs("namespace1", "web-5", "u5", 5, 1),
                   QuotaRefusal(1, std::string(kRefusal)));
  ReclaimOfRootB reclaim;
  ExplainReport r = BuildExplain(ledger.get(), true, log, &reclaim, "namespace1", "web-5", kNow);
  EXPECT_NE(r.summary.find("quota root.b.1 is taking back 10 cpu"), std::string::npos);
  EXPECT_NE(ExplainText(r).find("Reclaim under way:\n  quota root.b.1"), std::string::npos);
  ReclaimStatusSource none;
  EXPECT_TRUE(none.ReclaimsFor("a", "b", ledger->usage().tree(), 0).empty());
}

}  // namespace
}  // namespace quotient::extender
