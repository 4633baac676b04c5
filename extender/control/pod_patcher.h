// Writes JSON merge patches to pods: GPU placement annotations at bind (gpu_decider.h).
//
// Thread safety: ApiPodPatcher is thread-safe (ApiClient is); calls run on the client's
// io_context.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

#include "extender/kube/api_client.h"
#include "extender/kube/write_fence.h"

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
  // `fence` (may be null: always open) is checked before each patch (write_fence.h).
  explicit ApiPodPatcher(kube::ApiClient* client, const kube::WriteFence* fence = nullptr)
      : client_(client), fence_(fence) {}
  boost::asio::awaitable<std::string> Patch(std::string ns, std::string name,
                                            std::string body) override;

 private:
  kube::ApiClient* const client_;
  const kube::WriteFence* const fence_;
};

}  // namespace quotient::extender::state
