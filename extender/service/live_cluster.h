// Quotient's connection to a live cluster: the API client, the pod, node and (when the
// quota comes from the API) ElasticQuotaTree reflectors, the ClusterState they feed,
// the binder, and the watch-health metrics.
//
// With leader election (or sidecar mode) the Lease has an API client of its own (one connection,
// its own rate limit), as kube-scheduler gives its leader election a client of its own: on the
// shared client a renew would queue behind a burst of binds, in the token bucket and in the
// first-in-first-out line for the kubernetes.maxConnections connections, past its
// renewDeadline, and the leader would lose the lease because it was busy.
//
// With DRA mappings (LiveClusterOptions::dra) ResourceClaims and ResourceSlices
// (resource.k8s.io/v1) are watched too; without, nothing of DRA is listed (no RBAC needed).
//
// Pods are watched with kube-scheduler's own field selector
// (status.phase!=Succeeded,status.phase!=Failed): a pod that finishes leaves the watch
// as a deletion and gives its resources back.
//
// Thread safety: Start()/Stop() from the owning thread; synced(), health() and the
// accessors are thread-safe. Reflectors run on the io_context.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "extender/control/leader_pod_labeler.h"
#include "extender/control/pod_binder.h"
#include "extender/control/pod_evictor.h"
#include "extender/control/requeuer.h"
#include "extender/kube/api_client.h"
#include "extender/kube/client_metrics.h"
#include "extender/kube/leader_elector.h"
#include "extender/kube/lease_fence.h"
#include "extender/kube/lease_follower.h"
#include "extender/kube/reflector.h"
#include "extender/state/cluster_state.h"
#include "extender/state/dra_sinks.h"
#include "extender/state/watch_sinks.h"
#include "extender/telemetry/metrics.h"
#include "extender/telemetry/quota_metrics.h"

namespace quotient::extender::state {

struct LiveClusterOptions {
  bool watch_quota_tree = false;  // quota source is the ElasticQuotaTree object
  std::string tree_name;
  std::chrono::milliseconds resync_interval{10 * 60'000};
  std::chrono::milliseconds watch_timeout{5 * 60'000};
  DecodedObjectObserver* observer = nullptr;  // also sees decoded pods and nodes (GPU state)
  const PodEnricher* enricher = nullptr;      // derived requests of watched pods (may be null)
  // Set (dra.deviceClasses maps some class): ResourceClaims and ResourceSlices are watched
  // into it and pods are charged for their claims (dra_state.h). REQUIRES: outlives this.
  DraState* dra = nullptr;
  // Set: elect a leader through this Lease; only the leader writes (fence()).
  std::optional<kube::LeaderElectionOptions> election;
  // Set (instead of `election`): sidecar mode, lead while the kube-scheduler this replica
  // runs beside holds its own Lease (lease_follower.h); only then write.
  std::optional<kube::LeaseFollowOptions> follow;
  // Set (with `election` or `follow`): the leader keeps this label on its own pod, so a
  // Service that selects it routes to the leader only (leader_pod_labeler.h).
  std::optional<LeaderLabelOptions> leader_label;
};

struct LiveHealth {
  bool synced = false;     // LiveCluster::synced()
  bool connected = false;  // every watch is currently healthy
  std::string summary;     // "synced: 1204 pods, 50 nodes" / "API unreachable for 12s: ..."
};

class LiveCluster {
 public:
  // `ledger` may be null (no quota). `metrics` registers the watch families.
  LiveCluster(boost::asio::io_context& ioc, kube::ClientConfig config, quota::QuotaLedger* ledger,
              QuotaMetrics* quota_metrics, metrics::Registry* registry, LiveClusterOptions options);
  ~LiveCluster();

  void Start();
  // Stops the watches and the leader election; `done` runs once a held lease was released
  // (on the io_context) and the API clients are stopped. Graceful shutdown calls it after the
  // webhooks drained, so in-flight binds still reach the API. Idempotent; only the first
  // call's `done` runs.
  void Stop(std::function<void()> done = {});

  // Every watch has completed its first list and, with the ElasticQuotaTree source, a
  // tree is in the ledger (watch_sinks.h: without one no namespace has a quota).
  bool synced() const;
  // Empty when synced(); else why not, for an error a scheduler or an operator reads
  // ("it has not finished its first sync with the API server", "no usable
  // ElasticQuotaTree: ...").
  std::string NotSyncedReason() const;
  LiveHealth health() const;
  ClusterState& state() { return state_; }
  PodBinder* binder() { return &binder_; }
  PodEvictor* evictor() { return &evictor_; }
  Requeuer* requeuer() { return &requeuer_; }
  kube::ApiClient& client() { return client_; }
  // The write fence of leader election or sidecar mode; null without either (every write
  // allowed).
  const kube::WriteFence* fence() const { return leadership_.get(); }
  kube::Leadership* leadership() { return leadership_.get(); }

 private:
  std::shared_ptr<kube::ClientMetrics> client_metrics_;
  kube::ApiClient client_;
  std::unique_ptr<kube::ApiClient> lease_client_;  // the Lease's; null without leadership_
  std::unique_ptr<kube::Leadership> leadership_;   // before every writer that it fences
  ClusterState state_;
  ApiPodBinder binder_;
  ApiPodEvictor evictor_;
  Requeuer requeuer_;
  PodSink pod_sink_;
  NodeSink node_sink_;
  std::unique_ptr<QuotaTreeSink> tree_sink_;
  std::unique_ptr<ClaimSink> claim_sink_;  // with LiveClusterOptions::dra only
  std::unique_ptr<SliceSink> slice_sink_;
  std::vector<std::unique_ptr<kube::Reflector>> reflectors_;
  std::unique_ptr<LeaderPodLabeler> labeler_;  // null without options.leader_label
  // Every watch has listed once (never false again): every filter asks NotSyncedReason(),
  // which then skips reading each reflector's status.
  mutable std::atomic<bool> watches_synced_{false};
};

}  // namespace quotient::extender::state
