// A test view of a QuotaLedger's counters as text, so that two ledgers (or one, before and
// after an update) compare with EXPECT_EQ and a failure prints the lines that differ.
#pragma once

#include <cstdint>
#include <string>

#include "quota/quota_ledger.h"

namespace quotient::quota::testing {

// One line per (quota, resource) with its charged and used amounts, then the reserved and
// bound counts.
inline std::string LedgerCounters(const QuotaLedger& ledger) {
  const QuotaUsage& usage = ledger.usage();
  const QuotaTree& tree = usage.tree();
  std::string out;
  for (size_t q = 0; q < tree.size(); ++q) {
    for (size_t r = 0; r < tree.resource_count(); ++r) {
      const auto id = static_cast<QuotaId>(q);
      const auto res = static_cast<int32_t>(r);
      out += tree.name(id) + "/" + std::to_string(r) +
             " charged=" + std::to_string(usage.Charged(id, res)) +
             " used=" + std::to_string(usage.Used(id, res)) + "\n";
    }
  }
  return out + "reserved=" + std::to_string(ledger.reserved_count()) +
         " bound=" + std::to_string(ledger.bound_count()) + "\n";
}

}  // namespace quotient::quota::testing
