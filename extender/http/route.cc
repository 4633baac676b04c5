#include "extender/http/route.h"

namespace quotient::extender {

std::string_view RouteName(Route route) {
  switch (route) {
    case Route::kFilter: return "filter";
    case Route::kPrioritize: return "prioritize";
    case Route::kPreempt: return "preempt";
    case Route::kBind: return "bind";
    case Route::kHealthz: return "healthz";
    case Route::kReadyz: return "readyz";
    case Route::kMetrics: return "metrics";
    case Route::kVersion: return "version";
    case Route::kDebug: return "debug";
    case Route::kOther: return "other";
  }
  return "other";
}

Route RouteForVerb(Verb verb) {
  switch (verb) {
    case Verb::kFilter: return Route::kFilter;
    case Verb::kPrioritize: return Route::kPrioritize;
    case Verb::kPreempt: return Route::kPreempt;
    case Verb::kBind: return Route::kBind;
  }
  return Route::kOther;
}

}  // namespace quotient::extender
