#include "extender/http/server_metrics.h"

#include <fmt/format.h>

namespace quotient::extender {

std::string_view RejectReasonName(RejectReason reason) {
  switch (reason) {
    case RejectReason::kMalformedJson: return "malformed_json";
    case RejectReason::kWrongType: return "wrong_type";
    case RejectReason::kMissingField: return "missing_field";
    case RejectReason::kInvalidQuantity: return "invalid_quantity";
    case RejectReason::kTooManyNodes: return "too_many_nodes";
    case RejectReason::kBodyTooLarge: return "body_too_large";
    case RejectReason::kHeaderTooLarge: return "header_too_large";
    case RejectReason::kBadHttp: return "bad_http";
    case RejectReason::kReadTimeout: return "read_timeout";
    case RejectReason::kNotFound: return "not_found";
    case RejectReason::kMethodNotAllowed: return "method_not_allowed";
    case RejectReason::kTlsHandshake: return "tls_handshake";
    case RejectReason::kInternalError: return "internal_error";
  }
  return "unknown";
}

RejectReason RejectReasonFor(DecodeFailure failure) {
  switch (failure) {
    case DecodeFailure::kMalformedJson: return RejectReason::kMalformedJson;
    case DecodeFailure::kWrongType: return RejectReason::kWrongType;
    case DecodeFailure::kMissingField: return RejectReason::kMissingField;
    case DecodeFailure::kInvalidQuantity: return RejectReason::kInvalidQuantity;
    case DecodeFailure::kTooManyNodes: return RejectReason::kTooManyNodes;
  }
  return RejectReason::kMalformedJson;
}

size_t ServerMetrics::StatusIndex(unsigned status) {
  for (size_t i = 0; i + 1 < kStatuses.size(); ++i) {
    if (kStatuses[i] == status) return i;
  }
  return kStatuses.size() - 1;
}

ServerMetrics::ServerMetrics(metrics::Registry* registry) {
  BuildInfo build = CurrentBuildInfo();
  registry
      ->AddGauge("quotient_build_info", "Build information; the value is always 1.",
                 {"version", "commit", "compiler", "boost"})
      ->GaugeWith({build.version, build.commit, build.compiler, build.boost})
      ->Set(1);

  requests_family_ = registry->AddCounter(
      "quotient_http_requests_total",
      "HTTP requests answered, by route and status code (code=\"other\" for unlisted codes).",
      {"route", "code"});
  metrics::Family* latency = registry->AddHistogram(
      "quotient_http_request_duration_seconds",
      "Server-side time from a complete request header to the response written, by route.",
      {"route"}, metrics::LatencyBuckets());
  for (int r = 0; r < kRouteCount; ++r) {
    std::string route(RouteName(static_cast<Route>(r)));
    latency_[r] = latency->HistogramWith({route});
    for (size_t s = 0; s < kStatuses.size(); ++s) {
      std::string code = kStatuses[s] == 0 ? "other" : std::to_string(kStatuses[s]);
      requests_[r][s] = requests_family_->CounterWith({route, code});
    }
  }

  metrics::Family* rejected = registry->AddCounter(
      "quotient_http_rejected_requests_total",
      "Requests refused before any decision (bad input, limits, timeouts), by reason.", {"reason"});
  for (int i = 0; i < kRejectReasonCount; ++i) {
    rejected_[i] =
        rejected->CounterWith({std::string(RejectReasonName(static_cast<RejectReason>(i)))});
  }

  metrics::Family* decisions = registry->AddCounter(
      "quotient_decisions_total", "Webhook decisions, by verb, result and reason code.",
      {"verb", "result", "reason"});
  for (int v = 0; v < kVerbCount; ++v) {
    for (int res = 0; res < kDecisionResultCount; ++res) {
      for (int why = 0; why < kDecisionReasonCount; ++why) {
        decisions_[v][res][why] = decisions->CounterWith(
            {std::string(VerbName(static_cast<Verb>(v))),
             std::string(DecisionResultName(static_cast<DecisionResult>(res))),
             std::string(DecisionReasonName(static_cast<DecisionReason>(why)))});
      }
    }
  }

  in_flight_ =
      registry->AddGauge("quotient_http_requests_in_flight", "Requests read and not yet answered.")
          ->GaugeWith({});
  connections_ = registry
                     ->AddGauge("quotient_http_open_connections",
                                "Open client connections, on every listener.")
                     ->GaugeWith({});
}

void ServerMetrics::CountRequest(Route route, unsigned status) {
  requests_[static_cast<size_t>(route)][StatusIndex(status)]->Inc();
}

void ServerMetrics::ObserveLatency(Route route, double seconds) {
  latency_[static_cast<size_t>(route)]->Observe(seconds);
}

void ServerMetrics::CountRejected(RejectReason reason) {
  rejected_[static_cast<size_t>(reason)]->Inc();
}

uint64_t ServerMetrics::RejectedCount(RejectReason reason) const {
  return rejected_[static_cast<size_t>(reason)]->Value();
}

void ServerMetrics::CountDecision(Verb verb, DecisionResult result, DecisionReason reason) {
  decisions_[static_cast<size_t>(verb)][static_cast<size_t>(result)][static_cast<size_t>(reason)]
      ->Inc();
}

}  // namespace quotient::extender
