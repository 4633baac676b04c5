// `quotient check`: one line per valid file, one line per problem, exit codes 0/1/2.
#include "extender/cli/check_command.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace quotient::extender {
namespace {

struct CheckResult {
  int code;
  std::string out;
  std::string err;
};

CheckResult Check(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  int code = RunCheck(args, out, err);
  return {code, out.str(), err.str()};
}

// Writes `text` to a file under the test temp dir and returns its path.
std::string WriteFile(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + "check_command_test_" + name;
  std::ofstream(path) << text;
  return path;
}

constexpr std::string_view kValidTree = R"(apiVersion: v1
kind: Namespace
metadata: {name: dev1}
---
apiVersion: scheduling.sigs.k8s.io/v1beta1
kind: ElasticQuotaTree
spec:
  root:
    name: root
    min: {cpu: 12, memory: 90Gi, nvidia.com/gpu: 3}
    max: {cpu: 12, memory: 90Gi, nvidia.com/gpu: 3}
    children:
    - {name: dev1, namespaces: [dev1], max: {nvidia.com/gpu: 1}}
    - {name: dev2, namespaces: [dev2, dev2-ci], min: {cpu: 8}}
)";

constexpr std::string_view kBrokenTree = R"(apiVersion: scheduling.sigs.k8s.io/v1beta1
kind: ElasticQuotaTree
spec:
  root:
    name: root
    min: {cpu: 4}
    children:
    - name: a
      min: {cpu: 12Q}
      colour: blue
)";

TEST(CheckCommandTest, AValidFileIsSummarizedOnOneLine) {
  std::string file = WriteFile("valid.yaml", std::string(kValidTree));
  CheckResult r = Check({file});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, file +
                       ": ok (3 quota nodes, 3 namespaces, resources: cpu, memory, "
                       "nvidia.com/gpu)\n");
  EXPECT_EQ(r.err, "");
}

TEST(CheckCommandTest, EveryProblemIsPrintedAsFileLinePathMessage) {
  std::string file = WriteFile("broken.yaml", std::string(kBrokenTree));
  CheckResult r = Check({file});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, file +
                       ":9: spec.root.children[0].min.cpu: invalid quantity \"12Q\": invalid "
                       "suffix \"Q\"\n" +
                       file +
                       ":10: spec.root.children[0].colour: unknown field (known fields: name, "
                       "min, max, namespaces, children, attributes)\n");
}

TEST(CheckCommandTest, EveryFileIsCheckedAndOneBadFileFailsTheRun) {
  std::string valid = WriteFile("valid2.yaml", std::string(kValidTree));
  std::string broken = WriteFile("broken2.yaml", std::string(kBrokenTree));
  CheckResult r = Check({broken, valid, "/nonexistent/quota.yaml"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find(valid + ": ok ("), std::string::npos) << r.out;
  EXPECT_NE(r.err.find(broken + ":9: "), std::string::npos) << r.err;
  EXPECT_NE(
      r.err.find("/nonexistent/quota.yaml: cannot read the file: No such file or directory\n"),
      std::string::npos)
      << r.err;
}

TEST(CheckCommandTest, ASingleNodeTreeUsesSingularNouns) {
  std::string file = WriteFile("single.json", R"({"apiVersion": "scheduling.sigs.k8s.io/v1beta1",
 "kind": "ElasticQuotaTree", "spec": {"root": {"name": "root", "namespaces": ["a"]}}})");
  CheckResult r = Check({file});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, file + ": ok (1 quota node, 1 namespace, resources: none)\n");
}

TEST(CheckCommandTest, ASettingsFileWithDraMappingsIsChecked) {
  std::string good = WriteFile("settings.yaml", R"(dra:
  deviceClasses:
  - {deviceClass: gpu.nvidia.com, resource: nvidia.com/gpu, mode: devices}
)");
  CheckResult r = Check({"--config", good});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, good + ": ok (settings, 1 DRA device class mapping)\n");

  std::string bad = WriteFile("bad-settings.yaml", R"(dra:
  deviceClasses:
  - {deviceClass: mig.nvidia.com, resource: quotient.io/gpu-memory-slices, mode: counter}
)");
  r = Check({"--config", bad});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(bad + ":3: dra.deviceClasses[0].source: mode counter needs"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(bad + ":3: dra.deviceClasses[0].driver:"), std::string::npos) << r.err;
}

// Issue 18's hostile files, as checked in for the fuzz targets' replays: `quotient check`
// refuses each with exit 1 and one bounded line per problem, naming the file and the limit.
struct HostileFile {
  const char* path;  // under test/fuzz/regressions/
  bool settings;     // checked with --config
  const char* says;
};

TEST(CheckCommandTest, HostileFilesAreRefusedWithOneLineNamingTheLimit) {
  const HostileFile kFiles[] = {
      {"fuzz_quota_yaml/issue18-list-cycle.yaml", false, "(a cycle)"},
      {"fuzz_quota_yaml/issue18-root-cycle.yaml", false, "(a cycle)"},
      {"fuzz_quota_yaml/issue18-deep-alias-chain.yaml", false, "levels deep (the limit)"},
      {"fuzz_quota_yaml/issue18-exponential-list.yaml", false, "through aliases (the limit)"},
      {"fuzz_server_config/issue18-cycle.yaml", true, "(a cycle)"},
      {"fuzz_server_config/duration-1e19ms-overflows-int64.yaml", true, "at most 8760h"},
  };
  for (const HostileFile& f : kFiles) {
    SCOPED_TRACE(f.path);
    const std::string path = std::string(QUOTIENT_REGRESSIONS_DIR) + "/" + f.path;
    CheckResult r = f.settings ? Check({"--config", path}) : Check({path});
    EXPECT_EQ(r.code, 1) << r.out << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find(f.says), std::string::npos) << r.err;
    std::istringstream lines(r.err);
    for (std::string line; std::getline(lines, line);) {
      EXPECT_EQ(line.rfind(path + ":", 0), 0u) << line;
      EXPECT_LE(line.size(), path.size() + 1024) << line;
    }
  }
}

TEST(CheckCommandTest, HelpIsPrintedToOutAndExits0) {
  for (const char* flag : {"--help", "-h"}) {
    CheckResult r = Check({flag});
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.out.rfind("Usage: quotient check [--config SETTINGS] [FILE...]", 0), 0u) << flag;
  }
}

TEST(CheckCommandTest, UsageErrorsExit2) {
  CheckResult r = Check({});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no file given"), std::string::npos);
  r = Check({"--strict", "x.yaml"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown flag \"--strict\""), std::string::npos);
}

TEST(CheckCommandTest, ArgumentsAfterDoubleDashAreFiles) {
  CheckResult r = Check({"--", "--help"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--help: cannot read the file"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace quotient::extender
