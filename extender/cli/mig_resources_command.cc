#include "extender/cli/mig_resources_command.h"

#include <fmt/format.h>

#include <ostream>
#include <string_view>

#include "config/gpu_catalog_yaml.h"
#include "gpu/mig_catalog.h"

namespace quotient::extender {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitInvalid = 1;
constexpr int kExitUsage = 2;

constexpr std::string_view kHelp = R"help(Usage: quotient mig-resources [--catalog FILE]

Prints the managedResources list of the scheduler configuration's second extender entry
(the one without verbs): every MIG device resource of the GPU catalog, ignored by
kube-scheduler so that pods may ask for MIG devices no node advertises yet; Quotient's
filter checks them at device level. Paste it under that entry's urlPrefix.

The catalog is the built-in one, plus FILE when given (the same file as the server's
gpu.catalogFile; an invalid file prints every error and exits 1).

Flags:
  --catalog FILE   a YAML file of GPU models over the built-in catalog
  -h, --help       show this help
)help";

}  // namespace

int RunMigResources(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string catalog_file;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      out << kHelp;
      return kExitOk;
    }
    if (arg == "--catalog" && i + 1 < args.size()) {
      catalog_file = args[++i];
    } else if (arg.starts_with("--catalog=")) {
      catalog_file = arg.substr(std::string_view("--catalog=").size());
    } else {
      err << fmt::format("quotient mig-resources: unexpected argument \"{}\"\n\n", arg) << kHelp;
      return kExitUsage;
    }
  }
  gpu::MigCatalog catalog = gpu::BuiltinMigCatalog();
  if (!catalog_file.empty()) {
    config::ConfigErrors errors;
    if (!config::LoadGpuCatalogFile(catalog_file, gpu::BuiltinMigCatalog(), &catalog, &errors)) {
      err << config::FormatErrors(errors);
      return kExitInvalid;
    }
  }
  out << "  managedResources:\n";
  for (const std::string& name : catalog.MigResourceNames()) {
    out << fmt::format("  - {{name: {}, ignoredByScheduler: true}}\n", name);
  }
  return kExitOk;
}

}  // namespace quotient::extender
