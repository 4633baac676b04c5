// `GET /debug/quota` and `quotient top`: the live quota tree with, per quota node and
// resource, min, max, used and reserved, and the namespaces on each leaf. Read from one
// usage snapshot (QuotaLedger::usage()), so the numbers of one answer belong together up
// to in-flight admissions (see quota/quota_usage.h).
//
// JSON (amounts in Kubernetes quantity syntax, max null when unlimited):
//   {"quotas":[{"name":"root.a","parent":"root","depth":1,"namespaces":[],
//     "resources":{"cpu":{"min":"20","max":"40","used":"15","reserved":"5"}}}, ...]}
// Text: one row per quota and resource, children indented under their parent:
//   QUOTA       RESOURCE  USED  RESERVED  MIN  MAX  STATE      NAMESPACES
//   root.a      cpu       15    5         20   40   borrowing
//
// Thread safety: pure functions of a snapshot the caller keeps alive.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "quota/quota_usage.h"

namespace quotient::extender {

std::string QuotaTreeJson(const quota::QuotaUsage& usage);
std::string QuotaTreeTable(const quota::QuotaUsage& usage);

// Left-aligned columns, two spaces apart, trailing blanks trimmed; rows[0] is the header.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

// "at max", "over max" (a max lowered below what runs), "borrowing" (above min), or "".
std::string_view QuotaState(int64_t charged, int64_t min, int64_t max);

}  // namespace quotient::extender
