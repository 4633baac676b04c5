// Node pools of the quota tree: a quota node's `quotient.io/node-selector` terms
// ("key=value", inherited by its subtree) name the nodes its pods may use.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace quotient::quota {

using Labels = std::vector<std::pair<std::string, std::string>>;

// True if `labels` has key == value for the term "key=value" (a bare "key" matches an
// empty value). Spaces around key and value are ignored.
bool SelectorTermMatches(const Labels& labels, std::string_view term);

// True if every term matches (an empty selector matches every node).
bool InNodePool(const Labels& labels, const std::vector<std::string>& selector);

}  // namespace quotient::quota
