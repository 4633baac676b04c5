#include "extender/http/router.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <unordered_set>

#include "extender/telemetry/logging.h"
#include "extender/wire/wire_codec.h"

namespace quotient::extender {
namespace {

constexpr int64_t kMinScore = 0;
constexpr int64_t kMaxScore = 10;  // MaxExtenderPriority

std::string_view PathOf(std::string_view target) {
  return target.substr(0, target.find('?'));
}

bool IsWebhook(Route route) {
  return route == Route::kFilter || route == Route::kPrioritize || route == Route::kPreempt ||
         route == Route::kBind;
}

Verb VerbOf(Route route) {
  switch (route) {
    case Route::kPrioritize: return Verb::kPrioritize;
    case Route::kPreempt: return Verb::kPreempt;
    case Route::kBind: return Verb::kBind;
    default: return Verb::kFilter;
  }
}

// The scheduler rejects a preemption answer naming a node it did not offer; a decider
// must never cause that, so such nodes are dropped here (and logged as a bug). Linear in
// input + answer: a preempt call may offer thousands of nodes.
void DropNodesNotIn(const std::vector<NodeVictims>& input, std::vector<NodeVictims>* answer) {
  std::unordered_set<std::string_view> offered;
  offered.reserve(input.size());
  for (const NodeVictims& n : input) offered.insert(n.node);
  std::erase_if(*answer, [&](const NodeVictims& n) {
    if (offered.contains(n.node)) return false;
    Log(spdlog::level::err, "decider named a node outside the preemption candidates",
        {{"node", n.node}});
    return true;
  });
}

}  // namespace

std::string NormalizeUrlPrefix(std::string_view prefix) {
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  if (prefix.empty()) return "";
  std::string out(prefix);
  if (out.front() != '/') out.insert(out.begin(), '/');
  return out;
}

Router::Router(std::string url_prefix, Decider* decider, ServerMetrics* metrics,
               const metrics::Registry* registry, const Readiness* readiness,
               const DebugEndpoints* debug, DecisionLog* decisions, const PodEnricher* enricher)
    : prefix_(NormalizeUrlPrefix(url_prefix)),
      decider_(decider),
      metrics_(metrics),
      registry_(registry),
      readiness_(readiness),
      debug_(debug),
      decisions_(decisions),
      enricher_(enricher) {}

Route Router::Classify(std::string_view target) const {
  std::string_view path = PathOf(target);
  if (path == "/healthz") return Route::kHealthz;
  if (path == "/readyz") return Route::kReadyz;
  if (path == "/metrics") return Route::kMetrics;
  if (path == "/version") return Route::kVersion;
  if (debug_ != nullptr && path.starts_with("/debug/")) return Route::kDebug;
  if (path.size() > prefix_.size() && path.substr(0, prefix_.size()) == prefix_) {
    std::string_view verb = path.substr(prefix_.size());
    if (verb == "/filter") return Route::kFilter;
    if (verb == "/prioritize") return Route::kPrioritize;
    if (verb == "/preempt") return Route::kPreempt;
    if (verb == "/bind") return Route::kBind;
  }
  return Route::kOther;
}

HttpResponse Router::Refuse(Route route, unsigned status, RejectReason reason, std::string message,
                            std::string_view request_id) {
  metrics_->CountRejected(reason);
  Log(spdlog::level::warn, "request refused",
      {{"route", RouteName(route)},
       {"status", fmt::format_int(status).c_str()},
       {"reason", RejectReasonName(reason)},
       {"error", message},
       {"request_id", request_id}});
  HttpResponse response;
  response.status = status;
  response.route = route;
  EncodeErrorBody(message, RejectReasonName(reason), &response.body);
  return response;
}

HttpResponse Router::Ops(Route route) const {
  HttpResponse response;
  response.route = route;
  response.content_type = "text/plain; charset=utf-8";
  switch (route) {
    case Route::kHealthz: response.body = "ok\n"; break;
    case Route::kReadyz:
      if (readiness_->ready()) {
        // Ready may still be degraded (the API server is away and decisions use the
        // last known state): the reason says so without failing the probe.
        std::string reason = readiness_->reason();
        response.body = reason == "serving" ? "ok\n" : fmt::format("ok: {}\n", reason);
      } else {
        response.status = 503;
        response.body = fmt::format("not ready: {}\n", readiness_->reason());
      }
      break;
    case Route::kMetrics:
      response.content_type = "text/plain; version=0.0.4; charset=utf-8";
      response.body = registry_->Render();
      break;
    case Route::kVersion: {
      BuildInfo build = CurrentBuildInfo();
      response.content_type = "application/json";
      std::string& b = response.body;
      b = "{\"version\":";
      AppendJsonString(build.version, &b);
      b += ",\"commit\":";
      AppendJsonString(build.commit, &b);
      b += ",\"compiler\":";
      AppendJsonString(build.compiler, &b);
      b += ",\"boost\":";
      AppendJsonString(build.boost, &b);
      b += ",\"decider\":";
      AppendJsonString(decider_->Describe(), &b);
      b += "}\n";
      break;
    }
    default: break;
  }
  return response;
}

HttpResponse Router::HandleSyncWebhook(Verb verb, const RequestBody& body,
                                       std::string_view request_id) {
  Route route = RouteForVerb(verb);
  HttpResponse response;
  response.route = route;
  DecodeError error;
  if (verb == Verb::kPreempt) {
    PreemptionArgs args;
    if (!DecodePreemptionArgs(body, &args, &error)) {
      return Refuse(route, 400, RejectReasonFor(error.failure), std::move(error.message),
                    request_id);
    }
    if (enricher_ != nullptr) enricher_->Enrich(&args.pod);
    PreemptDecision decision = decider_->Preempt(args);
    DropNodesNotIn(args.nodes, &decision.nodes);
    metrics_->CountDecision(verb, decision.result, decision.reason);
    EncodePreemptionResult(decision.nodes, &response.body);
    return response;
  }
  ExtenderArgs args;
  if (!DecodeExtenderArgs(body, &args, &error)) {
    return Refuse(route, 400, RejectReasonFor(error.failure), std::move(error.message), request_id);
  }
  if (enricher_ != nullptr) enricher_->Enrich(&args.pod);
  if (verb == Verb::kFilter) {
    FilterDecision decision = decider_->Filter(args);
    metrics_->CountDecision(verb, decision.result, decision.reason);
    if (decisions_ != nullptr) decisions_->RecordFilter(args, decision);
    EncodeFilterResult(args, decision.answer, &response.body);
    const auto level =
        decision.result == DecisionResult::kAccepted ? spdlog::level::debug : spdlog::level::info;
    if (LogEnabled(level)) {
      Log(level, "filter",
          {{"pod", fmt::format("{}/{}", args.pod.ns, args.pod.name)},
           {"nodes", fmt::format_int(args.nodes.size()).c_str()},
           {"passed", fmt::format_int(decision.answer.passed.size()).c_str()},
           {"result", DecisionResultName(decision.result)},
           {"reason", DecisionReasonName(decision.reason)},
           {"message", decision.message},
           {"request_id", request_id}});
    }
    return response;
  }
  PrioritizeDecision decision = decider_->Prioritize(args);
  for (auto& score : decision.scores) score = std::clamp(score, kMinScore, kMaxScore);
  metrics_->CountDecision(verb, DecisionResult::kAccepted, decision.reason);
  EncodeHostPriorities(args, decision.scores, &response.body);
  return response;
}

boost::asio::awaitable<HttpResponse> Router::Handle(HttpRequest request, bool webhooks) {
  const Route route = Classify(request.target);
  const std::string request_id(request.request_id);
  std::string failure;
  try {
    co_return co_await Dispatch(route, std::move(request), webhooks);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  Log(spdlog::level::err, "internal error", {{"route", RouteName(route)}, {"error", failure}});
  co_return Refuse(route, 500, RejectReason::kInternalError, "internal error: " + failure,
                   request_id);
}

std::optional<HttpResponse> Router::RefuseBeforeBody(Route route, const HttpRequestHead& head,
                                                     bool webhooks) {
  const std::string_view path = PathOf(head.target);
  if (route == Route::kOther || (IsWebhook(route) && !webhooks)) {
    return Refuse(Route::kOther, 404, RejectReason::kNotFound,
                  fmt::format("no route for {} {}", head.method, path), head.request_id);
  }
  if (IsWebhook(route)) {
    if (head.method == "POST") return std::nullopt;
    HttpResponse response =
        Refuse(route, 405, RejectReason::kMethodNotAllowed,
               fmt::format("{} does not accept {}; use POST", path, head.method), head.request_id);
    response.allow = "POST";
    return response;
  }
  if (head.method != "GET" && head.method != "HEAD") {
    HttpResponse response =
        Refuse(route, 405, RejectReason::kMethodNotAllowed,
               fmt::format("{} does not accept {}; use GET", path, head.method), head.request_id);
    response.allow = "GET, HEAD";
    return response;
  }
  if (head.has_body) {
    return Refuse(route, 413, RejectReason::kBodyTooLarge,
                  fmt::format("{} {} takes no request body", head.method, path), head.request_id);
  }
  return std::nullopt;
}

boost::asio::awaitable<HttpResponse> Router::Dispatch(Route route, HttpRequest request,
                                                      bool webhooks) {
  // The server asked already, but Handle() must refuse on its own for other callers.
  const HttpRequestHead head{request.method, request.target, !request.body.empty(),
                             request.request_id};
  if (std::optional<HttpResponse> refused = RefuseBeforeBody(route, head, webhooks)) {
    co_return std::move(*refused);
  }
  if (!IsWebhook(route)) {
    if (route == Route::kDebug) {
      const size_t q = request.target.find('?');
      DebugResponse debug = debug_->Handle(
          PathOf(request.target),
          q == std::string_view::npos ? std::string_view() : request.target.substr(q + 1));
      HttpResponse response;
      response.route = route;
      response.status = debug.status;
      response.body = std::move(debug.body);
      response.content_type = debug.content_type;
      co_return response;
    }
    co_return Ops(route);
  }
  Verb verb = VerbOf(route);
  if (verb != Verb::kBind) {
    co_return HandleSyncWebhook(verb, request.body, request.request_id);
  }
  BindingArgs args;
  DecodeError error;
  if (!DecodeBindingArgs(request.body, &args, &error)) {
    co_return Refuse(route, 400, RejectReasonFor(error.failure), std::move(error.message),
                     request.request_id);
  }
  std::string pod = fmt::format("{}/{}", args.pod_namespace, args.pod_name);
  std::string node = args.node;
  BindingArgs recorded = decisions_ != nullptr ? args : BindingArgs{};
  BindDecision decision = co_await decider_->Bind(std::move(args));
  metrics_->CountDecision(verb, decision.result, decision.reason);
  if (decisions_ != nullptr) decisions_->RecordBind(recorded, decision);
  Log(decision.error.empty() ? spdlog::level::info : spdlog::level::warn, "bind",
      {{"pod", pod},
       {"node", node},
       {"result", DecisionResultName(decision.result)},
       {"reason", DecisionReasonName(decision.reason)},
       {"error", decision.error},
       {"request_id", request.request_id}});
  HttpResponse response;
  response.route = route;
  EncodeBindingResult(decision.error, &response.body);
  co_return response;
}

}  // namespace quotient::extender
