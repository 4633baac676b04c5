// Routes an HTTP request to a webhook or an operations endpoint and produces the
// response. Knows nothing of sockets or Beast: the server hands it a method, a target
// and a body, and writes back what it returns.
//
// Routes (prefix from config, default empty; matches the scheduler's urlPrefix + "/" + verb):
//   POST <prefix>/filter | /prioritize | /preempt | /bind   (webhook listeners only)
//   GET  /healthz | /readyz | /metrics | /version            (every listener)
//   GET  /debug/quota | /debug/explain                        (every listener, when given)
// Business outcomes are HTTP 200. Refused input is 4xx with {"Error","Reason"}.
//
// Thread safety: thread-safe; Handle() runs concurrently on every server thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "extender/debug/decision_log.h"
#include "extender/debug/endpoints.h"
#include "extender/http/readiness.h"
#include "extender/http/server_metrics.h"
#include "extender/json/request_body.h"
#include "extender/objects/pod_enricher.h"
#include "extender/telemetry/metrics.h"
#include "extender/wire/decider.h"

namespace quotient::extender {

struct HttpRequest {
  std::string_view method;
  std::string_view target;
  RequestBody body;
  std::string_view request_id;
};

// What is known of a request once its header is read, before its body.
struct HttpRequestHead {
  std::string_view method;
  std::string_view target;
  bool has_body = false;  // Content-Length > 0, or a chunked body
  std::string_view request_id;
};

struct HttpResponse {
  unsigned status = 200;
  std::string body;
  std::string_view content_type = "application/json";
  std::string_view allow;  // set with 405
  Route route = Route::kOther;
};

// Normalises a configured prefix: "" -> "", "scheduler/" -> "/scheduler".
std::string NormalizeUrlPrefix(std::string_view prefix);

class Router {
 public:
  // All pointers must outlive the router. `debug` (may be null: no /debug routes) serves
  // /debug/*; `decisions` (may be null) records each filter and bind verdict for it;
  // `enricher` (may be null) adds derived requests to the pod of every webhook's
  // arguments before the decider sees them (pod_enricher.h).
  Router(std::string url_prefix, Decider* decider, ServerMetrics* metrics,
         const metrics::Registry* registry, const Readiness* readiness,
         const DebugEndpoints* debug = nullptr, DecisionLog* decisions = nullptr,
         const PodEnricher* enricher = nullptr);

  // Which route a target names (for metrics of requests that fail before Handle).
  Route Classify(std::string_view target) const;

  // Answers a request whose answer does not depend on its body, so the server need not
  // read the body: 404 (no such route on this listener), 405 (a method the route does not
  // take, with Allow), 413 (a body sent to a route that takes none: the GET and HEAD of the
  // operations and /debug endpoints). Counted and logged as Handle() counts its refusals.
  // nullopt: the request (a webhook POST, or an operations GET without a body) must be read
  // whole and given to Handle(). `route` is Classify(head.target), which the caller has
  // already; `webhooks` is false on the operations-only listener.
  std::optional<HttpResponse> RefuseBeforeBody(Route route, const HttpRequestHead& head,
                                               bool webhooks);

  // `webhooks` is false on the operations-only listener. Never throws: a handler that fails
  // inside Quotient (a bug) is answered 500 {"Error","Reason":"internal_error"}, logged at
  // error and counted (quotient_http_rejected_requests_total{reason="internal_error"}).
  boost::asio::awaitable<HttpResponse> Handle(HttpRequest request, bool webhooks);

  // The synchronous webhooks (filter, prioritize, preempt); exposed for benchmarks.
  HttpResponse HandleSyncWebhook(Verb verb, const RequestBody& body, std::string_view request_id);

 private:
  HttpResponse Refuse(Route route, unsigned status, RejectReason reason, std::string message,
                      std::string_view request_id);
  HttpResponse Ops(Route route) const;
  // `route` is Classify(request.target).
  boost::asio::awaitable<HttpResponse> Dispatch(Route route, HttpRequest request, bool webhooks);

  // Constant after construction.
  const std::string prefix_;
  Decider* const decider_;
  ServerMetrics* const metrics_;
  const metrics::Registry* const registry_;
  const Readiness* const readiness_;
  const DebugEndpoints* const debug_;
  DecisionLog* const decisions_;
  const PodEnricher* const enricher_;
};

}  // namespace quotient::extender
