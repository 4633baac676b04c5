#include "extender/telemetry/quota_metrics.h"

namespace quotient::extender {
namespace {

using quota::QuotaId;

// Emits one series per (quota, resource) with value(usage, id, r); skips `skip` values.
void EmitPerQuotaResource(const quota::QuotaLedger* ledger, const metrics::Emit& emit,
                          int64_t (*value)(const quota::QuotaUsage&, QuotaId, int32_t),
                          bool milli_to_units) {
  if (ledger == nullptr) return;
  const quota::QuotaUsage& usage = ledger->usage();
  const quota::QuotaTree& tree = usage.tree();
  for (QuotaId q = 0; q < static_cast<QuotaId>(tree.size()); ++q) {
    for (int32_t r = 0; r < static_cast<int32_t>(tree.resource_count()); ++r) {
      int64_t v = value(usage, q, r);
      if (v == quota::kUnlimited) continue;
      const std::string& resource = tree.resource_name(r);
      // Prometheus convention: base units. cpu is counted in millicores inside.
      double out = milli_to_units && quota::IsMilliResource(resource)
                       ? static_cast<double>(v) / 1000
                       : static_cast<double>(v);
      emit({tree.name(q), resource}, out);
    }
  }
}

}  // namespace

std::pair<std::string_view, std::string_view> AdmitCodeLabels(quota::AdmitCode code) {
  switch (code) {
    case quota::AdmitCode::kAdmitted: return {"admitted", "within_max"};
    case quota::AdmitCode::kAlreadyHeld: return {"admitted", "already_reserved"};
    case quota::AdmitCode::kUnquoted: return {"admitted", "unquoted_namespace"};
    case quota::AdmitCode::kRejectedMax: return {"rejected", "max_exceeded"};
    case quota::AdmitCode::kRejectedUnquoted: return {"rejected", "unquoted_namespace_denied"};
  }
  return {"rejected", "unknown"};
}

QuotaMetrics::QuotaMetrics(metrics::Registry* registry, const quota::QuotaLedger* ledger) {
  const std::vector<std::string> labels = {"quota", "resource"};
  registry->AddCollectedGauge(
      "quotient_quota_min", "Guaranteed amount per quota and resource (cpu in cores, bytes).",
      labels, [ledger](const metrics::Emit& emit) {
        EmitPerQuotaResource(
            ledger, emit,
            [](const quota::QuotaUsage& u, QuotaId q, int32_t r) { return u.tree().Min(q, r); },
            true);
      });
  registry->AddCollectedGauge(
      "quotient_quota_max", "Ceiling per quota and resource; absent when unlimited.", labels,
      [ledger](const metrics::Emit& emit) {
        EmitPerQuotaResource(
            ledger, emit,
            [](const quota::QuotaUsage& u, QuotaId q, int32_t r) { return u.tree().Max(q, r); },
            true);
      });
  registry->AddCollectedGauge(
      "quotient_quota_used", "Requests of pods bound to a node, per quota and resource.", labels,
      [ledger](const metrics::Emit& emit) {
        EmitPerQuotaResource(
            ledger, emit,
            [](const quota::QuotaUsage& u, QuotaId q, int32_t r) { return u.Used(q, r); }, true);
      });
  registry->AddCollectedGauge(
      "quotient_quota_reserved",
      "Requests of pods admitted but not yet seen bound, per quota and resource.", labels,
      [ledger](const metrics::Emit& emit) {
        EmitPerQuotaResource(
            ledger, emit,
            [](const quota::QuotaUsage& u, QuotaId q, int32_t r) { return u.Reserved(q, r); },
            true);
      });
  registry->AddCollectedGauge("quotient_quota_namespace_info",
                              "1 for each namespace hanging on a quota leaf.",
                              {"quota", "namespace"}, [ledger](const metrics::Emit& emit) {
                                if (ledger == nullptr) return;
                                auto tree = ledger->tree();
                                for (QuotaId q = 0; q < static_cast<QuotaId>(tree->size()); ++q) {
                                  for (const auto& ns : tree->namespaces(q))
                                    emit({tree->name(q), ns}, 1);
                                }
                              });
  admissions_ = registry->AddCounter("quotient_quota_admissions_total",
                                     "Quota admission decisions by quota, result and reason.",
                                     {"quota", "result", "reason"});
  evictions_ =
      registry->AddCounter("quotient_quota_evictions_total",
                           "Pods evicted from a quota to give another its min back.", {"quota"});
  reloads_ =
      registry->AddCounter("quotient_config_reloads_total",
                           "Configuration reloads by source and result.", {"source", "result"});
  last_reload_ok_ = registry->AddGauge("quotient_config_last_reload_successful",
                                       "1 if the last reload of the source succeeded.", {"source"});
  last_reload_time_ =
      registry->AddGauge("quotient_config_last_reload_success_timestamp_seconds",
                         "Unix time of the last successful load of the source.", {"source"});
}

void QuotaMetrics::CountAdmission(const std::string& quota, quota::AdmitCode code) {
  auto [result, reason] = AdmitCodeLabels(code);
  admissions_->CounterWith({quota, std::string(result), std::string(reason)})->Inc();
}

void QuotaMetrics::CountEviction(const std::string& quota) {
  evictions_->CounterWith({quota})->Inc();
}

void QuotaMetrics::CountReload(const std::string& source, bool success, double unix_seconds) {
  reloads_->CounterWith({source, success ? "success" : "failure"})->Inc();
  last_reload_ok_->GaugeWith({source})->Set(success ? 1 : 0);
  if (success) last_reload_time_->GaugeWith({source})->Set(unix_seconds);
}

}  // namespace quotient::extender
