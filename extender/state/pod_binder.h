// Creates Bindings and reads pods through the Kubernetes API, for the bind webhook.
//
// PodBinder is the seam the QuotaDecider binds through; ApiPodBinder is the real one
// (POST /api/v1/namespaces/{ns}/pods/{name}/binding with the pod UID as precondition,
// exactly as kube-scheduler's DefaultBinder does).
//
// Thread safety: ApiPodBinder is thread-safe (ApiClient is); calls run on the client's
// io_context.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

#include "extender/kube/api_client.h"
#include "extender/pod.h"
#include "extender/wire.h"

namespace quotient::extender::state {

struct ApiOutcome {
  enum class Kind { kOk, kRefused, kUnavailable };
  Kind kind = Kind::kOk;
  int status = 0;       // HTTP status, 0 for transport failures
  std::string message;  // the API's Status message, or the transport error
};

class PodBinder {
 public:
  virtual ~PodBinder() = default;
  virtual boost::asio::awaitable<ApiOutcome> Bind(const BindingArgs& args) = 0;
  // Reads one pod (to learn its requests when no reservation names it).
  virtual boost::asio::awaitable<ApiOutcome> GetPod(const std::string& ns, const std::string& name,
                                                    PodInfo* out) = 0;
};

class ApiPodBinder : public PodBinder {
 public:
  explicit ApiPodBinder(kube::ApiClient* client) : client_(client) {}
  boost::asio::awaitable<ApiOutcome> Bind(const BindingArgs& args) override;
  boost::asio::awaitable<ApiOutcome> GetPod(const std::string& ns, const std::string& name,
                                            PodInfo* out) override;

 private:
  kube::ApiClient* const client_;
};

// An API response as an outcome: 2xx kOk; 429, 5xx and transport failures kUnavailable;
// other statuses kRefused (with the Status message).
ApiOutcome OutcomeOf(const kube::ApiResponse& response);

// Pod and namespace names are DNS labels/subdomains: anything else is refused before it
// reaches a URL.
bool IsPathSafe(std::string_view s);

// The JSON body of a v1 Binding (exposed for tests).
std::string BindingJson(const BindingArgs& args);

// The `message` of a metav1.Status body, or a short excerpt of the body if it is not one.
std::string StatusMessage(std::string_view body);

}  // namespace quotient::extender::state
