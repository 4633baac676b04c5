// The /debug endpoints: routing of parameters, JSON and text, refused requests.
#include "extender/debug/endpoints.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "extender/debug/debug_test_util.h"
#include "extender/debug/quota_view.h"

namespace quotient::extender {
namespace {

using testing::PodArgs;
using testing::QuotaRefusal;
using testing::Scenario1Ledger;

const std::chrono::system_clock::time_point kNow{std::chrono::seconds(1'800'000'000)};

class DebugEndpointsTest : public ::testing::Test {
 protected:
  std::unique_ptr<quota::QuotaLedger> ledger_ = Scenario1Ledger(3);
  DecisionLog log_{100, [] { return kNow; }};
  DebugEndpoints debug_{ledger_.get(), true, &log_, nullptr, [] { return kNow; }};
};

TEST(ParseQueryTest, DecodesPercentEscapesAndPlusAndKeepsTheLastRepeat) {
  auto q = ParseQuery("namespace=team%2Da&pod=a+b&x=1&x=2&flag&=v&bad=%zz");
  EXPECT_EQ(q["namespace"], "team-a");
  EXPECT_EQ(q["pod"], "a b");
  EXPECT_EQ(q["x"], "2");
  EXPECT_EQ(q["flag"], "");
  EXPECT_EQ(q["bad"], "%zz");
  EXPECT_TRUE(ParseQuery("").empty());
}

TEST_F(DebugEndpointsTest, QuotaAnswersTheLiveTreeAsJson) {
  DebugResponse r = debug_.Handle("/debug/quota", "");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  auto json = nlohmann::json::parse(r.body);
  ASSERT_EQ(json["quotas"].size(), 7u);
  EXPECT_EQ(json["quotas"][0]["name"], "root");
  EXPECT_TRUE(json["quotas"][0]["parent"].is_null());
  bool found = false;
  for (const auto& q : json["quotas"]) {
    if (q["name"] != "root.a.1") continue;
    found = true;
    EXPECT_EQ(q["parent"], "root.a");
    EXPECT_EQ(q["namespaces"], nlohmann::json::array({"namespace1"}));
    EXPECT_EQ(q["resources"]["cpu"]["used"], "15");
    EXPECT_EQ(q["resources"]["cpu"]["reserved"], "0");
    EXPECT_EQ(q["resources"]["cpu"]["min"], "10");
    EXPECT_EQ(q["resources"]["cpu"]["max"], "20");
  }
  EXPECT_TRUE(found);
}

TEST_F(DebugEndpointsTest, QuotaAsTextIsAnIndentedTableWithStates) {
  DebugResponse r = debug_.Handle("/debug/quota", "output=text");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(r.body.substr(0, r.body.find('\n')),
            "QUOTA         RESOURCE  USED  RESERVED  MIN  MAX  STATE      NAMESPACES");
  EXPECT_NE(r.body.find("    root.a.1  cpu       15    0         10   20   borrowing  namespace1"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("    root.a.2  cpu       0     0         10   20              namespace2"),
            std::string::npos)
      << r.body;
}

TEST(QuotaStateTest, SaysWhetherAQuotaBorrowsIsAtOrOverItsMax) {
  EXPECT_EQ(QuotaState(5, 10, 20), "");
  EXPECT_EQ(QuotaState(15, 10, 20), "borrowing");
  EXPECT_EQ(QuotaState(20, 10, 20), "at max");
  EXPECT_EQ(QuotaState(25, 10, 20), "over max");
  EXPECT_EQ(QuotaState(5, 0, quota::kUnlimited), "borrowing");
  EXPECT_EQ(QuotaState(0, 0, 0), "");
}

TEST_F(DebugEndpointsTest, ExplainAnswersJsonOrTextForTheNamedPod) {
  log_.RecordFilter(
      PodArgs("namespace1", "web 5", "u5", 10, 2),
      QuotaRefusal(2, "quota root.a.1: cpu used 15 + reserved 0 + request 10 > max 20"));
  DebugResponse json = debug_.Handle("/debug/explain", "namespace=namespace1&pod=web%205");
  ASSERT_EQ(json.status, 200u) << json.body;
  auto parsed = nlohmann::json::parse(json.body);
  EXPECT_EQ(parsed["pod"]["name"], "web 5");
  EXPECT_EQ(parsed["quota"]["blocking"], "root.a.1");
  DebugResponse text =
      debug_.Handle("/debug/explain", "namespace=namespace1&pod=web+5&output=text");
  ASSERT_EQ(text.status, 200u);
  EXPECT_EQ(text.body.rfind("Pod namespace1/web 5\n  namespace1/web 5 waits for quota: quota "
                            "root.a.1 would go over its max for cpu",
                            0),
            0u)
      << text.body;
}

TEST_F(DebugEndpointsTest, RefusesMissingParametersUnknownOutputsAndPaths) {
  struct Case {
    const char* name;
    const char* path;
    const char* query;
    unsigned status;
    const char* reason;
  };
  for (const Case& c : {
           Case{"explain without a pod", "/debug/explain", "namespace=a", 400, "missing_parameter"},
           Case{"explain with an empty namespace", "/debug/explain", "namespace=&pod=x", 400,
                "missing_parameter"},
           Case{"an unknown output", "/debug/quota", "output=yaml", 400, "bad_parameter"},
           Case{"an unknown debug path", "/debug/pods", "", 404, "not_found"},
       }) {
    DebugResponse r = debug_.Handle(c.path, c.query);
    EXPECT_EQ(r.status, c.status) << c.name;
    EXPECT_EQ(nlohmann::json::parse(r.body)["Reason"], c.reason) << c.name;
  }
}

TEST(DebugEndpointsNoQuotaTest, WithoutAQuotaTreeQuotaIsEmptyAndExplainSaysSo) {
  DecisionLog log;
  DebugEndpoints debug(nullptr, true, &log, nullptr);
  EXPECT_EQ(debug.Handle("/debug/quota", "").body, "{\"quotas\":[]}\n");
  DebugResponse r = debug.Handle("/debug/explain", "namespace=a&pod=b&output=text");
  EXPECT_NE(r.body.find("Quota: no quota tree is loaded."), std::string::npos) << r.body;
}

}  // namespace
}  // namespace quotient::extender
