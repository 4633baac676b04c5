// deploy/monitoring: the Grafana dashboard and the Prometheus alerting rules read only
// metrics Quotient exports. The exported set is read from the code: every metric name
// registered by a non-test source under extender/ (histograms add _bucket, _sum, _count).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "test/monitoring/promql_names.h"

namespace quotient::test {
namespace {

namespace fs = std::filesystem;
const fs::path kRoot = QUOTIENT_SOURCE_DIR;

std::string Read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Metric names in string literals of extender/ sources (not tests).
std::set<std::string> ExportedMetrics() {
  std::set<std::string> names;
  const std::regex literal("\"(quotient_[a-z0-9_]+)\"");
  for (const auto& entry : fs::recursive_directory_iterator(kRoot / "extender")) {
    const std::string file = entry.path().filename().string();
    if (!entry.is_regular_file() || file.find("_test") != std::string::npos) continue;
    if (entry.path().extension() != ".cc" && entry.path().extension() != ".h") continue;
    const std::string text = Read(entry.path());
    for (std::sregex_iterator it(text.begin(), text.end(), literal), end; it != end; ++it) {
      names.insert((*it)[1]);
    }
  }
  return names;
}

bool Exported(const std::set<std::string>& exported, const std::string& name) {
  if (exported.contains(name)) return true;
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix) &&
        exported.contains(name.substr(0, name.size() - suffix.size()))) {
      return true;
    }
  }
  return false;
}

// Every PromQL query of the dashboard: panel targets (rows nest panels) and variables.
void CollectQueries(const nlohmann::json& panels, std::vector<std::string>* out) {
  for (const auto& panel : panels) {
    for (const auto& target : panel.value("targets", nlohmann::json::array())) {
      if (target.contains("expr")) out->push_back(target["expr"]);
    }
    if (panel.contains("panels")) CollectQueries(panel["panels"], out);
  }
}

TEST(PromqlNamesTest, FindsMetricsAndSkipsFunctionsLabelsAndDurations) {
  EXPECT_EQ(
      MetricNamesIn(
          "histogram_quantile(0.99, sum by (route, le) (rate(a_bucket{route=~\"x|y\"}[5m]))) > 1"),
      (std::set<std::string>{"a_bucket"}));
  EXPECT_EQ(MetricNamesIn("b / on (quota, resource) c{resource=\"$r\"} and d offset 5m"),
            (std::set<std::string>{"b", "c", "d"}));
  EXPECT_EQ(MetricNamesIn("time() - e"), (std::set<std::string>{"e"}));
}

TEST(MonitoringTest, TheExportedSetIsReadFromTheCode) {
  const auto exported = ExportedMetrics();
  for (const char* name : {"quotient_decisions_total", "quotient_quota_used",
                           "quotient_http_request_duration_seconds", "quotient_watch_connected",
                           "quotient_config_last_reload_successful", "quotient_build_info"}) {
    EXPECT_TRUE(exported.contains(name)) << name;
  }
}

TEST(MonitoringTest, EveryDashboardQueryNamesOnlyExportedMetrics) {
  const auto exported = ExportedMetrics();
  const auto dashboard =
      nlohmann::json::parse(Read(kRoot / "deploy/monitoring/grafana-dashboard.json"));
  std::vector<std::string> queries;
  CollectQueries(dashboard.at("panels"), &queries);
  for (const auto& variable : dashboard.at("templating").at("list")) {
    if (variable.value("type", "") != "query") continue;
    // label_values(METRIC, LABEL): the metric is the first argument.
    std::string q = variable["query"].is_string() ? variable["query"].get<std::string>()
                                                  : variable["query"]["query"].get<std::string>();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(q, m, std::regex(R"(label_values\((\w+),\s*\w+\))"))) << q;
    queries.push_back(m[1]);
  }
  ASSERT_GT(queries.size(), 20u);
  for (const auto& q : queries) {
    const auto names = MetricNamesIn(q);
    EXPECT_FALSE(names.empty()) << "no metric in: " << q;
    for (const auto& name : names) {
      EXPECT_TRUE(Exported(exported, name)) << name << " in the dashboard query: " << q;
    }
  }
}

TEST(MonitoringTest, EveryAlertExpressionNamesOnlyExportedMetrics) {
  const auto exported = ExportedMetrics();
  YAML::Node rules = YAML::LoadFile((kRoot / "deploy/monitoring/alerts.yaml").string());
  size_t alerts = 0;
  for (const auto& group : rules["groups"]) {
    for (const auto& rule : group["rules"]) {
      ASSERT_TRUE(rule["alert"] && rule["expr"] && rule["annotations"]["summary"]);
      ++alerts;
      const std::string expr = rule["expr"].as<std::string>();
      const auto names = MetricNamesIn(expr);
      EXPECT_FALSE(names.empty()) << rule["alert"].as<std::string>();
      for (const auto& name : names) {
        EXPECT_TRUE(Exported(exported, name))
            << name << " in alert " << rule["alert"].as<std::string>() << ": " << expr;
      }
    }
  }
  EXPECT_GE(alerts, 5u);
}

}  // namespace
}  // namespace quotient::test
