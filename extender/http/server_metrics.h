// The HTTP server's and the webhooks' metric families (see docs/metrics.md).
//
// Every label value is drawn from a closed set (routes, status codes, reject reasons,
// decision results and reasons), so cardinality is fixed; the children are created in
// the constructor and the hot path only touches atomics.
//
// Thread safety: all methods are thread-safe and lock-free after construction.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "extender/http/route.h"
#include "extender/json/decode_error.h"
#include "extender/telemetry/build_info.h"
#include "extender/telemetry/metrics.h"
#include "extender/wire/decider.h"
#include "extender/wire/wire.h"

namespace quotient::extender {

// Why a request was refused before any decision (quotient_http_rejected_requests_total).
enum class RejectReason {
  kMalformedJson,
  kWrongType,
  kMissingField,
  kInvalidQuantity,
  kTooManyNodes,
  kBodyTooLarge,
  kHeaderTooLarge,
  kBadHttp,
  kReadTimeout,
  kNotFound,
  kMethodNotAllowed,
  kTlsHandshake,
  kInternalError,  // the handler failed inside Quotient (a bug): HTTP 500
};
inline constexpr int kRejectReasonCount = 13;
std::string_view RejectReasonName(RejectReason reason);
RejectReason RejectReasonFor(DecodeFailure failure);

class ServerMetrics {
 public:
  explicit ServerMetrics(metrics::Registry* registry);

  void CountRequest(Route route, unsigned status);
  void ObserveLatency(Route route, double seconds);
  void CountRejected(RejectReason reason);
  void CountDecision(Verb verb, DecisionResult result, DecisionReason reason);
  void AddInFlight(int delta) { in_flight_->Add(delta); }
  void AddConnections(int delta) { connections_->Add(delta); }

  uint64_t RejectedCount(RejectReason reason) const;  // for tests

 private:
  static constexpr std::array<unsigned, 10> kStatuses = {200, 400, 404, 405, 408,
                                                         413, 431, 500, 503, 0};
  static size_t StatusIndex(unsigned status);

  metrics::Family* requests_family_;
  std::array<std::array<metrics::Counter*, kStatuses.size()>, kRouteCount> requests_{};
  std::array<metrics::Histogram*, kRouteCount> latency_{};
  std::array<metrics::Counter*, kRejectReasonCount> rejected_{};
  std::array<std::array<std::array<metrics::Counter*, kDecisionReasonCount>, kDecisionResultCount>,
             kVerbCount>
      decisions_{};
  metrics::Gauge* in_flight_;
  metrics::Gauge* connections_;
};

}  // namespace quotient::extender
