// `quotient mig-resources [--catalog FILE]`: prints the `managedResources` of the second,
// verb-less extender entry of the scheduler configuration — every MIG device resource of
// the catalog (built in, plus FILE as `gpu.catalogFile` would load it), each ignored by
// kube-scheduler so that pods may ask for MIG devices no node advertises yet (docs/gpu.md,
// "The scheduler configuration a live GPU decider needs"). The output pastes under the
// entry's `urlPrefix` line:
//
//   $ quotient mig-resources --catalog gpus.yaml
//     managedResources:
//     - {name: nvidia.com/mig-1g.10gb, ignoredByScheduler: true}
//     ...
//
// Exit codes: 0 printed, 1 the catalog file is invalid (every error on `err`, as
// FILE:LINE: PATH: MESSAGE), 2 usage error. `--help` prints the usage to `out`.
//
// Thread safety: reentrant.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace quotient::extender {

// `args` are the arguments after "mig-resources".
int RunMigResources(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace quotient::extender
