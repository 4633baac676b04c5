// `quotient check FILE...`: loads and validates quota files (an ElasticQuotaTree in YAML or
// JSON, see config/quota_yaml.h) without a cluster, for CI and before `kubectl apply`.
//
//   $ quotient check examples/quota-scenario1.yaml bad.yaml
//   examples/quota-scenario1.yaml: ok (7 quota nodes, 4 namespaces, resources: cpu)
//   bad.yaml:14: spec.root.children[0].min.cpu: invalid quantity "12Q": invalid suffix "Q"
//
// Every file is checked and every problem printed, one per line as FILE:LINE: PATH:
// MESSAGE (LINE or PATH left out when unknown). "ok" lines go to `out`, problems and usage
// errors to `err`. `--help` prints the usage to `out`.
//
// Exit codes: 0 every file is valid, 1 some file has errors, 2 usage error (no file, an
// unknown flag).
//
// Thread safety: reentrant.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace quotient::extender {

// `args` are the arguments after "check".
int RunCheck(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace quotient::extender
