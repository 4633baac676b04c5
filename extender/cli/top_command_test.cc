// `quotient top` and `quotient explain` against a real server on 127.0.0.1:0 serving the
// /debug endpoints, as `quotient serve` wires them.
#include "extender/cli/top_command.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "extender/cli/cli.h"
#include "extender/cli/debug_client.h"
#include "extender/debug/debug_test_util.h"
#include "extender/http/http_server.h"
#include "extender/http/router.h"

namespace quotient::extender {
namespace {

using testing::PodArgs;
using testing::QuotaRefusal;

struct CliResult {
  int code;
  std::string out;
  std::string err;
};

CliResult RunQuotient(std::vector<std::string> args) {
  std::ostringstream out, err;
  int code = RunCli(args, out, err);
  return {code, out.str(), err.str()};
}

// An ops-only listener with the /debug routes over a scenario-1 ledger.
class DebugServer {
 public:
  DebugServer()
      : router_("", &decider_, &metrics_, &registry_, &readiness_, &debug_, &log_),
        server_(ioc_, Options(), &router_, &metrics_) {
    std::string error;
    EXPECT_TRUE(server_.Start(&error)) << error;
    readiness_.Set(true, "serving");
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~DebugServer() {
    server_.Shutdown(std::chrono::milliseconds(200), [this] { work_.reset(); });
    thread_.join();
  }
  std::string url() { return "http://127.0.0.1:" + std::to_string(server_.BoundPorts().at(0)); }
  DecisionLog& log() { return log_; }

 private:
  static HttpServerOptions Options() {
    HttpServerOptions options;
    ListenerOptions ops;
    ops.host = "127.0.0.1";
    ops.port = 0;
    ops.webhooks = false;
    options.listeners.push_back(ops);
    return options;
  }
  boost::asio::io_context ioc_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      ioc_.get_executor()};
  metrics::Registry registry_;
  ServerMetrics metrics_{&registry_};
  Readiness readiness_;
  PassThroughDecider decider_;
  std::unique_ptr<quota::QuotaLedger> ledger_ = testing::Scenario1Ledger(4);
  DecisionLog log_;
  DebugEndpoints debug_{ledger_.get(), true, &log_, nullptr};
  Router router_;
  HttpServer server_;
  std::thread thread_;
};

TEST(TopCommandTest, PrintsTheLiveQuotaTableOfARunningServer) {
  DebugServer server;
  CliResult r = RunQuotient({"top", "--server", server.url()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("QUOTA ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("root.a.1  cpu       20    0         10   20   at max"), std::string::npos)
      << r.out;
}

TEST(TopCommandTest, PrintsTheEndpointsJsonWithOutputJson) {
  DebugServer server;
  CliResult r = RunQuotient({"top", "--server=" + server.url(), "--output", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["quotas"].size(), 7u);
}

TEST(ExplainCommandTest, SaysWhyAPodWaitsAndNamesItsQuotaAndMax) {
  DebugServer server;
  server.log().RecordFilter(
      PodArgs("namespace1", "web-5", "u5", 5, 3),
      QuotaRefusal(3, "quota root.a.1: cpu used 20 + reserved 0 + request 5 > max 20"));
  CliResult r = RunQuotient({"explain", "namespace1/web-5", "--server", server.url()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("namespace1/web-5 waits for quota: quota root.a.1 would go over its max "
                       "for cpu: used 20 + reserved 0 + this pod's 5 > max 20."),
            std::string::npos)
      << r.out;
  CliResult json =
      RunQuotient({"explain", "namespace1/web-5", "--server", server.url(), "--output=json"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out)["quota"]["blocking"], "root.a.1");
}

TEST(ExplainCommandTest, UsageErrorsExitTwoAndAnUnreachableServerExitsOne) {
  struct Case {
    std::vector<std::string> args;
    int code;
    const char* says;
  };
  for (const Case& c : std::vector<Case>{
           {{"explain"}, 2, "name one pod as NAMESPACE/POD"},
           {{"explain", "no-slash"}, 2, "name one pod as NAMESPACE/POD"},
           {{"explain", "ns/"}, 2, "name one pod as NAMESPACE/POD"},
           {{"top", "--output", "yaml"}, 2, "--output must be text or json"},
           {{"top", "--colour", "x"}, 2, "unknown flag"},
           {{"top", "extra"}, 2, "unexpected argument"},
           {{"top", "--server", "https://127.0.0.1:1"}, 1, "must start with http://"},
           {{"top", "--server", "http://127.0.0.1:1"}, 1, "cannot connect to 127.0.0.1:1"},
       }) {
    CliResult r = RunQuotient(c.args);
    EXPECT_EQ(r.code, c.code) << c.args.back();
    EXPECT_NE(r.err.find(c.says), std::string::npos) << c.args.back() << ": " << r.err;
  }
  EXPECT_EQ(RunQuotient({"top", "--help"}).code, 0);
  EXPECT_NE(RunQuotient({"help", "explain"}).out.find("Usage: quotient explain"),
            std::string::npos);
}

TEST(DebugClientTest, EncodesQueryValues) {
  EXPECT_EQ(UrlEncode("team-a/x y&z"), "team-a%2Fx%20y%26z");
}

}  // namespace
}  // namespace quotient::extender
