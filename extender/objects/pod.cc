#include "extender/objects/pod.h"

namespace quotient::extender {

const std::string* FindValue(const StringPairs& pairs, std::string_view key) {
  for (const auto& [k, v] : pairs) {
    if (k == key) return &v;
  }
  return nullptr;
}

quota::ResourceList QuotaRequests(const PodInfo& pod) {
  if (pod.claim_charge.empty()) return pod.requests;
  quota::ResourceList total = pod.requests;
  total.AddAll(pod.claim_charge);
  return total;
}

}  // namespace quotient::extender
