// An ordered list of string key/value pairs, as decoded from a JSON object of strings
// (labels, annotations, node selectors).
//
// Thread safety: value type.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace quotient::extender {

using StringPairs = std::vector<std::pair<std::string, std::string>>;

}  // namespace quotient::extender
