// The command line: help everywhere, version, usage errors and config errors exit 2.
#include "extender/cli/cli.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace quotient::extender {
namespace {

struct CliResult {
  int code;
  std::string out;
  std::string err;
};

CliResult RunQuotient(std::vector<std::string> args) {
  std::ostringstream out;
  std::ostringstream err;
  int code = RunCli(args, out, err);
  return {code, out.str(), err.str()};
}

TEST(CliTest, HelpIsAvailableEverywhere) {
  for (auto args : std::vector<std::vector<std::string>>{{"--help"},
                                                         {"-h"},
                                                         {"help"},
                                                         {"help", "serve"},
                                                         {"serve", "--help"},
                                                         {"version", "--help"}}) {
    CliResult r = RunQuotient(args);
    EXPECT_EQ(r.code, 0) << args[0];
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << args[0];
  }
  EXPECT_NE(RunQuotient({"serve", "-h"}).out.find("--listen"), std::string::npos);
}

TEST(CliTest, VersionPrintsTheBuild) {
  CliResult r = RunQuotient({"version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("quotient ", 0), 0u);
  EXPECT_NE(r.out.find("Boost"), std::string::npos);
}

TEST(CliTest, UsageErrorsExit2WithAMessage) {
  EXPECT_EQ(RunQuotient({}).code, 2);
  CliResult r = RunQuotient({"frobnicate"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown command \"frobnicate\""), std::string::npos);
  r = RunQuotient({"serve", "--bogus"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown flag"), std::string::npos);
  r = RunQuotient({"serve", "--listen"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("needs a value"), std::string::npos);
}

TEST(CliTest, InvalidSettingsAreAllReportedBeforeServing) {
  CliResult r = RunQuotient(
      {"serve", "--listen", "nowhere", "--log-format=xml", "--tls-client-ca", "/tmp/ca.pem"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("server.listen"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("log.format"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("server.tls.clientCAFile"), std::string::npos) << r.err;
}

TEST(CliTest, ConfigFileErrorsNameTheFileAndLine) {
  std::string path = ::testing::TempDir() + "/cli_test_config.yaml";
  std::ofstream(path) << "server:\n  listen: 127.0.0.1:1\n  limitz: {}\n";
  CliResult r = RunQuotient({"serve", "--config", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(path + ":3: server.limitz: unknown field"), std::string::npos) << r.err;
  std::remove(path.c_str());
  r = RunQuotient({"serve", "--config", "/nonexistent/quotient.yaml"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace quotient::extender
