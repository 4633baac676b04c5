// The closed set of HTTP routes the server answers (a bounded metric label).
//
// Thread safety: pure functions.
#pragma once

#include <string_view>

#include "extender/wire/wire.h"

namespace quotient::extender {

// What a request was routed to; "other" covers unknown paths.
enum class Route {
  kFilter,
  kPrioritize,
  kPreempt,
  kBind,
  kHealthz,
  kReadyz,
  kMetrics,
  kVersion,
  kDebug,
  kOther
};
inline constexpr int kRouteCount = 10;  // kOther + 1; enum_names_test guards it
std::string_view RouteName(Route route);
Route RouteForVerb(Verb verb);

}  // namespace quotient::extender
