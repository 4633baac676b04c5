#include "extender/objects/pod.h"

namespace quotient::extender {

const std::string* FindValue(const StringPairs& pairs, std::string_view key) {
  for (const auto& [k, v] : pairs) {
    if (k == key) return &v;
  }
  return nullptr;
}

}  // namespace quotient::extender
