// Routes a Service to the leading replica only (standalone HA, deploy/service.yaml selects
// `quotient.io/leader: "true"`): while this replica leads, its own pod carries the label and
// no other pod of its namespace does.
//
// Why a label and not readiness: a Deployment rolls only through ready pods, so readiness
// tied to leadership would leave one replica unready for good and stall every rolling update
// (maxUnavailable) and PodDisruptionBudget; with a label every warm replica is ready and only
// the leader is routed to.
//
// Every write passes the leader fence (only the leader patches pods, as for binds and
// evictions). A replica that loses the lease therefore leaves its label in place; the next
// leader removes it once it leads: one list of the labelled pods of the namespace, one merge
// patch per stale pod, then its own label. Between the old leader's last renew and the new
// leader's first sync (at most the lease duration plus a second), the Service may still route
// to the old leader, which answers `not_leader` (kube-scheduler retries the pod), never a
// decision.
//
// Sync runs when leadership starts, after a failed sync (every second), and every `resync`
// while leading, to restore a label someone removed.
//
// Thread safety: Start()/Stop() from the owning thread; the loop runs on a strand of the
// io_context; status() from any thread. The destructor Stop()s and waits for the loop to
// end (each request times out after 10 s; stopping the client ends them at once) unless
// the io_context is stopped. REQUIRES: the destructor does not run on an io_context thread.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "extender/kube/api_client.h"
#include "extender/kube/write_fence.h"
#include "extender/telemetry/metrics.h"

namespace quotient::extender::state {

struct LeaderLabelOptions {
  std::string pod_namespace;  // this replica's pod ($POD_NAMESPACE, downward API)
  std::string pod_name;       // ($POD_NAME)
  std::string label = "quotient.io/leader";
  std::chrono::milliseconds resync{30'000};
};

// "" when the options can be used, else why not (names as the API accepts them; a label key
// of an optional DNS prefix and a name).
std::string ValidateLeaderLabel(const LeaderLabelOptions& options);

struct LeaderLabelStatus {
  bool labelled = false;   // the last sync succeeded and this replica still leads
  std::string last_error;  // of the last sync; "" when it succeeded
  int64_t syncs = 0;
  int64_t failures = 0;
};

class LeaderPodLabeler {
 public:
  using Clock = std::chrono::steady_clock;

  // REQUIRES: options validated; client, fence and registry outlive the labeler. `registry`
  // may be null (no metrics).
  LeaderPodLabeler(boost::asio::io_context& ioc, kube::ApiClient* client,
                   const kube::WriteFence* fence, LeaderLabelOptions options,
                   metrics::Registry* registry);
  ~LeaderPodLabeler();
  LeaderPodLabeler(const LeaderPodLabeler&) = delete;
  LeaderPodLabeler& operator=(const LeaderPodLabeler&) = delete;

  void Start();
  void Stop();

  // One sync, whatever the state (exposed for tests): "" on success, else why it failed.
  // Removes the label from every other pod of the namespace that has it, then sets it on
  // this replica's pod. Refused, writing nothing, while the fence is closed.
  boost::asio::awaitable<std::string> Sync();

  LeaderLabelStatus status() const;

 private:
  boost::asio::awaitable<void> Loop();
  // Names of the pods of the namespace that carry the label ("" error) or why not.
  boost::asio::awaitable<std::string> ListLabelled(std::vector<std::string>* names);
  boost::asio::awaitable<std::string> PatchLabel(const std::string& pod, bool set);
  void Record(const std::string& error);

  kube::ApiClient* const client_;
  const kube::WriteFence* const fence_;
  const LeaderLabelOptions options_;
  boost::asio::io_context& ioc_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;  // on strand_
  metrics::Counter* syncs_ok_ = nullptr;
  metrics::Counter* syncs_failed_ = nullptr;
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  std::promise<void> loop_done_;

  mutable std::mutex mu_;
  LeaderLabelStatus status_;  // guarded by mu_
};

}  // namespace quotient::extender::state
