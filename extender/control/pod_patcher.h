// Writes JSON merge patches to pods: GPU placement annotations at bind (gpu_decider.h).
//
// Thread safety: ApiPodPatcher is thread-safe (ApiClient is); calls run on the client's
// io_context.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

#include "extender/kube/api_client.h"

namespace quotient::extender::state {

// Writes a merge patch to a pod. Returns "" on success, else why it failed.
class PodPatcher {
 public:
  virtual ~PodPatcher() = default;
  virtual boost::asio::awaitable<std::string> Patch(std::string ns, std::string name,
                                                    std::string body) = 0;
};

// PodPatcher over the API: PATCH .../namespaces/{ns}/pods/{name}, merge patch.
class ApiPodPatcher : public PodPatcher {
 public:
  explicit ApiPodPatcher(kube::ApiClient* client) : client_(client) {}
  boost::asio::awaitable<std::string> Patch(std::string ns, std::string name,
                                            std::string body) override;

 private:
  kube::ApiClient* const client_;
};

}  // namespace quotient::extender::state
