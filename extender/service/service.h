// The parts of `quotient serve`, built from settings and owned together: the quota ledger and
// its source, the GPU state, the connection to the live cluster, the decorator chain
// RequeueTrackingDecider(GpuDecider(QuotaDecider)) (PassThroughDecider without an API
// server), the reclaimer, the /debug endpoints, the router and the HTTP server.
//
// Build() only constructs: nothing listens, watches or ticks until Start(). Tests build a
// Service in process to drive the same chain the binary runs.
//
// Thread safety: Build/Start/Stop from one thread; the parts are thread-safe as their own
// headers say. Members are declared in dependency order, so each part is destroyed before
// what it points to.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/server_config.h"
#include "extender/control/pod_patcher.h"
#include "extender/control/reclaimer.h"
#include "extender/debug/decision_log.h"
#include "extender/debug/endpoints.h"
#include "extender/devices/dra_reclaim_fit.h"
#include "extender/devices/gpu_equivalent_enricher.h"
#include "extender/devices/gpu_reclaim_fit.h"
#include "extender/devices/gpu_state.h"
#include "extender/http/http_server.h"
#include "extender/http/readiness.h"
#include "extender/http/router.h"
#include "extender/http/server_metrics.h"
#include "extender/service/housekeeping.h"
#include "extender/service/live_cluster.h"
#include "extender/service/reclaim_status.h"
#include "extender/state/dra_state.h"
#include "extender/state/quota_file_watcher.h"
#include "extender/telemetry/metrics.h"
#include "extender/telemetry/quota_metrics.h"
#include "extender/wire/decider.h"
#include "gpu/mig_catalog.h"
#include "quota/quota_ledger.h"

namespace quotient::extender {

class Service {
 public:
  // Builds every part from validated settings. On a configuration that cannot run (an
  // invalid quota file or GPU catalog, a profile the catalog lacks, API credentials that do
  // not load, quota.source kubernetes without an API server) logs why at critical and
  // returns null. REQUIRES: `ioc` outlives the service.
  static std::unique_ptr<Service> Build(const config::Settings& settings,
                                        boost::asio::io_context& ioc);

  // Binds the listeners, starts the watches, the quota file watcher and the housekeeping
  // coroutine. Returns false with *error when a listener cannot bind.
  bool Start(std::string* error);
  // Stops accepting; once in-flight requests drained (or the grace passed) stops watching,
  // releases a held lease and stops the API clients, then runs `done`. The io_context
  // keeps running until the caller stops it.
  void Stop(std::chrono::milliseconds grace, std::function<void()> done);

  std::vector<uint16_t> BoundPorts() const { return server_->BoundPorts(); }
  Decider& decider() { return *decider_; }
  Router& router() { return *router_; }
  state::LiveCluster* live() { return live_.get(); }
  quota::QuotaLedger* ledger() { return ledger_.get(); }
  metrics::Registry& registry() { return registry_; }
  Readiness& readiness() { return readiness_; }
  const std::string& api_server() const { return api_config_.server; }

 private:
  Service() = default;
  bool BuildQuota(const config::Settings& settings, boost::asio::io_context& ioc);
  bool BuildGpu(const config::Settings& settings);
  bool BuildLive(const config::Settings& settings, boost::asio::io_context& ioc);
  void BuildDeciders(const config::Settings& settings, boost::asio::io_context& ioc);

  metrics::Registry registry_;
  std::unique_ptr<ServerMetrics> server_metrics_;
  Readiness readiness_;
  std::unique_ptr<quota::QuotaLedger> ledger_;
  std::unique_ptr<QuotaMetrics> quota_metrics_;
  std::unique_ptr<QuotaFileWatcher> watcher_;
  // Device-level GPU state from the same watches; declared before `live_`, whose watches
  // feed it, so it outlives them.
  gpu::MigCatalog gpu_catalog_;
  std::unique_ptr<state::GpuEquivalentEnricher> enricher_;
  // With dra.deviceClasses: the DRA objects and the claim charge, chained after the GPU
  // equivalent into pod_enricher_ (what every decoded pod goes through).
  std::unique_ptr<state::DraState> dra_;
  std::unique_ptr<state::DraEnricher> dra_enricher_;
  std::unique_ptr<state::ChainEnricher> chain_enricher_;
  const PodEnricher* pod_enricher_ = nullptr;
  std::unique_ptr<state::GpuState> gpu_state_;
  std::unique_ptr<state::GpuReclaimFit> gpu_reclaim_fit_;
  // With dra_: the DRA claims' device fit, and reclaim's check of both (GPU and DRA).
  std::unique_ptr<state::DraReclaimFit> dra_reclaim_fit_;
  std::unique_ptr<state::AllDeviceFits> reclaim_fit_;
  kube::ClientConfig api_config_;
  std::unique_ptr<state::LiveCluster> live_;
  std::unique_ptr<state::Reclaimer> reclaimer_;  // after `live_`: destroyed before it
  std::unique_ptr<state::ApiPodPatcher> gpu_patcher_;
  std::unique_ptr<Decider> decider_;
  DecisionLog decisions_;
  std::unique_ptr<ReclaimerStatusSource> reclaim_status_;
  std::unique_ptr<DebugEndpoints> debug_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<Housekeeper> housekeeper_;
  std::atomic<bool> stopping_{false};
  boost::asio::io_context* ioc_ = nullptr;
};

}  // namespace quotient::extender
