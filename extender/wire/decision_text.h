// Human-readable reasons for quota and node decisions, shared by the webhooks, the
// logs and `quotient simulate` so that all three say the same thing.
//
// Thread safety: pure functions.
#pragma once

#include <string>

#include "quota/quota_tree.h"
#include "quota/quota_usage.h"

namespace quotient::extender {

// "quota root.a.1: cpu used 20 + reserved 0 + request 5 > max 20", or for a non-preemptible
// pod refused by a min (refusal.crossed == kMin): "quota root.a.1: cpu used 8 + reserved 0
// + request 5 > min 10 (non-preemptible pods may use only the guaranteed min)"
std::string QuotaRefusalText(const quota::QuotaTree& tree, const quota::ChargeRefusal& refusal);

// "namespace team-x is on no quota leaf and unquoted namespaces are denied"
std::string UnquotedDeniedText(std::string_view ns);

}  // namespace quotient::extender
