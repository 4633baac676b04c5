// `quotient simulate`: plays a scenario file (docs/simulate.md) on an in-memory cluster
// and prints what each step did.
//
//   quotient simulate [--output text|json] SCENARIO.yaml
//
// Exit codes: 0 every expect step holds; 1 an expect step failed (each failure is named on
// stderr with its step, namespace, expected and actual count) or the simulation could not
// finish; 2 usage error or invalid scenario (every problem with its file, line and path).
//
// Thread safety: reentrant; everything is local to the call.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace quotient::extender {

// `args` are the arguments after "simulate". Output goes to `out`, diagnostics to `err`.
int RunSimulate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace quotient::extender
