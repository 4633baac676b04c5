#include "extender/wire/decision_text.h"

#include <fmt/format.h>

namespace quotient::extender {

std::string QuotaRefusalText(const quota::QuotaTree& tree, const quota::ChargeRefusal& r) {
  const std::string& resource = tree.resource_name(r.resource);
  auto amount = [&](int64_t a) { return quota::FormatResourceAmount(resource, a); };
  if (r.crossed == quota::ChargeBound::kMin) {
    return fmt::format(
        "quota {}: {} used {} + reserved {} + request {} > min {} (non-preemptible pods may use "
        "only the guaranteed min)",
        tree.name(r.quota), resource, amount(r.used), amount(r.reserved), amount(r.request),
        amount(r.min));
  }
  return fmt::format("quota {}: {} used {} + reserved {} + request {} > max {}", tree.name(r.quota),
                     resource, amount(r.used), amount(r.reserved), amount(r.request),
                     amount(r.max));
}

std::string UnquotedDeniedText(std::string_view ns) {
  return fmt::format("namespace {} is on no quota leaf and unquoted namespaces are denied", ns);
}

}  // namespace quotient::extender
