#include "extender/control/pod_evictor.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "extender/json/json_write.h"

namespace quotient::extender::state {
namespace {

constexpr int kTooManyRequests = 429;
constexpr int kNotFound = 404;
constexpr int kConflict = 409;

ApiOutcome Unsafe(const PodRef& pod) {
  return ApiOutcome{ApiOutcome::Kind::kRefused, 0,
                    fmt::format("invalid pod name \"{}/{}\"", pod.ns, pod.name)};
}

}  // namespace

EvictResult ClassifyEviction(const ApiOutcome& outcome) {
  if (outcome.kind == ApiOutcome::Kind::kOk) return EvictResult::kEvicted;
  if (outcome.status == kTooManyRequests) return EvictResult::kBudgetRefused;
  if (outcome.status == kNotFound || outcome.status == kConflict) return EvictResult::kGone;
  return EvictResult::kFailed;
}

std::string EvictionJson(const PodRef& pod) {
  std::string body = R"({"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":)";
  AppendJsonString(pod.name, &body);
  body += R"(,"namespace":)";
  AppendJsonString(pod.ns, &body);
  body += "}";
  if (!pod.uid.empty()) {
    body += R"(,"deleteOptions":{"preconditions":{"uid":)";
    AppendJsonString(pod.uid, &body);
    body += "}}";
  }
  body += "}";
  return body;
}

std::string EventJson(const PodEvent& event, std::chrono::system_clock::time_point now) {
  const auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const std::string stamp =
      fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", std::chrono::floor<std::chrono::seconds>(now));
  std::string body = R"({"apiVersion":"v1","kind":"Event","metadata":{"name":)";
  AppendJsonString(fmt::format("{}.{:x}", event.pod.name, nanos), &body);
  body += R"(,"namespace":)";
  AppendJsonString(event.pod.ns, &body);
  body += R"(},"involvedObject":{"apiVersion":"v1","kind":"Pod","namespace":)";
  AppendJsonString(event.pod.ns, &body);
  body += R"(,"name":)";
  AppendJsonString(event.pod.name, &body);
  if (!event.pod.uid.empty()) {
    body += R"(,"uid":)";
    AppendJsonString(event.pod.uid, &body);
  }
  body += R"(},"reason":)";
  AppendJsonString(event.reason, &body);
  body += R"(,"message":)";
  AppendJsonString(event.message, &body);
  body += R"(,"type":)";
  AppendJsonString(event.type, &body);
  body += fmt::format(
      R"(,"source":{{"component":"quotient"}},"reportingComponent":"quotient",)"
      R"("reportingInstance":"quotient","firstTimestamp":"{0}","lastTimestamp":"{0}","count":1}})",
      stamp);
  return body;
}

boost::asio::awaitable<ApiOutcome> ApiPodEvictor::Evict(const PodRef& pod) {
  if (!IsPathSafe(pod.ns) || !IsPathSafe(pod.name)) co_return Unsafe(pod);
  std::string target = fmt::format("/api/v1/namespaces/{}/pods/{}/eviction", pod.ns, pod.name);
  auto write =
      FencedWrite(client_, fence_, kube::Method::kPost, std::move(target), EvictionJson(pod));
  kube::ApiResponse response = co_await std::move(write);
  co_return OutcomeOf(response);
}

boost::asio::awaitable<ApiOutcome> ApiPodEvictor::PostEvent(const PodEvent& event) {
  if (!IsPathSafe(event.pod.ns) || !IsPathSafe(event.pod.name)) co_return Unsafe(event.pod);
  std::string target = fmt::format("/api/v1/namespaces/{}/events", event.pod.ns);
  auto write = FencedWrite(client_, fence_, kube::Method::kPost, std::move(target),
                           EventJson(event, std::chrono::system_clock::now()));
  kube::ApiResponse response = co_await std::move(write);
  co_return OutcomeOf(response);
}

}  // namespace quotient::extender::state
