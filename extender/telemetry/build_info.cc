#include "extender/telemetry/build_info.h"

#include <fmt/format.h>

#include <boost/version.hpp>

namespace quotient::extender {

#ifndef QUOTIENT_VERSION
#define QUOTIENT_VERSION "0.0.0"
#endif
#ifndef QUOTIENT_GIT_COMMIT
#define QUOTIENT_GIT_COMMIT "unknown"
#endif

BuildInfo CurrentBuildInfo() {
  return BuildInfo{QUOTIENT_VERSION, QUOTIENT_GIT_COMMIT,
                   fmt::format("gcc {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__),
                   fmt::format("{}.{}.{}", BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000,
                               BOOST_VERSION % 100)};
}

}  // namespace quotient::extender
