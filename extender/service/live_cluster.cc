#include "extender/service/live_cluster.h"

#include <fmt/format.h>

namespace quotient::extender::state {
namespace {

using std::chrono::duration;
using std::chrono::steady_clock;

constexpr std::string_view kPodsPath = "/api/v1/pods";
constexpr std::string_view kNodesPath = "/api/v1/nodes";
constexpr std::string_view kClaimsPath = "/apis/resource.k8s.io/v1/resourceclaims";
constexpr std::string_view kSlicesPath = "/apis/resource.k8s.io/v1/resourceslices";
constexpr std::string_view kTreesPath =
    "/apis/scheduling.sigs.k8s.io/v1beta1/namespaces/kube-system/elasticquotatrees";
// kube-scheduler's own pod informer filter: finished pods hold nothing.
constexpr std::string_view kActivePods = "status.phase!=Succeeded,status.phase!=Failed";
// List pages of 2,000 objects (client-go uses 500): 150,000 pods are 75 requests, inside
// the default burst of the client's rate limit, and ~11 MB per page. Measured with
// bench_sync (docs/benchmarks.md): initial sync 4.65 s -> 3.09 s, peak RSS 217 -> 330 MiB.
constexpr int64_t kListPageSize = 2000;

double SecondsSince(steady_clock::time_point t) {
  if (t == steady_clock::time_point{}) return -1;
  return duration<double>(steady_clock::now() - t).count();
}

// Leader election's client: the same server and credentials; one connection (the elector
// sends one request at a time) and a token bucket of its own.
kube::ClientConfig LeaseClientConfig(kube::ClientConfig config) {
  config.max_connections = 1;
  // As kube-scheduler's leader election client: "quotient/leader-election (<identity>)".
  const size_t identity = config.user_agent.find(" (");
  config.user_agent.insert(identity == std::string::npos ? config.user_agent.size() : identity,
                           "/leader-election");
  return config;
}

// Counts the lease client's requests in quotient_kube_requests_total and the request
// latency with the others', but not in the wait for the shared client's connections,
// which they never join.
class RequestsOnly : public kube::ClientObserver {
 public:
  explicit RequestsOnly(std::shared_ptr<kube::ClientObserver> next) : next_(std::move(next)) {}
  void OnSlotWait(std::chrono::nanoseconds, bool) override {}
  void OnRequest(kube::Method method, int status, std::chrono::nanoseconds latency) override {
    next_->OnRequest(method, status, latency);
  }

 private:
  const std::shared_ptr<kube::ClientObserver> next_;
};

std::unique_ptr<kube::Leadership> MakeLeadership(boost::asio::io_context& ioc,
                                                 kube::ApiClient* client,
                                                 const LiveClusterOptions& options) {
  if (options.election)
    return std::make_unique<kube::LeaderElector>(ioc, client, *options.election);
  if (options.follow) return std::make_unique<kube::LeaseFollower>(ioc, client, *options.follow);
  return nullptr;
}

}  // namespace

LiveCluster::LiveCluster(boost::asio::io_context& ioc, kube::ClientConfig config,
                         quota::QuotaLedger* ledger, QuotaMetrics* quota_metrics,
                         metrics::Registry* registry, LiveClusterOptions options)
    : client_metrics_(std::make_shared<kube::ClientMetrics>(registry)),
      client_(ioc, config, client_metrics_),
      lease_client_(
          options.election || options.follow
              ? std::make_unique<kube::ApiClient>(ioc, LeaseClientConfig(config),
                                                  std::make_shared<RequestsOnly>(client_metrics_))
              : nullptr),
      leadership_(MakeLeadership(ioc, lease_client_.get(), options)),
      state_(ledger),
      binder_(&client_, leadership_.get()),
      evictor_(&client_, leadership_.get()),
      requeuer_(
          ioc, &client_, registry,
          [this](const std::string& uid) {
            PodRecord pod;
            return state_.FindPod(uid, &pod) && !pod.holds_node();
          },
          leadership_.get()),
      pod_sink_(
          &state_, options.observer, options.enricher, [this] { requeuer_.NoteRelease(); },
          options.dra),
      node_sink_(&state_, options.observer, [this] { requeuer_.NoteRelease(); }) {
  auto make = [&](std::string name, std::string_view path, std::string selector,
                  kube::ObjectSink* sink) {
    kube::ReflectorOptions o;
    o.name = std::move(name);
    o.list_path = std::string(path);
    o.field_selector = std::move(selector);
    o.page_size = kListPageSize;
    o.resync_interval = options.resync_interval;
    o.watch_timeout = std::chrono::duration_cast<std::chrono::seconds>(options.watch_timeout);
    reflectors_.push_back(std::make_unique<kube::Reflector>(ioc, &client_, std::move(o), sink));
  };
  client_metrics_->SetStatsSource([this] { return client_.pool_stats(); });
  if (leadership_ && options.leader_label) {
    labeler_ = std::make_unique<LeaderPodLabeler>(ioc, &client_, leadership_.get(),
                                                  *options.leader_label, registry);
  }
  make("nodes", kNodesPath, "", &node_sink_);
  make("pods", kPodsPath, std::string(kActivePods), &pod_sink_);
  if (options.dra != nullptr) {
    // Slices before claims: an allocation's devices are then known when it is charged.
    slice_sink_ = std::make_unique<SliceSink>(options.dra);
    claim_sink_ =
        std::make_unique<ClaimSink>(options.dra, &state_, [this] { requeuer_.NoteRelease(); });
    make("resourceslices", kSlicesPath, "", slice_sink_.get());
    make("resourceclaims", kClaimsPath, "", claim_sink_.get());
  }
  if (options.watch_quota_tree && ledger != nullptr) {
    tree_sink_ = std::make_unique<QuotaTreeSink>(ledger, quota_metrics, options.tree_name);
    make("elasticquotatrees", kTreesPath, "", tree_sink_.get());
  }

  // Watch health, computed at scrape time from the reflectors' status.
  auto each = [this](auto&& fn) {
    return [this, fn](const metrics::Emit& emit) {
      for (const auto& r : reflectors_) {
        kube::ReflectorStatus s = r->status();
        emit({r->options().name}, fn(s));
      }
    };
  };
  registry->AddCollectedGauge(
      "quotient_watch_synced", "1 once the watch of this resource completed its first list.",
      {"resource"}, each([](const kube::ReflectorStatus& s) { return s.synced ? 1.0 : 0.0; }));
  registry->AddCollectedGauge(
      "quotient_watch_connected",
      "1 while the last list or watch of this resource succeeded (0: deciding from stale state).",
      {"resource"}, each([](const kube::ReflectorStatus& s) { return s.connected ? 1.0 : 0.0; }));
  registry->AddCollectedGauge(
      "quotient_watch_last_event_age_seconds",
      "Seconds since the last object or bookmark of this resource (-1: none yet).", {"resource"},
      each([](const kube::ReflectorStatus& s) { return SecondsSince(s.last_event); }));
  registry->AddCollectedGauge(
      "quotient_watch_last_sync_age_seconds",
      "Seconds since the last complete list of this resource (-1: none yet).", {"resource"},
      each([](const kube::ReflectorStatus& s) { return SecondsSince(s.last_sync); }));
  auto counter = [&](std::string name, std::string help, auto fn) {
    registry->AddCounter(std::move(name), std::move(help), {"resource"})
        ->SetCollector(
            each([fn](const kube::ReflectorStatus& s) { return static_cast<double>(fn(s)); }));
  };
  counter("quotient_watch_lists_total", "Complete lists (initial, resync and relists).",
          [](const kube::ReflectorStatus& s) { return s.lists; });
  counter("quotient_watch_relists_gone_total",
          "Relists forced by 410 Gone (the resourceVersion expired).",
          [](const kube::ReflectorStatus& s) { return s.relists_gone; });
  counter("quotient_watch_relists_out_of_memory_total",
          "Relists after applying an object ran out of memory (the object was left as it "
          "was; the list delivers it again).",
          [](const kube::ReflectorStatus& s) { return s.relists_out_of_memory; });
  counter("quotient_watch_restarts_total", "Watch requests re-opened.",
          [](const kube::ReflectorStatus& s) { return s.watch_restarts; });
  counter("quotient_watch_events_total", "Watch events applied (bookmarks excluded).",
          [](const kube::ReflectorStatus& s) { return s.events; });
  registry
      ->AddCounter("quotient_watch_skipped_objects_total",
                   "Objects and events skipped, by reason: refused (could not be decoded or "
                   "used), apply_failed (an internal error applying it), bad_event (logged).",
                   {"resource", "reason"})
      ->SetCollector([this](const metrics::Emit& emit) {
        for (const auto& r : reflectors_) {
          kube::ReflectorStatus s = r->status();
          for (int i = 0; i < kube::kSkipReasonCount; ++i) {
            emit({r->options().name,
                  std::string(kube::SkipReasonName(static_cast<kube::SkipReason>(i)))},
                 static_cast<double>(s.skipped_by_reason[static_cast<size_t>(i)]));
          }
        }
      });
  counter("quotient_watch_loop_restarts_total",
          "Reflector loops that failed on an internal error and were started again (a bug).",
          [](const kube::ReflectorStatus& s) { return s.loop_restarts; });
  counter("quotient_watch_failures_total", "Failed list or watch attempts (then backoff).",
          [](const kube::ReflectorStatus& s) { return s.failures; });
  if (tree_sink_) {
    registry->AddCollectedGauge(
        "quotient_quota_tree_missing",
        "1 while the ElasticQuotaTree source has no usable tree yet (none in kube-system, "
        "none of quota.treeName, or an invalid one): Quotient is not ready and admits no pod.",
        {}, [this](const metrics::Emit& emit) {
          emit({}, tree_sink_->MissingTree().empty() ? 0.0 : 1.0);
        });
  }
  if (leadership_) {
    registry->AddCollectedGauge(
        "quotient_leader",
        "1 while this replica may decide and write: it holds the leader Lease, or (sidecar "
        "mode) its kube-scheduler holds the scheduler's Lease (0: follower).",
        {"lease"}, [this](const metrics::Emit& emit) {
          emit({leadership_->lease()}, leadership_->MayWrite() ? 1.0 : 0.0);
        });
  }
  registry->AddCollectedGauge("quotient_cluster_objects", "Objects in Quotient's cluster cache.",
                              {"kind"}, [this](const metrics::Emit& emit) {
                                ClusterCounts c = state_.counts();
                                emit({"nodes"}, static_cast<double>(c.nodes));
                                emit({"pods"}, static_cast<double>(c.pods));
                                emit({"bound_pods"}, static_cast<double>(c.bound_pods));
                                emit({"assumed_pods"}, static_cast<double>(c.assumed_pods));
                              });
}

LiveCluster::~LiveCluster() {
  Stop();
  // The leadership's callback never ran if the io_context stopped before its release.
  client_.Stop();
  if (lease_client_) lease_client_->Stop();
}

void LiveCluster::Start() {
  if (leadership_) leadership_->Start();
  if (labeler_) labeler_->Start();
  for (auto& r : reflectors_) r->Start();
}

void LiveCluster::Stop(std::function<void()> done) {
  for (auto& r : reflectors_) r->Stop();
  if (labeler_) labeler_->Stop();
  if (!leadership_) {
    client_.Stop();
    if (done) done();
    return;
  }
  // The clients stop only after the elector released a held lease through lease_client_
  // (the next replica takes over at once instead of after the lease's duration).
  leadership_->Stop([this, done = std::move(done)] {
    client_.Stop();
    lease_client_->Stop();
    if (done) done();
  });
}

bool LiveCluster::synced() const {
  return NotSyncedReason().empty();
}

std::string LiveCluster::NotSyncedReason() const {
  if (!watches_synced_.load(std::memory_order_acquire)) {
    for (const auto& r : reflectors_) {
      if (!r->status().synced) return "it has not finished its first sync with the API server";
    }
    watches_synced_.store(true, std::memory_order_release);
  }
  if (tree_sink_ != nullptr) {
    if (std::string why = tree_sink_->MissingTree(); !why.empty()) {
      return "no usable ElasticQuotaTree: " + why;
    }
  }
  return "";
}

LiveHealth LiveCluster::health() const {
  LiveHealth h;
  h.synced = true;
  h.connected = true;
  std::string problems;
  for (const auto& r : reflectors_) {
    kube::ReflectorStatus s = r->status();
    h.synced = h.synced && s.synced;
    if (!s.connected) {
      h.connected = false;
      problems += fmt::format("{}{}: {}", problems.empty() ? "" : "; ", r->options().name,
                              s.last_error.empty() ? "connecting" : s.last_error);
    } else if (!s.synced) {
      problems += fmt::format("{}{}: listing", problems.empty() ? "" : "; ", r->options().name);
    }
  }
  ClusterCounts c = state_.counts();
  std::string missing_tree = tree_sink_ != nullptr ? tree_sink_->MissingTree() : "";
  if (!h.synced) {
    h.summary = fmt::format("syncing with the API server ({})", problems);
  } else if (!missing_tree.empty()) {
    h.synced = false;
    h.summary = fmt::format("waiting for a usable ElasticQuotaTree: {}", missing_tree);
  } else if (!h.connected) {
    h.summary = fmt::format(
        "degraded: API server unreachable, deciding from the last known state of {} pods and {} "
        "nodes ({})",
        c.pods, c.nodes, problems);
  } else {
    h.summary = fmt::format("synced: {} pods, {} nodes", c.pods, c.nodes);
  }
  return h;
}

}  // namespace quotient::extender::state
