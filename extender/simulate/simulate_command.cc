#include "extender/simulate/simulate_command.h"

#include <fmt/format.h>

#include <ostream>
#include <variant>

#include "config/scenario.h"
#include "extender/simulate/report.h"
#include "extender/simulate/simulator.h"

namespace quotient::extender {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

constexpr std::string_view kHelp = R"(Usage: quotient simulate [flags] SCENARIO.yaml

Plays a scenario (nodes, an ElasticQuotaTree, and steps that create and delete
Deployments and state what they expect) on an in-memory cluster, scheduling each pod as
kube-scheduler with Quotient would: quota admission, node fit, LeastAllocated scoring and
reclaim of borrowed quota. Prints the running and pending pods per namespace, evictions and
why pods wait after every step. See docs/simulate.md; examples/scenario-*.yaml.

Flags:
  -o, --output text|json    output format (default text; json: one object per step and line)
  -h, --help                show this help

Exit codes: 0 every expect step holds, 1 an expect step failed, 2 invalid scenario or usage.
)";

}  // namespace

int RunSimulate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  using simulate::OutputFormat;
  OutputFormat format = OutputFormat::kText;
  std::string file;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      out << kHelp;
      return kExitOk;
    }
    std::string value;
    if (arg.starts_with("--output=")) {
      value = arg.substr(std::string_view("--output=").size());
    } else if (arg == "--output" || arg == "-o") {
      if (i + 1 >= args.size()) {
        err << fmt::format("quotient simulate: flag {} needs a value\n", arg);
        return kExitUsage;
      }
      value = args[++i];
    } else if (arg.starts_with("-") && arg != "-") {
      err << fmt::format("quotient simulate: unknown flag \"{}\"\n\n", arg) << kHelp;
      return kExitUsage;
    } else if (!file.empty()) {
      err << fmt::format("quotient simulate: one scenario file only, got \"{}\" and \"{}\"\n", file,
                         arg);
      return kExitUsage;
    } else {
      file = arg;
      continue;
    }
    if (value != "text" && value != "json") {
      err << fmt::format("quotient simulate: --output must be text or json, got \"{}\"\n", value);
      return kExitUsage;
    }
    format = value == "json" ? OutputFormat::kJson : OutputFormat::kText;
  }
  if (file.empty()) {
    err << "quotient simulate: a scenario file is required\n\n" << kHelp;
    return kExitUsage;
  }

  config::Scenario scenario;
  config::ConfigErrors errors;
  if (!config::LoadScenarioFile(file, &scenario, &errors)) {
    err << "quotient simulate: invalid scenario:\n" << config::FormatErrors(errors);
    return kExitUsage;
  }
  simulate::WriteScenarioHeader(scenario, format, out);
  simulate::Simulator simulator(scenario);
  size_t expectations = 0;
  size_t failed = 0;
  for (size_t i = 0; i < scenario.steps.size(); ++i) {
    const simulate::StepReport report = simulator.Step(i);
    simulate::WriteStep(report, format, out);
    const std::string where =
        fmt::format("step {} ({}:{})", report.number, scenario.source, report.step->line);
    for (const std::string& warning : report.warnings) {
      err << fmt::format("quotient simulate: {}: warning: {}\n", where, warning);
    }
    if (!report.error.empty()) {
      err << fmt::format("quotient simulate: {}: {}\n", where, report.error);
      return kExitFailed;
    }
    if (!std::holds_alternative<config::ExpectAction>(report.step->action)) continue;
    ++expectations;
    if (report.ok) continue;
    ++failed;
    for (const std::string& failure : report.failures) {
      err << fmt::format("quotient simulate: {}: expect failed: {}\n", where, failure);
    }
  }
  simulate::WriteSummary(expectations, failed, format, out);
  return failed == 0 ? kExitOk : kExitFailed;
}

}  // namespace quotient::extender
