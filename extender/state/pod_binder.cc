#include "extender/state/pod_binder.h"

#include <fmt/format.h>

#include "extender/pod_decode.h"
#include "extender/wire_codec.h"

namespace quotient::extender::state {
namespace {

constexpr size_t kExcerptBytes = 200;

}  // namespace

ApiOutcome OutcomeOf(const kube::ApiResponse& response) {
  ApiOutcome outcome;
  outcome.status = response.status;
  if (response.ok()) return outcome;
  if (response.status == 0) {
    outcome.kind = ApiOutcome::Kind::kUnavailable;
    outcome.message = response.error;
    return outcome;
  }
  // 429 and 5xx are the server's trouble, not a verdict on this binding.
  outcome.kind = response.status == 429 || response.status >= 500 ? ApiOutcome::Kind::kUnavailable
                                                                  : ApiOutcome::Kind::kRefused;
  outcome.message = fmt::format("API server answered {}: {}", response.status,
                                StatusMessage(response.body.view()));
  return outcome;
}

bool IsPathSafe(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  return true;
}

std::string BindingJson(const BindingArgs& args) {
  std::string body = R"({"apiVersion":"v1","kind":"Binding","metadata":{"name":)";
  AppendJsonString(args.pod_name, &body);
  body += R"(,"namespace":)";
  AppendJsonString(args.pod_namespace, &body);
  if (!args.pod_uid.empty()) {
    body += R"(,"uid":)";
    AppendJsonString(args.pod_uid, &body);
  }
  body += R"(},"target":{"apiVersion":"v1","kind":"Node","name":)";
  AppendJsonString(args.node, &body);
  body += "}}";
  return body;
}

std::string StatusMessage(std::string_view body) {
  simdjson::padded_string padded(body);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  std::string_view message;
  if (parser.iterate(padded).get(doc) == simdjson::SUCCESS &&
      doc["message"].get_string().get(message) == simdjson::SUCCESS) {
    return std::string(message);
  }
  std::string excerpt(body.substr(0, kExcerptBytes));
  if (body.size() > kExcerptBytes) excerpt += "...";
  return excerpt;
}

boost::asio::awaitable<ApiOutcome> ApiPodBinder::Bind(const BindingArgs& args) {
  if (!IsPathSafe(args.pod_namespace) || !IsPathSafe(args.pod_name)) {
    co_return ApiOutcome{ApiOutcome::Kind::kRefused, 0,
                         fmt::format("invalid pod name \"{}/{}\"", args.pod_namespace,
                                     args.pod_name)};
  }
  std::string target =
      fmt::format("/api/v1/namespaces/{}/pods/{}/binding", args.pod_namespace, args.pod_name);
  std::string body = BindingJson(args);
  // The awaitable is made in its own statement: GCC 12 mis-destroys temporaries that
  // live across a co_await (bug 99576).
  auto request = client_->Request(kube::Method::kPost, std::move(target), std::move(body));
  kube::ApiResponse response = co_await std::move(request);
  co_return OutcomeOf(response);
}

boost::asio::awaitable<ApiOutcome> ApiPodBinder::GetPod(const std::string& ns,
                                                        const std::string& name, PodInfo* out) {
  if (!IsPathSafe(ns) || !IsPathSafe(name)) {
    co_return ApiOutcome{ApiOutcome::Kind::kRefused, 0,
                         fmt::format("invalid pod name \"{}/{}\"", ns, name)};
  }
  std::string target = fmt::format("/api/v1/namespaces/{}/pods/{}", ns, name);
  auto request = client_->Request(kube::Method::kGet, std::move(target));
  kube::ApiResponse response = co_await std::move(request);
  ApiOutcome outcome = OutcomeOf(response);
  if (outcome.kind != ApiOutcome::Kind::kOk) co_return outcome;
  DecodeError error;
  if (!DecodePodJson(response.body, out, &error)) {
    outcome.kind = ApiOutcome::Kind::kUnavailable;
    outcome.message = "undecodable pod from the API server: " + error.message;
  }
  co_return outcome;
}

}  // namespace quotient::extender::state
