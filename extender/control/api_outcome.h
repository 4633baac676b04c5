// What a write to the Kubernetes API (a Binding, an Eviction, an Event) came to, and the
// checks every such write shares.
//
// Thread safety: a value type and reentrant functions.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>
#include <string_view>

#include "extender/kube/api_client.h"
#include "extender/kube/write_fence.h"

namespace quotient::extender::state {

struct ApiOutcome {
  enum class Kind { kOk, kRefused, kUnavailable };
  Kind kind = Kind::kOk;
  int status = 0;       // HTTP status, 0 for transport failures
  std::string message;  // the API's Status message, or the transport error
};

// An API response as an outcome: 2xx kOk; 429, 5xx and transport failures kUnavailable;
// other statuses kRefused (with the Status message).
ApiOutcome OutcomeOf(const kube::ApiResponse& response);

// A write every replica may attempt but only the leader may send: answered at once with
// status 0 and fence->Why() while `fence` is closed (nothing queued), else sent with
// `options.fence = fence`, so the client checks it again when the request leaves its
// line. `fence` may be null (no leader election: always sent). REQUIRES: `client` and
// `fence` outlive the call.
boost::asio::awaitable<kube::ApiResponse> FencedWrite(kube::ApiClient* client,
                                                      const kube::WriteFence* fence,
                                                      kube::Method method, std::string target,
                                                      std::string body,
                                                      kube::RequestOptions options = {});

// Pod and namespace names are DNS labels/subdomains: anything else is refused before it
// reaches a URL.
bool IsPathSafe(std::string_view s);

// The `message` of a metav1.Status body, or a short excerpt of the body if it is not one.
std::string StatusMessage(std::string_view body);

}  // namespace quotient::extender::state
