#include "extender/kube/client_metrics.h"

namespace quotient::extender::kube {
namespace {

constexpr std::array<const char*, 5> kMethodNames = {"GET", "POST", "PUT", "PATCH", "DELETE"};
constexpr std::array<const char*, 5> kCodeNames = {"2xx", "3xx", "4xx", "5xx", "error"};

int CodeIndex(int status) {
  if (status >= 200 && status < 600) return status / 100 - 2;
  return 4;  // transport failure (0) or a status outside 2xx-5xx
}

double Seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

ClientMetrics::ClientMetrics(metrics::Registry* registry) {
  metrics::Family* requests = registry->AddCounter(
      "quotient_kube_requests_total",
      "Requests to the Kubernetes API server (watches excluded), by HTTP method and status "
      "class (error: no answer).",
      {"verb", "code"});
  metrics::Family* latency = registry->AddHistogram(
      "quotient_kube_request_duration_seconds",
      "Request time from holding a connection slot to the whole answer read (a new "
      "connection's TLS handshake included; the wait for a slot and the rate limit excluded).",
      {"verb"}, metrics::LatencyBuckets());
  for (int m = 0; m < kMethods; ++m) {
    latency_[m] = latency->HistogramWith({kMethodNames[m]});
    for (int c = 0; c < kCodes; ++c) {
      requests_[m][c] = requests->CounterWith({kMethodNames[m], kCodeNames[c]});
    }
  }
  wait_ = registry
              ->AddHistogram("quotient_kube_connection_wait_seconds",
                             "Time a request waited in line for one of the client's "
                             "kubernetes.maxConnections connections (0 when one was free).",
                             {}, metrics::LatencyBuckets())
              ->HistogramWith({});
  wait_timeouts_ = registry
                       ->AddCounter("quotient_kube_connection_wait_timeouts_total",
                                    "Requests that reached their timeout (or a stop) while "
                                    "waiting for a connection, and failed unsent.")
                       ->CounterWith({});
  registry->AddCollectedGauge(
      "quotient_kube_connections",
      "The client's connections to the API server: open (carrying requests, or idle), "
      "in_use, waiting (requests in line), watch (one per open watch, outside the bound).",
      {"state"}, [this](const metrics::Emit& emit) {
        std::function<ClientPoolStats()> stats;
        {
          std::lock_guard lock(mu_);
          stats = stats_;
        }
        const ClientPoolStats s = stats ? stats() : ClientPoolStats{};
        emit({"open"}, static_cast<double>(s.open));
        emit({"in_use"}, static_cast<double>(s.in_use));
        emit({"waiting"}, static_cast<double>(s.waiting));
        emit({"watch"}, static_cast<double>(s.watches));
      });
  registry
      ->AddCounter("quotient_kube_connections_opened_total",
                   "Connections the client opened to the API server (a TCP connect and, for "
                   "https, a TLS handshake each), by kind: request or watch.",
                   {"kind"})
      ->SetCollector([this](const metrics::Emit& emit) {
        std::function<ClientPoolStats()> stats;
        {
          std::lock_guard lock(mu_);
          stats = stats_;
        }
        const ClientPoolStats s = stats ? stats() : ClientPoolStats{};
        emit({"request"}, static_cast<double>(s.opened_requests));
        emit({"watch"}, static_cast<double>(s.opened_watches));
      });
  registry->AddCollectedGauge("quotient_kube_max_connections",
                              "kubernetes.maxConnections: the bound on open request connections.",
                              {}, [this](const metrics::Emit& emit) {
                                std::function<ClientPoolStats()> stats;
                                {
                                  std::lock_guard lock(mu_);
                                  stats = stats_;
                                }
                                emit({}, stats ? static_cast<double>(stats().limit) : 0.0);
                              });
}

void ClientMetrics::SetStatsSource(std::function<ClientPoolStats()> stats) {
  std::lock_guard lock(mu_);
  stats_ = std::move(stats);
}

void ClientMetrics::OnSlotWait(std::chrono::nanoseconds waited, bool acquired) {
  wait_->Observe(Seconds(waited));
  if (!acquired) wait_timeouts_->Inc();
}

void ClientMetrics::OnRequest(Method method, int status, std::chrono::nanoseconds latency) {
  const int m = static_cast<int>(method);
  if (m < 0 || m >= kMethods) return;
  requests_[m][CodeIndex(status)]->Inc();
  latency_[m]->Observe(Seconds(latency));
}

}  // namespace quotient::extender::kube
