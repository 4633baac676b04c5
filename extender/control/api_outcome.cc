#include "extender/control/api_outcome.h"

#include <fmt/format.h>
#include <simdjson.h>

namespace quotient::extender::state {
namespace {

constexpr size_t kExcerptBytes = 200;

}  // namespace

boost::asio::awaitable<kube::ApiResponse> FencedWrite(kube::ApiClient* client,
                                                      const kube::WriteFence* fence,
                                                      kube::Method method, std::string target,
                                                      std::string body,
                                                      kube::RequestOptions options) {
  if (!kube::MayWrite(fence)) {
    kube::ApiResponse refused;
    refused.error = fence->Why();
    co_return refused;
  }
  options.fence = fence;
  // The awaitable is made in its own statement: GCC 12 mis-destroys temporaries that
  // live across a co_await (bug 99576).
  auto request = client->Request(method, std::move(target), std::move(body), std::move(options));
  co_return co_await std::move(request);
}

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

}  // namespace quotient::extender::state
