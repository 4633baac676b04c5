// Evicts pods and records Events through the Kubernetes API, for reclaim.
//
// PodEvictor is the seam the Reclaimer acts through; ApiPodEvictor is the real one:
//  * Evict: POST /api/v1/namespaces/{ns}/pods/{name}/eviction with a policy/v1 Eviction
//    whose deleteOptions carry the pod UID as precondition. The API server honours
//    PodDisruptionBudgets (429 Too Many Requests when the budget forbids it, which the
//    caller must respect: never delete around it) and sets the DisruptionTarget
//    condition on the victim.
//  * PostEvent: POST /api/v1/namespaces/{ns}/events, a core/v1 Event on a pod
//    (source and reportingComponent "quotient").
//
// Thread safety: ApiPodEvictor is thread-safe (ApiClient is); calls run on the client's
// io_context.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

#include "extender/control/api_outcome.h"
#include "extender/kube/api_client.h"
#include "extender/kube/write_fence.h"
#include "extender/objects/pod_ref.h"

namespace quotient::extender::state {

// What an eviction attempt came to.
enum class EvictResult {
  kEvicted,        // accepted: the pod is terminating
  kBudgetRefused,  // 429: a PodDisruptionBudget forbids it now
  kGone,           // 404 or a UID precondition conflict: the pod is not there any more
  kFailed,         // anything else (the outcome's message says what)
};

EvictResult ClassifyEviction(const ApiOutcome& outcome);

class PodEvictor {
 public:
  virtual ~PodEvictor() = default;
  virtual boost::asio::awaitable<ApiOutcome> Evict(const PodRef& pod) = 0;
  virtual boost::asio::awaitable<ApiOutcome> PostEvent(const PodEvent& event) = 0;
};

class ApiPodEvictor : public PodEvictor {
 public:
  // `fence` (may be null: always open) is checked before each write (write_fence.h).
  explicit ApiPodEvictor(kube::ApiClient* client, const kube::WriteFence* fence = nullptr)
      : client_(client), fence_(fence) {}
  boost::asio::awaitable<ApiOutcome> Evict(const PodRef& pod) override;
  boost::asio::awaitable<ApiOutcome> PostEvent(const PodEvent& event) override;

 private:
  kube::ApiClient* const client_;
  const kube::WriteFence* const fence_;
};

// The request bodies (exposed for tests). `now` stamps the Event and names it
// "<pod>.<nanoseconds in hex>" as client-go's recorder does.
std::string EvictionJson(const PodRef& pod);
std::string EventJson(const PodEvent& event, std::chrono::system_clock::time_point now);

}  // namespace quotient::extender::state
