#include "extender/cli/check_command.h"

#include <fmt/format.h>

#include <ostream>
#include <set>
#include <string_view>

#include "config/quota_yaml.h"
#include "config/server_config.h"

namespace quotient::extender {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitInvalid = 1;
constexpr int kExitUsage = 2;

constexpr std::string_view kCheckHelp = R"help(Usage: quotient check [--config SETTINGS] [FILE...]

Loads each quota file (an ElasticQuotaTree in YAML or JSON, as for kubectl apply; other
objects in the file, such as Namespaces, are ignored) and checks the tree: field names,
quantities, resource and namespace names, unique quota names, namespaces on one leaf
only, min <= max, and the children's min within their parent's min.

With --config, also loads the settings file that `quotient serve --config` reads and checks
every setting (docs/configuration.md), the DRA device class mappings (dra.deviceClasses)
among them.

Prints "FILE: ok (...)" for a valid file, else every problem on its own line as
FILE:LINE: PATH: MESSAGE (on standard error).

Exit status: 0 all files are valid, 1 a file has errors, 2 usage error.

Flags:
  --config F   check the settings file F too
  -h, --help   show this help
  --           the arguments that follow are files
)help";

struct TreeSummary {
  size_t nodes = 0;
  size_t namespaces = 0;
  std::set<std::string> resources;
};

void Summarize(const quota::QuotaNodeSpec& node, TreeSummary* summary) {
  ++summary->nodes;
  summary->namespaces += node.namespaces.size();
  for (const auto& r : node.min) summary->resources.insert(r.name);
  for (const auto& r : node.max) summary->resources.insert(r.name);
  for (const auto& child : node.children) Summarize(child, summary);
}

std::string Plural(size_t n, std::string_view noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

// Checks one file; true if it is valid.
bool CheckFile(const std::string& file, std::ostream& out, std::ostream& err) {
  quota::QuotaNodeSpec root;
  config::ConfigErrors errors;
  if (!config::LoadQuotaTreeFile(file, &root, &errors)) {
    err << config::FormatErrors(errors);
    return false;
  }
  TreeSummary summary;
  Summarize(root, &summary);
  std::string resources =
      summary.resources.empty() ? "none" : fmt::format("{}", fmt::join(summary.resources, ", "));
  out << fmt::format("{}: ok ({}, {}, resources: {})\n", file, Plural(summary.nodes, "quota node"),
                     Plural(summary.namespaces, "namespace"), resources);
  return true;
}

// Checks a settings file; true if it is valid.
bool CheckSettings(const std::string& file, std::ostream& out, std::ostream& err) {
  config::Settings settings;
  config::ConfigErrors errors;
  if (!config::LoadSettingsFile(file, &settings, &errors)) {
    err << config::FormatErrors(errors);
    return false;
  }
  out << fmt::format("{}: ok (settings, {})\n", file,
                     Plural(settings.dra.device_classes.size(), "DRA device class mapping"));
  return true;
}

}  // namespace

int RunCheck(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> files;
  std::vector<std::string> settings_files;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!flags_done && arg == "--config") {
      if (i + 1 == args.size()) {
        err << "quotient check: --config needs a file\n\n" << kCheckHelp;
        return kExitUsage;
      }
      settings_files.push_back(args[++i]);
      continue;
    }
    if (!flags_done && (arg == "--help" || arg == "-h")) {
      out << kCheckHelp;
      return kExitOk;
    }
    if (!flags_done && arg == "--") {
      flags_done = true;
    } else if (!flags_done && arg.size() > 1 && arg[0] == '-') {
      err << fmt::format("quotient check: unknown flag \"{}\"\n\n", arg) << kCheckHelp;
      return kExitUsage;
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty() && settings_files.empty()) {
    err << "quotient check: no file given\n\n" << kCheckHelp;
    return kExitUsage;
  }
  bool all_valid = true;
  for (const std::string& file : settings_files) {
    all_valid = CheckSettings(file, out, err) && all_valid;
  }
  for (const std::string& file : files) all_valid = CheckFile(file, out, err) && all_valid;
  return all_valid ? kExitOk : kExitInvalid;
}

}  // namespace quotient::extender
