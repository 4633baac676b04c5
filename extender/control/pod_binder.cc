#include "extender/control/pod_binder.h"

#include <fmt/format.h>

#include "extender/json/json_write.h"
#include "extender/objects/pod_decode.h"

namespace quotient::extender::state {
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

boost::asio::awaitable<ApiOutcome> ApiPodBinder::Bind(const BindingArgs& args) {
  if (!IsPathSafe(args.pod_namespace) || !IsPathSafe(args.pod_name)) {
    co_return ApiOutcome{
        ApiOutcome::Kind::kRefused, 0,
        fmt::format("invalid pod name \"{}/{}\"", args.pod_namespace, args.pod_name)};
  }
  std::string target =
      fmt::format("/api/v1/namespaces/{}/pods/{}/binding", args.pod_namespace, args.pod_name);
  auto write =
      FencedWrite(client_, fence_, kube::Method::kPost, std::move(target), BindingJson(args));
  kube::ApiResponse response = co_await std::move(write);
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
