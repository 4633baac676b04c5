// What this binary is: version, commit, compiler and Boost version, for `quotient version`,
// GET /version and the quotient_build_info metric.
//
// Thread safety: pure function.
#pragma once

#include <string>

namespace quotient::extender {

struct BuildInfo {
  std::string version;
  std::string commit;
  std::string compiler;
  std::string boost;
};
BuildInfo CurrentBuildInfo();

}  // namespace quotient::extender
