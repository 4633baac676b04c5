// Tells kube-scheduler to retry pods that Quotient refused for quota, once the quota may
// admit them.
//
// Why: kube-scheduler parks a pod whose filter failed in its unschedulable queue and
// retries it on a cluster event (a pod or node change) or after 5 minutes. A pod
// refused by an extender alone is retried on *any* such event, but a quota edit (file
// or ElasticQuotaTree) is no event the scheduler sees: in a quiet cluster the pod would
// wait up to 5 minutes. So after each quota reload Quotient touches the pods it refused
// (a merge patch of the annotation `quotient.io/requeued-at`); the scheduler sees an
// update of an unschedulable pod and retries it after its backoff. Pods freed by a
// deletion need nothing: the deletion is itself an event.
//
// The set of refused pods is bounded (kMaxTracked, oldest dropped) and emptied at each
// nudge (pods refused again are noted again); patches go through the client's rate
// limit.
//
// Thread safety: NoteRefused() is called from filter on any thread (a mutex guards the
// set); NudgeAll() spawns its patches on the io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_set>

#include "extender/kube/api_client.h"
#include "extender/metrics.h"

namespace quotient::extender::state {

inline constexpr std::string_view kRequeueAnnotation = "quotient.io/requeued-at";

class Requeuer {
 public:
  static constexpr size_t kMaxTracked = 10'000;

  // `still_pending(uid)` says whether the pod still waits (not bound, not deleted).
  Requeuer(boost::asio::io_context& ioc, kube::ApiClient* client, metrics::Registry* registry,
           std::function<bool(const std::string& uid)> still_pending);

  void NoteRefused(const std::string& uid, const std::string& ns, const std::string& name);
  // Patches every noted pod that still waits; returns how many patches were started.
  size_t NudgeAll(std::string_view why);
  size_t tracked() const;

  // The merge-patch body (exposed for tests).
  static std::string PatchBody(std::string_view timestamp);

 private:
  struct Pod {
    std::string uid, ns, name;
  };
  boost::asio::io_context& ioc_;
  kube::ApiClient* const client_;
  const std::function<bool(const std::string&)> still_pending_;
  metrics::Family* nudges_;

  mutable std::mutex mu_;
  std::deque<Pod> pods_;                   // guarded by mu_, oldest first
  std::unordered_set<std::string> uids_;   // guarded by mu_
};

}  // namespace quotient::extender::state
