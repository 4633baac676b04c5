#include "extender/cli/cli.h"

#include <fmt/format.h>

#include <functional>
#include <map>
#include <ostream>

#include "config/server_config.h"
#include "extender/cli/check_command.h"
#include "extender/cli/mig_resources_command.h"
#include "extender/cli/top_command.h"
#include "extender/service/serve.h"
#include "extender/simulate/simulate_command.h"
#include "extender/telemetry/build_info.h"
#include "extender/telemetry/logging.h"

namespace quotient::extender {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

constexpr std::string_view kMainHelp =
    R"(quotient: a kube-scheduler extender for shared GPU clusters

Usage:
  quotient serve [flags]     serve the extender webhooks, health and metrics
  quotient check FILE...     validate quota files (ElasticQuotaTree YAML; --config: settings)
  quotient simulate FILE     play a scenario (nodes, quota tree, steps) in memory
  quotient top               the live quota tree of a running server (used, reserved, min, max)
  quotient explain NS/POD    why a pod waits, from a running server
  quotient mig-resources     the MIG resources kube-scheduler must ignore (scheduler config)
  quotient version           print version and build information
  quotient help [COMMAND]    show help for a command

Run 'quotient COMMAND --help' for a command's flags. Docs: docs/architecture.md.
)";

constexpr std::string_view kServeHelp = R"(Usage: quotient serve [flags]

Serves POST <urlPrefix>/{filter,prioritize,preempt,bind} for kube-scheduler and
GET /healthz, /readyz, /metrics, /version, /debug/quota and /debug/explain (read by
`quotient top` and `quotient explain`). Flags override the config file.

Flags:
  --config FILE             settings file (YAML; see docs/configuration.md)
  --listen HOST:PORT        webhook address (default 127.0.0.1:8888)
  --metrics-listen HOST:PORT  separate plain-HTTP address for health and metrics
  --url-prefix PREFIX       path prefix of the webhooks (default "")
  --threads N               io threads (default: one per core)
  --tls-cert FILE           serve HTTPS with this certificate chain (PEM)
  --tls-key FILE            private key of --tls-cert (PEM)
  --tls-client-ca FILE      require client certificates signed by this CA (mutual TLS)
  --log-format text|json    log line format (default text)
  --log-level LEVEL         trace, debug, info, warn, error, critical, off (default info)
  --quota-file FILE         ElasticQuotaTree YAML, watched and reloaded on every valid edit
  --quota-source SOURCE     file (default with --quota-file) or kubernetes (the
                            ElasticQuotaTree object in kube-system)
  --kubeconfig FILE         reach the API server with this kubeconfig (default: in-cluster
                            credentials when running in a pod; none: webhooks pass through)
  --kube-context NAME       kubeconfig context (default: its current-context)
  -h, --help                show this help
)";

constexpr std::string_view kVersionHelp = R"(Usage: quotient version

Prints the version, git commit, compiler and Boost version of this build.
)";

bool IsHelp(const std::string& arg) {
  return arg == "--help" || arg == "-h";
}

int Serve(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  config::Settings settings;
  config::ConfigErrors errors;
  // Flags that take a value, applied after the file so that they override it.
  std::map<std::string, std::function<void(const std::string&)>> flags = {
      {"--listen", [&](const std::string& v) { settings.server.listen = v; }},
      {"--metrics-listen", [&](const std::string& v) { settings.server.metrics_listen = v; }},
      {"--url-prefix", [&](const std::string& v) { settings.server.url_prefix = v; }},
      {"--tls-cert", [&](const std::string& v) { settings.server.tls.cert_file = v; }},
      {"--tls-key", [&](const std::string& v) { settings.server.tls.key_file = v; }},
      {"--tls-client-ca", [&](const std::string& v) { settings.server.tls.client_ca_file = v; }},
      {"--log-format", [&](const std::string& v) { settings.log.format = v; }},
      {"--log-level", [&](const std::string& v) { settings.log.level = v; }},
      {"--quota-file", [&](const std::string& v) { settings.quota.file = v; }},
      {"--quota-source", [&](const std::string& v) { settings.quota.source = v; }},
      {"--kubeconfig", [&](const std::string& v) { settings.kubernetes.kubeconfig = v; }},
      {"--kube-context", [&](const std::string& v) { settings.kubernetes.context = v; }},
      {"--threads",
       [&](const std::string& v) {
         try {
           settings.server.threads = std::stoll(v);
         } catch (...) {
           errors.push_back({"<flags>", 0, "--threads", fmt::format("not a number: \"{}\"", v)});
         }
       }},
  };
  std::string config_file;
  std::vector<std::pair<std::string, std::string>> overrides;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (IsHelp(arg)) {
      out << kServeHelp;
      return kExitOk;
    }
    std::string name = arg;
    std::string value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    if (name != "--config" && !flags.contains(name)) {
      err << fmt::format("quotient serve: unknown flag \"{}\"\n\n", arg) << kServeHelp;
      return kExitUsage;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        err << fmt::format("quotient serve: flag {} needs a value\n", name);
        return kExitUsage;
      }
      value = args[++i];
    }
    if (name == "--config") {
      config_file = value;
    } else {
      overrides.emplace_back(name, value);
    }
  }
  if (!config_file.empty()) config::LoadSettingsFile(config_file, &settings, &errors);
  if (errors.empty()) {
    for (const auto& [name, value] : overrides) flags.at(name)(value);
    config::ValidateSettings(settings, config_file.empty() ? "<flags>" : config_file, &errors);
  }
  if (!errors.empty()) {
    err << "quotient serve: invalid configuration:\n" << config::FormatErrors(errors);
    return kExitUsage;
  }
  ConfigureLogging(settings.log.format == "json" ? LogFormat::kJson : LogFormat::kText,
                   settings.log.level);
  return RunServe(settings);
}

int Version(std::ostream& out) {
  BuildInfo b = CurrentBuildInfo();
  out << fmt::format("quotient {} (commit {}, {}, Boost {})\n", b.version, b.commit, b.compiler,
                     b.boost);
  return kExitOk;
}

}  // namespace

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << kMainHelp;
    return kExitUsage;
  }
  const std::string& command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (IsHelp(command) || command == "help") {
    if (!rest.empty() && rest[0] != "serve" && rest[0] != "version") {
      std::vector<std::string> help = {"--help"};
      if (rest[0] == "check") return RunCheck(help, out, err);
      if (rest[0] == "simulate") return RunSimulate(help, out, err);
      if (rest[0] == "top") return RunTop(help, out, err);
      if (rest[0] == "explain") return RunExplain(help, out, err);
      if (rest[0] == "mig-resources") return RunMigResources(help, out, err);
    }
    if (!rest.empty() && rest[0] == "serve") {
      out << kServeHelp;
    } else if (!rest.empty() && rest[0] == "version") {
      out << kVersionHelp;
    } else {
      out << kMainHelp;
    }
    return kExitOk;
  }
  if (command == "serve") return Serve(rest, out, err);
  if (command == "check") return RunCheck(rest, out, err);
  if (command == "simulate") return RunSimulate(rest, out, err);
  if (command == "top") return RunTop(rest, out, err);
  if (command == "explain") return RunExplain(rest, out, err);
  if (command == "mig-resources") return RunMigResources(rest, out, err);
  if (command == "version" || command == "--version") {
    if (!rest.empty() && IsHelp(rest[0])) {
      out << kVersionHelp;
      return kExitOk;
    }
    return Version(out);
  }
  err << fmt::format("quotient: unknown command \"{}\"\n\n", command) << kMainHelp;
  return kExitUsage;
}

}  // namespace quotient::extender
