#include "quota/node_pool.h"

#include <algorithm>

namespace quotient::quota {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

bool SelectorTermMatches(const Labels& labels, std::string_view term) {
  const size_t eq = term.find('=');
  const std::string_view key = Trim(term.substr(0, eq));
  const std::string_view value = eq == std::string_view::npos ? "" : Trim(term.substr(eq + 1));
  return std::any_of(labels.begin(), labels.end(), [&](const auto& label) {
    return label.first == key && label.second == value;
  });
}

bool InNodePool(const Labels& labels, const std::vector<std::string>& selector) {
  return std::all_of(selector.begin(), selector.end(),
                     [&](const std::string& term) { return SelectorTermMatches(labels, term); });
}

}  // namespace quotient::quota
