#include "extender/objects/preemptible.h"

#include <algorithm>
#include <cctype>

namespace quotient::extender {

bool IsPreemptible(const PodInfo& pod) {
  const std::string* value = FindValue(pod.labels, kPreemptibleLabel);
  if (value == nullptr) return true;
  constexpr std::string_view kFalse = "false";
  const bool is_false =
      std::equal(value->begin(), value->end(), kFalse.begin(), kFalse.end(),
                 [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  return !is_false;
}

}  // namespace quotient::extender
