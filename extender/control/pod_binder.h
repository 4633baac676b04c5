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

#include "extender/control/api_outcome.h"
#include "extender/kube/api_client.h"
#include "extender/kube/write_fence.h"
#include "extender/objects/pod.h"
#include "extender/wire/wire.h"

namespace quotient::extender::state {

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
  // `fence` (may be null: always open) is checked before each Binding (write_fence.h).
  explicit ApiPodBinder(kube::ApiClient* client, const kube::WriteFence* fence = nullptr)
      : client_(client), fence_(fence) {}
  boost::asio::awaitable<ApiOutcome> Bind(const BindingArgs& args) override;
  boost::asio::awaitable<ApiOutcome> GetPod(const std::string& ns, const std::string& name,
                                            PodInfo* out) override;

 private:
  kube::ApiClient* const client_;
  const kube::WriteFence* const fence_;
};

// The JSON body of a v1 Binding (exposed for tests).
std::string BindingJson(const BindingArgs& args);

}  // namespace quotient::extender::state
