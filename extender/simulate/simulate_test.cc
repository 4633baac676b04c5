// `quotient simulate` end to end: every example scenario passes, the example scenarios
// evict exactly the pods they describe, and exit codes and diagnostics follow the contract.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "extender/simulate/simulate_command.h"

namespace quotient::extender {
namespace {

using nlohmann::json;
using testing::ElementsAre;
using testing::HasSubstr;

struct Result {
  int code = -1;
  std::string out;
  std::string err;
  std::vector<json> lines;                    // --output json
  std::vector<nlohmann::ordered_json> keyed;  // the same, keys in output order
};

Result Simulate(std::vector<std::string> args) {
  std::ostringstream out, err;
  Result r;
  r.code = RunSimulate(args, out, err);
  r.out = out.str();
  r.err = err.str();
  if (args.size() > 1 && args[0] == "--output" && args[1] == "json") {
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      r.lines.push_back(json::parse(line));
      r.keyed.push_back(nlohmann::ordered_json::parse(line));
    }
  }
  return r;
}

std::string Example(std::string_view name) {
  return std::string(QUOTIENT_EXAMPLES_DIR) + "/" + std::string(name);
}

// Writes `text` to a fresh file in the test's temporary directory.
std::string WriteScenario(std::string_view name, std::string_view text) {
  std::string path = (std::filesystem::path(testing::TempDir()) / name).string();
  std::ofstream(path) << text;
  return path;
}

// The namespaces of a step's evictions, in order.
std::vector<std::string> EvictedNamespaces(const json& line) {
  std::vector<std::string> out;
  for (const json& e : line.at("evicted")) out.push_back(e.at("namespace"));
  return out;
}

TEST(SimulateTest, EveryExampleScenarioHoldsAndPrintsOneJsonObjectPerStep) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(QUOTIENT_EXAMPLES_DIR)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("scenario-") || entry.path().extension() != ".yaml") continue;
    ++files;
    Result r = Simulate({"--output", "json", entry.path().string()});
    EXPECT_EQ(r.code, 0) << name << "\n" << r.err;
    EXPECT_EQ(r.err, "") << name;
    ASSERT_FALSE(r.lines.empty()) << name;
    for (size_t i = 0; i < r.lines.size(); ++i) {
      const json& line = r.lines[i];
      EXPECT_EQ(line.at("step"), i + 1) << name;
      std::vector<std::string> keys;
      for (const auto& item : r.keyed[i].items()) keys.push_back(item.key());
      if (line.at("action") == "expect") {
        EXPECT_THAT(
            keys, ElementsAre("step", "action", "running", "pending", "evicted", "ok", "failures"));
        EXPECT_EQ(line.at("ok"), true) << name << " step " << i + 1;
      } else {
        EXPECT_THAT(keys, ElementsAre("step", "action", "running", "pending", "evicted"));
      }
    }
    EXPECT_EQ(Simulate({entry.path().string()}).code, 0) << name;  // text output too
  }
  EXPECT_GE(files, 3);
}

TEST(SimulateTest, Scenario1ReclaimsOnePodFromEachBorrowerPerNewNamespace) {
  Result r = Simulate({"--output", "json", Example("scenario-1-elastic-quota.yaml")});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(r.lines.size(), 8u);
  const std::vector<std::vector<std::string>> evicted = {
      {}, {}, {}, {}, {"namespace2", "namespace1"}, {}, {"namespace2", "namespace1"}, {}};
  for (size_t i = 0; i < r.lines.size(); ++i) {
    EXPECT_EQ(EvictedNamespaces(r.lines[i]), evicted[i]) << "step " << i + 1;
  }
  EXPECT_EQ(r.lines[4].at("running"),
            json({{"namespace1", 3}, {"namespace2", 3}, {"namespace3", 2}}));
  EXPECT_EQ(r.lines[4].at("pending"),
            json({{"namespace1", 2}, {"namespace2", 2}, {"namespace3", 3}}));
  EXPECT_EQ(r.lines[4].at("evicted")[0].at("reason"),
            "reclaimed by namespace3/web-0 (quota root.b.1 is below its min)");
  EXPECT_EQ(r.lines[4].at("evicted")[1].at("reason"),
            "reclaimed by namespace3/web-1 (quota root.b.1 is below its min)");
  EXPECT_EQ(r.lines[6].at("running"),
            json({{"namespace1", 2}, {"namespace2", 2}, {"namespace3", 2}, {"namespace4", 2}}));
}

TEST(SimulateTest, Scenario2KeepsBobsSecondJobPendingOnQuotaWhileGpusAreFree) {
  Result text = Simulate({Example("scenario-2-gpu-groups.yaml")});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("pending dev1/bob-train-2-0: quota dev1: nvidia.com/gpu used 1 "
                                  "+ reserved 0 + request 1 > max 1"));
  Result r = Simulate({"--output", "json", Example("scenario-2-gpu-groups.yaml")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.lines[2].at("pending"), json({{"dev1", 1}}));
  EXPECT_EQ(r.lines[4].at("running"), json({{"dev1", 1}, {"dev2", 2}}));
  for (const json& line : r.lines) EXPECT_TRUE(line.at("evicted").empty());
}

TEST(SimulateTest, TheCapacityDemoEvictsOneOfQuota1sBorrowedPods) {
  Result r = Simulate({"--output", "json", Example("scenario-capacity-demo.yaml")});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(r.lines.size(), 4u);
  EXPECT_EQ(r.lines[0].at("running"), json({{"quota1", 3}}));
  EXPECT_THAT(EvictedNamespaces(r.lines[2]), ElementsAre("quota1"));
  EXPECT_EQ(r.lines[2].at("running"), json({{"quota1", 2}, {"quota2", 2}}));
  EXPECT_EQ(r.lines[2].at("pending"), json({{"quota1", 2}, {"quota2", 0}}));
}

TEST(SimulateTest, GpuReclaimTakesOneTwoGpuPodFromTheBorrowerAndNoMore) {
  Result r = Simulate({"--output", "json", Example("scenario-gpu-reclaim.yaml")});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(r.lines.size(), 6u);
  EXPECT_EQ(r.lines[0].at("running"), json({{"team-a", 3}}));
  EXPECT_THAT(EvictedNamespaces(r.lines[2]), ElementsAre("team-a"));
  EXPECT_EQ(r.lines[2].at("running"), json({{"team-a", 2}, {"team-b", 3}}));
  EXPECT_TRUE(r.lines[4].at("evicted").empty()) << "beyond its min, team-b evicts nobody";
  EXPECT_EQ(r.lines[4].at("pending"), json({{"team-a", 1}, {"team-b", 1}}));
}

TEST(SimulateTest, TextOutputShowsStepsTablesAndEvictions) {
  Result r = Simulate({Example("scenario-1-elastic-quota.yaml")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("step 5: create namespace3/web: 5 × cpu=5\n"
                               "  namespace   running  pending\n"
                               "  namespace1        3        2\n"));
  EXPECT_THAT(r.out, HasSubstr("  evicted namespace2/web-3 from node-4: reclaimed by "
                               "namespace3/web-0 (quota root.b.1 is below its min)\n"));
  EXPECT_THAT(r.out, HasSubstr("step 6: expect running {namespace1: 3, namespace2: 3, "
                               "namespace3: 2}; pending {namespace1: 2, namespace2: 2, "
                               "namespace3: 3}\n  ok\n"));
  EXPECT_THAT(r.out, HasSubstr("all 4 expectations hold\n"));
}

TEST(SimulateTest, AFailedExpectExitsOneAndNamesTheStep) {
  const std::string path = WriteScenario("failing.yaml", R"(nodes:
- {name: n, capacity: {cpu: 4}}
quotaFile: )" + Example("quota-capacity-demo.yaml") + R"(
steps:
- create: {namespace: quota1, name: web, replicas: 4, requests: {cpu: 2}}
- expect: {running: {quota1: 4}, pending: {quota1: 0}}
- expect: {running: {quota1: 2}}
)");
  Result r = Simulate({"--output", "json", path});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("step 2 (" + path +
                               ":6): expect failed: quota1 running: "
                               "expected 4, got 2\n"));
  EXPECT_THAT(r.err, HasSubstr("step 2 (" + path +
                               ":6): expect failed: quota1 pending: "
                               "expected 0, got 2\n"));
  EXPECT_THAT(r.err, testing::Not(HasSubstr("step 3")));
  ASSERT_EQ(r.lines.size(), 3u);
  EXPECT_EQ(r.lines[1].at("ok"), false);
  EXPECT_EQ(r.lines[1].at("failures"),
            json({"quota1 running: expected 4, got 2", "quota1 pending: expected 0, got 2"}));
  EXPECT_EQ(r.lines[2].at("ok"), true);
  EXPECT_THAT(Simulate({path}).out, HasSubstr("  FAILED: quota1 running: expected 4, got 2\n"));
}

TEST(SimulateTest, AnInvalidScenarioExitsTwoWithEveryErrorAndItsLine) {
  const std::string path = WriteScenario("invalid.yaml", R"(nodes:
- name: n
  capacity: {cpu: four}
quotaFile: missing-quota.yaml
steps:
- create: {namespace: a, name: web, replica: 2}
)");
  Result r = Simulate({path});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr(path + ":3: nodes[0].capacity.cpu: invalid quantity \"four\""));
  EXPECT_THAT(r.err, HasSubstr(path + ":4: quotaFile: cannot read the quota file"));
  EXPECT_THAT(r.err, HasSubstr(path + ":6: steps[0].create.replica: unknown field"));
}

// Issue 18's hostile scenarios, as checked in for fuzz_scenario's replay: each is refused
// (exit 2) with a header and one line per problem naming the file, and simulate returns.
TEST(SimulateTest, HostileScenariosAreRefusedAndSimulateReturns) {
  const std::pair<const char*, const char*> kFiles[] = {
      {"issue18-leading-comma.yaml", "invalid YAML"},
      {"issue18-comma-after-marker.yaml", "invalid YAML"},
      {"issue18-exponential-list.yaml", "through aliases (the limit)"},
  };
  for (const auto& [name, says] : kFiles) {
    SCOPED_TRACE(name);
    const std::string path = std::string(QUOTIENT_REGRESSIONS_DIR) + "/fuzz_scenario/" + name;
    Result r = Simulate({path});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_THAT(r.err, HasSubstr(says));
    EXPECT_TRUE(r.err.starts_with("quotient simulate: invalid scenario:\n")) << r.err;
    std::istringstream lines(r.err.substr(r.err.find('\n') + 1));
    for (std::string line; std::getline(lines, line);) {
      EXPECT_EQ(line.rfind(path + ":", 0), 0u) << line;
      EXPECT_LE(line.size(), path.size() + 1024) << line;
    }
  }
}

TEST(SimulateTest, UsageErrorsExitTwoAndHelpExitsZero) {
  EXPECT_EQ(Simulate({}).code, 2);
  EXPECT_EQ(Simulate({"--output", "xml", "x.yaml"}).code, 2);
  EXPECT_EQ(Simulate({"--output"}).code, 2);
  EXPECT_EQ(Simulate({"--verbose", "x.yaml"}).code, 2);
  EXPECT_EQ(Simulate({"a.yaml", "b.yaml"}).code, 2);
  EXPECT_EQ(Simulate({"/nonexistent/scenario.yaml"}).code, 2);
  Result help = Simulate({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.out, HasSubstr("Usage: quotient simulate"));
  Result json_flag =
      Simulate({"-o", "json", "--output=text", Example("scenario-capacity-demo.yaml")});
  EXPECT_EQ(json_flag.code, 0);
  EXPECT_THAT(json_flag.out, HasSubstr("step 1: create quota1/nginx"));  // the last flag wins
}

}  // namespace
}  // namespace quotient::extender
