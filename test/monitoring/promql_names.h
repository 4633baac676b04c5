// The metric names a PromQL expression reads: identifiers that are not functions,
// keywords, label names, label values, durations or numbers.
//
// Thread safety: pure function.
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace quotient::test {

std::set<std::string> MetricNamesIn(std::string_view promql);

}  // namespace quotient::test
