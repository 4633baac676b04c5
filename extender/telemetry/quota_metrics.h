// Quota metrics (docs/metrics.md, "Quota"):
//   quotient_quota_min / _max / _used / _reserved {quota, resource}   gauges, computed at
//       scrape time from the ledger's current usage snapshot (lock-free reads); _max is
//       omitted for unlimited resources;
//   quotient_quota_namespace_info {quota, namespace} = 1              which namespaces hang where;
//   quotient_quota_admissions_total {quota, result, reason}           admission outcomes;
//   quotient_quota_evictions_total {quota}                            victims taken from a quota;
//   quotient_config_reloads_total {source, result}, quotient_config_last_reload_successful
//       {source}, quotient_config_last_reload_success_timestamp_seconds {source}.
// Label values are quota names, resource names and namespaces of the loaded tree, plus
// fixed sets: bounded by the configuration.
//
// Thread safety: thread-safe. The gauges read the ledger at scrape time; counters are
// looked up by label under the family mutex (cold: admissions are counted per decision,
// a few per pod).
#pragma once

#include <string>

#include "extender/telemetry/metrics.h"
#include "quota/quota_ledger.h"

namespace quotient::extender {

class QuotaMetrics {
 public:
  // `ledger` may be null (no quota file configured): the gauges are then empty.
  QuotaMetrics(metrics::Registry* registry, const quota::QuotaLedger* ledger);

  void CountAdmission(const std::string& quota, quota::AdmitCode code);
  void CountEviction(const std::string& quota);
  void CountReload(const std::string& source, bool success, double unix_seconds);

 private:
  metrics::Family* admissions_;
  metrics::Family* evictions_;
  metrics::Family* reloads_;
  metrics::Family* last_reload_ok_;
  metrics::Family* last_reload_time_;
};

// Bounded label values for AdmitCode: {result, reason}.
std::pair<std::string_view, std::string_view> AdmitCodeLabels(quota::AdmitCode code);

}  // namespace quotient::extender
