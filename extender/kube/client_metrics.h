// Prometheus metrics of the Kubernetes API client (ApiClient): requests by verb and status
// class with their latency, the wait for a connection slot, and the connections open.
//
//   quotient_kube_requests_total{verb,code}          code: 2xx 3xx 4xx 5xx error
//   quotient_kube_request_duration_seconds{verb}     from holding a connection slot to the
//                                                    whole answer (connect included)
//   quotient_kube_connection_wait_seconds            time in line for a slot (0 when free)
//   quotient_kube_connection_wait_timeouts_total     requests that left the line without one
//   quotient_kube_connections{state}                 open, in_use, waiting, watch (collected)
//   quotient_kube_connections_opened_total{kind}     request, watch (collected)
//   quotient_kube_max_connections                    the configured bound
//
// All label sets are created here, at start-up; the hot path only bumps atomics.
//
// Thread safety: thread-safe (the ClientObserver calls come from any io thread).
#pragma once

#include <array>
#include <functional>
#include <mutex>

#include "extender/kube/api_client.h"
#include "extender/telemetry/metrics.h"

namespace quotient::extender::kube {

class ClientMetrics : public ClientObserver {
 public:
  // Registers the families. `stats` is called at each scrape for the connection gauges
  // (usually [client] { return client->pool_stats(); }); set it once the client exists.
  explicit ClientMetrics(metrics::Registry* registry);
  void SetStatsSource(std::function<ClientPoolStats()> stats);

  void OnSlotWait(std::chrono::nanoseconds waited, bool acquired) override;
  void OnRequest(Method method, int status, std::chrono::nanoseconds latency) override;

 private:
  static constexpr int kMethods = 5;  // Method::kGet .. kDelete
  static constexpr int kCodes = 5;    // 2xx 3xx 4xx 5xx error

  // Constant after construction.
  std::array<std::array<metrics::Counter*, kCodes>, kMethods> requests_{};
  std::array<metrics::Histogram*, kMethods> latency_{};
  metrics::Histogram* wait_ = nullptr;
  metrics::Counter* wait_timeouts_ = nullptr;

  std::mutex mu_;
  std::function<ClientPoolStats()> stats_;  // guarded by mu_
};

}  // namespace quotient::extender::kube
