#include "extender/cli/top_command.h"

#include <fmt/format.h>

#include <optional>
#include <ostream>

#include "extender/cli/debug_client.h"

namespace quotient::extender {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

constexpr std::string_view kTopHelp = R"(Usage: quotient top [--server URL] [--output text|json]

Prints the live quota tree of a running Quotient: per quota and resource what is used
(bound pods), reserved (admitted, not yet bound), the min (guaranteed) and max
(ceiling), whether the quota borrows or is at its max, and its namespaces.
Reads GET /debug/quota of the ops listener.

Flags:
  --server URL          http://HOST:PORT of Quotient's ops listener (server.metricsListen;
                        default $QUOTIENT_METRICS_URL, else http://127.0.0.1:8888)
  --output text|json    a table (default) or the endpoint's JSON
  -h, --help            show this help
)";

constexpr std::string_view kExplainHelp =
    R"(Usage: quotient explain NAMESPACE/POD [--server URL] [--output text|json]

Says why a pod waits, or what Quotient last decided for it: the quota path of its
namespace with used, reserved, min and max per resource and whether the pod's request
fits at each level, the last filter verdict with the candidate nodes' reasons, the
last bind, and any reclaim under way. Reads GET /debug/explain of the ops listener.

Flags:
  --server URL          http://HOST:PORT of Quotient's ops listener (server.metricsListen;
                        default $QUOTIENT_METRICS_URL, else http://127.0.0.1:8888)
  --output text|json    sentences and a table (default) or the endpoint's JSON
  -h, --help            show this help
)";

struct Flags {
  std::string server = DefaultServerUrl();
  std::string output = "text";
  std::vector<std::string> positional;
};

// Parses --server/--output (also as --flag=value); nullopt after printing help or an error
// (*exit says which).
std::optional<Flags> Parse(const std::vector<std::string>& args, std::string_view command,
                           std::string_view help, std::ostream& out, std::ostream& err, int* exit) {
  Flags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "-h" || arg == "--help") {
      out << help;
      *exit = kExitOk;
      return std::nullopt;
    }
    if (arg.rfind("--", 0) != 0) {
      flags.positional.push_back(arg);
      continue;
    }
    std::string value;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      err << fmt::format("quotient {}: flag {} needs a value\n", command, arg);
      *exit = kExitUsage;
      return std::nullopt;
    }
    if (arg == "--server") {
      flags.server = value;
    } else if (arg == "--output" && (value == "text" || value == "json")) {
      flags.output = value;
    } else if (arg == "--output") {
      err << fmt::format("quotient {}: --output must be text or json, got \"{}\"\n", command,
                         value);
      *exit = kExitUsage;
      return std::nullopt;
    } else {
      err << fmt::format("quotient {}: unknown flag \"{}\"\n\n", command, arg) << help;
      *exit = kExitUsage;
      return std::nullopt;
    }
  }
  return flags;
}

int Fetch(const Flags& flags, const std::string& target, std::string_view command,
          std::ostream& out, std::ostream& err) {
  FetchResult r = HttpGet(flags.server, target);
  if (!r.ok) {
    err << fmt::format("quotient {}: {} ({}{})\n", command, r.error, flags.server, target);
    return kExitFailed;
  }
  if (r.status != 200) {
    err << fmt::format("quotient {}: the server answered {}: {}", command, r.status, r.body);
    if (r.status == 404) err << "(is this a Quotient with /debug endpoints?)\n";
    return kExitFailed;
  }
  out << r.body;
  return kExitOk;
}

}  // namespace

int RunTop(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  int exit = kExitOk;
  std::optional<Flags> flags = Parse(args, "top", kTopHelp, out, err, &exit);
  if (!flags) return exit;
  if (!flags->positional.empty()) {
    err << fmt::format("quotient top: unexpected argument \"{}\"\n\n", flags->positional[0])
        << kTopHelp;
    return kExitUsage;
  }
  return Fetch(*flags, flags->output == "text" ? "/debug/quota?output=text" : "/debug/quota", "top",
               out, err);
}

int RunExplain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  int exit = kExitOk;
  std::optional<Flags> flags = Parse(args, "explain", kExplainHelp, out, err, &exit);
  if (!flags) return exit;
  const size_t slash =
      flags->positional.size() == 1 ? flags->positional[0].find('/') : std::string::npos;
  if (slash == std::string::npos || slash == 0 || slash + 1 == flags->positional[0].size()) {
    err << "quotient explain: name one pod as NAMESPACE/POD\n\n" << kExplainHelp;
    return kExitUsage;
  }
  const std::string& name = flags->positional[0];
  std::string target =
      fmt::format("/debug/explain?namespace={}&pod={}", UrlEncode(name.substr(0, slash)),
                  UrlEncode(name.substr(slash + 1)));
  if (flags->output == "text") target += "&output=text";
  return Fetch(*flags, target, "explain", out, err);
}

}  // namespace quotient::extender
