#include "extender/service/service.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <chrono>
#include <cstdlib>
#include <utility>

#include "config/gpu_catalog_yaml.h"
#include "config/text_file.h"
#include "config/values.h"
#include "extender/decide/gpu_decider.h"
#include "extender/decide/leader_gate_decider.h"
#include "extender/decide/quota_decider.h"
#include "extender/decide/requeue_tracking_decider.h"
#include "extender/devices/gpu_metrics.h"
#include "extender/kube/client_config.h"
#include "extender/telemetry/logging.h"

namespace quotient::extender {

namespace asio = boost::asio;

namespace {

HttpServerOptions ToServerOptions(const config::ServerSettings& s) {
  HttpServerOptions options;
  const auto& l = s.limits;
  options.max_body_bytes = l.max_body_bytes;
  options.max_header_bytes = l.max_header_bytes;
  options.idle_timeout = l.idle_timeout;
  options.header_timeout = l.header_timeout;
  options.body_timeout = l.body_timeout;
  options.write_timeout = l.write_timeout;

  ListenerOptions main;
  std::string error;
  config::ParseHostPort(s.listen, &main.host, &main.port, &error);  // validated before
  if (s.tls.enabled()) main.tls = TlsFiles{s.tls.cert_file, s.tls.key_file, s.tls.client_ca_file};
  options.listeners.push_back(main);
  if (!s.metrics_listen.empty()) {
    ListenerOptions ops;
    ops.webhooks = false;
    config::ParseHostPort(s.metrics_listen, &ops.host, &ops.port, &error);
    options.listeners.push_back(ops);
  }
  return options;
}

// How to reach the API server: the kubeconfig if given, in-cluster credentials when
// running in a pod, else none (false with an empty *error).
bool ResolveApiConfig(const config::KubernetesSettings& k, kube::ClientConfig* out,
                      std::string* error) {
  bool ok = false;
  if (!k.kubeconfig.empty()) {
    ok = kube::LoadKubeconfig(k.kubeconfig, k.context, out, error);
  } else if (std::getenv("KUBERNETES_SERVICE_HOST") != nullptr) {
    ok = kube::LoadInCluster(out, error);
  }
  if (ok) {
    out->qps = static_cast<double>(k.qps);
    out->burst = static_cast<int>(k.burst);
    out->max_connections = static_cast<int>(k.max_connections);
  }
  return ok;
}

std::shared_ptr<const quota::QuotaTree> EmptyQuotaTree() {
  quota::QuotaNodeSpec root;
  root.name = "root";
  return quota::QuotaTree::Build(root);
}

double UnixNowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::unique_ptr<Service> Service::Build(const config::Settings& settings, asio::io_context& ioc) {
  std::unique_ptr<Service> service(new Service());
  service->ioc_ = &ioc;
  service->server_metrics_ = std::make_unique<ServerMetrics>(&service->registry_);
  if (!service->BuildQuota(settings, ioc) || !service->BuildGpu(settings) ||
      !service->BuildLive(settings, ioc)) {
    return nullptr;
  }
  service->BuildDeciders(settings, ioc);
  // What /debug/explain and /debug/quota read: the last verdict per pod (bounded) and the
  // ledger, and the reclaims under way (none without a reclaimer).
  service->reclaim_status_ = std::make_unique<ReclaimerStatusSource>(service->reclaimer_.get());
  service->debug_ = std::make_unique<DebugEndpoints>(
      service->ledger_.get(), settings.quota.allow_unquoted_namespaces, &service->decisions_,
      service->reclaim_status_.get());
  const auto& s = settings.server;
  service->router_ = std::make_unique<Router>(
      s.url_prefix, service->decider_.get(), service->server_metrics_.get(), &service->registry_,
      &service->readiness_, service->debug_.get(), &service->decisions_,
      service->live_ ? service->pod_enricher_ : nullptr);
  service->server_ = std::make_unique<HttpServer>(ioc, ToServerOptions(s), service->router_.get(),
                                                  service->server_metrics_.get());
  service->housekeeper_ =
      std::make_unique<Housekeeper>(service->ledger_.get(), service->live_.get(),
                                    service->reclaimer_.get(), &service->readiness_);
  return service;
}

// The quota tree: from a file, loaded before listening (an invalid file fails start-up) and
// watched for edits; or from the ElasticQuotaTree object, published by its watch (until then
// the tree is empty and filter waits for the first sync).
bool Service::BuildQuota(const config::Settings& settings, asio::io_context& ioc) {
  const std::string source = settings.QuotaSource();
  const quota::QuotaLedger::Options options{settings.quota.allow_unquoted_namespaces};
  std::string quota_text;
  if (source == "kubernetes") {
    ledger_ = std::make_unique<quota::QuotaLedger>(EmptyQuotaTree(), options);
  } else if (source == "file") {
    std::shared_ptr<const quota::QuotaTree> tree;
    config::ConfigErrors errors;
    if (ReadQuotaFile(settings.quota.file, settings.server.limits.max_file_bytes, &quota_text,
                      &errors)) {
      CompileQuotaText(quota_text, settings.quota.file, &tree, &errors);
    }
    if (!errors.empty()) {
      Log(spdlog::level::critical, "invalid quota file",
          {{"file", settings.quota.file}, {"detail", config::FormatErrors(errors)}});
      return false;
    }
    ledger_ = std::make_unique<quota::QuotaLedger>(tree, options);
  }
  quota_metrics_ = std::make_unique<QuotaMetrics>(&registry_, ledger_.get());
  if (source == "file") {
    quota_metrics_->CountReload("quota_file", true, UnixNowSeconds());
    watcher_ = std::make_unique<QuotaFileWatcher>(
        ioc, settings.quota.file, settings.quota.reload_interval, std::move(quota_text),
        ledger_.get(), quota_metrics_.get(), settings.server.limits.max_file_bytes);
  }
  return true;
}

// The GPU catalog (built in, or a file over it), the GPU-equivalent charge of every decoded
// pod (quotient.io/gpu-milli), and the device-level state the GPU decorator, reclaim and the
// preempt verb read.
bool Service::BuildGpu(const config::Settings& settings) {
  const config::GpuSettings& g = settings.gpu;
  gpu_catalog_ = gpu::BuiltinMigCatalog();
  if (!g.catalog_file.empty()) {
    config::ConfigErrors errors;
    if (!config::LoadGpuCatalogFile(g.catalog_file, gpu::BuiltinMigCatalog(), &gpu_catalog_,
                                    &errors, settings.server.limits.max_file_bytes,
                                    config::kMaxFileBytesSetting)) {
      Log(spdlog::level::critical, "invalid GPU catalog file",
          {{"file", g.catalog_file}, {"detail", config::FormatErrors(errors)}});
      return false;
    }
    // kube-scheduler filters out every node for a MIG resource no node advertises unless
    // its extender entry lists it as ignoredByScheduler (docs/gpu.md).
    if (std::vector<std::string> added =
            gpu_catalog_.MigResourceNamesNotIn(gpu::BuiltinMigCatalog());
        !added.empty()) {
      Log(spdlog::level::warn,
          "the GPU catalog adds MIG resources the shipped scheduler "
          "configurations do not list under managedResources",
          {{"resources", fmt::format("{}", fmt::join(added, ","))},
           {"hint", "quotient mig-resources --catalog " + g.catalog_file +
                        " prints the list for the scheduler configuration"}});
    }
  }
  for (const auto& [profile, milli] : g.equivalent_milli) {
    bool known = false;
    for (const gpu::GpuModel& model : gpu_catalog_.models()) {
      known = known || model.FindProfile(profile) >= 0;
    }
    if (!known) {
      Log(spdlog::level::critical, "invalid gpu.equivalentMilli",
          {{"profile", profile}, {"detail", "no GPU model of the catalog has this MIG profile"}});
      return false;
    }
  }
  gpu::EquivalentOptions equivalent;
  equivalent.profile_milli = g.equivalent_milli;
  equivalent.share_unit_mib = g.memory_share_unit_mib;
  enricher_ = std::make_unique<state::GpuEquivalentEnricher>(&gpu_catalog_, equivalent);
  pod_enricher_ = enricher_.get();
  if (!settings.dra.device_classes.empty()) {
    quota::DeviceChargeConfig charge;
    std::string error;
    if (!quota::DeviceChargeConfig::Build(settings.dra.device_classes, &charge, &error)) {
      Log(spdlog::level::critical, "invalid dra.deviceClasses", {{"detail", error}});
      return false;  // LoadSettings refuses these first; settings built in code may not
    }
    dra_ = std::make_unique<state::DraState>(std::move(charge), &registry_);
    dra_enricher_ = std::make_unique<state::DraEnricher>(dra_.get());
    chain_enricher_ = std::make_unique<state::ChainEnricher>(enricher_.get(), dra_enricher_.get());
    pod_enricher_ = chain_enricher_.get();
  }
  gpu::InventoryOptions inventory;
  const size_t eq = g.dynamic_mig_label.find('=');  // validated: key=value
  inventory.dynamic_mig_label = g.dynamic_mig_label.substr(0, eq);
  inventory.dynamic_mig_value = g.dynamic_mig_label.substr(eq + 1);
  inventory.model_label = g.model_label;
  inventory.share_unit_mib = g.memory_share_unit_mib;
  gpu::ParsePackPolicy(g.placement, &inventory.pack);  // validated
  inventory.placement_label = g.placement_label;
  gpu_state_ = std::make_unique<state::GpuState>(&gpu_catalog_, inventory);
  gpu_reclaim_fit_ = std::make_unique<state::GpuReclaimFit>(gpu_state_.get());
  if (dra_) dra_reclaim_fit_ = std::make_unique<state::DraReclaimFit>(dra_.get());
  reclaim_fit_ = std::make_unique<state::AllDeviceFits>(
      std::vector<const state::DeviceFitCheck*>{gpu_reclaim_fit_.get(), dra_reclaim_fit_.get()});
  return true;
}

// The live cluster: without an API connection the webhooks pass through.
bool Service::BuildLive(const config::Settings& settings, asio::io_context& ioc) {
  const std::string source = settings.QuotaSource();
  std::string error;
  if (ResolveApiConfig(settings.kubernetes, &api_config_, &error)) {
    state::LiveClusterOptions options;
    options.observer = gpu_state_.get();
    options.enricher = pod_enricher_;
    options.dra = dra_.get();
    options.watch_quota_tree = source == "kubernetes";
    options.tree_name = settings.quota.tree_name;
    options.resync_interval = settings.kubernetes.resync_interval;
    options.watch_timeout = settings.kubernetes.watch_timeout;
    if (const config::LeaderElectionSettings& le = settings.leader_election; le.enabled) {
      const std::string identity =
          le.identity.empty() ? kube::DefaultLeaderIdentity() : le.identity;
      // Each replica's requests name it, in the API server's audit log as in its own.
      api_config_.user_agent = fmt::format("{} ({})", api_config_.user_agent, identity);
      if (le.mode == "followScheduler") {
        kube::LeaseFollowOptions follow;
        follow.lease_namespace = le.follow_lease_namespace;
        follow.lease_name = le.follow_lease_name;
        follow.identity_prefix =
            le.follow_identity_prefix.empty() ? kube::Hostname() + "_" : le.follow_identity_prefix;
        follow.retry_period = le.retry_period;
        follow.margin = le.follow_margin;
        Log(spdlog::level::info,
            "sidecar mode: leading while the scheduler beside this replica does",
            {{"lease", follow.lease_namespace + "/" + follow.lease_name},
             {"holder_prefix", follow.identity_prefix}});
        options.follow = follow;
      } else {
        kube::LeaderElectionOptions election;
        election.lease_namespace = le.lease_namespace;
        election.lease_name = le.lease_name;
        election.identity = identity;
        election.lease_duration = le.lease_duration;
        election.renew_deadline = le.renew_deadline;
        election.retry_period = le.retry_period;
        options.election = election;
      }
      if (!le.pod_label.empty()) {
        state::LeaderLabelOptions label;
        label.label = le.pod_label;
        const char* pod = std::getenv("POD_NAME");
        const char* ns = std::getenv("POD_NAMESPACE");
        label.pod_name = pod != nullptr ? pod : "";
        label.pod_namespace = ns != nullptr ? ns : "";
        if (std::string why = state::ValidateLeaderLabel(label); !why.empty()) {
          Log(spdlog::level::critical, "leaderElection.podLabel cannot be used", {{"error", why}});
          return false;
        }
        options.leader_label = label;
      }
    }
    live_ = std::make_unique<state::LiveCluster>(ioc, api_config_, ledger_.get(),
                                                 quota_metrics_.get(), &registry_, options);
    return true;
  }
  if (!error.empty()) {
    Log(spdlog::level::critical, "cannot configure the Kubernetes API client", {{"error", error}});
    return false;
  }
  if (settings.leader_election.enabled) {
    Log(spdlog::level::critical, "leaderElection needs the API server",
        {{"hint", "pass --kubeconfig, or run in a pod with a service account"}});
    return false;
  }
  if (source == "kubernetes") {
    Log(spdlog::level::critical, "quota.source kubernetes needs the API server",
        {{"hint", "pass --kubeconfig, or run in a pod with a service account"}});
    return false;
  }
  return true;
}

// RequeueTrackingDecider(GpuDecider(QuotaDecider)) with the reclaimer attached, over the live
// cluster, inside a LeaderGateDecider with leader election; PassThroughDecider without one.
void Service::BuildDeciders(const config::Settings& settings, asio::io_context& ioc) {
  if (!live_) {
    decider_ = std::make_unique<PassThroughDecider>();
    return;
  }
  state::QuotaDeciderOptions options;
  options.reservation_ttl = settings.quota.reservation_ttl;
  options.fit_resources = settings.node_fit.resources;
  options.enricher = pod_enricher_;
  options.devices = gpu_reclaim_fit_.get();
  options.claims = dra_reclaim_fit_.get();
  state::LiveCluster* cluster = live_.get();
  auto quota_decider = std::make_unique<state::QuotaDecider>(
      ledger_.get(), &live_->state(), live_->binder(),
      [cluster] { return cluster->NotSyncedReason(); }, options, quota_metrics_.get());
  if (ledger_ && settings.reclaim.enabled) {
    state::ReclaimerOptions reclaim;
    reclaim.deadline = settings.reclaim.deadline;
    reclaim.budget_backoff = settings.reclaim.disruption_budget_backoff;
    reclaim.scheduler_names = settings.reclaim.scheduler_names;
    reclaim.devices = reclaim_fit_.get();
    reclaim.dra = dra_.get();
    reclaimer_ = std::make_unique<state::Reclaimer>(
        ioc, ledger_.get(), &live_->state(), live_->evictor(), &registry_, quota_metrics_.get(),
        [cluster] { return cluster->synced(); }, reclaim);
    quota_decider->AttachReclaimer(reclaimer_.get());
  }
  gpu_patcher_ = std::make_unique<state::ApiPodPatcher>(&live_->client(), live_->fence());
  state::RegisterGpuMetrics(&registry_, gpu_state_.get());
  decider_ = std::make_unique<state::RequeueTrackingDecider>(
      std::make_unique<state::GpuDecider>(std::move(quota_decider), gpu_state_.get(),
                                          gpu_patcher_.get()),
      live_->requeuer());
  if (live_->fence() != nullptr) {
    decider_ = std::make_unique<state::LeaderGateDecider>(std::move(decider_), live_->fence());
  }
}

bool Service::Start(std::string* error) {
  if (watcher_) watcher_->Start();
  if (!server_->Start(error)) return false;
  if (live_) {
    readiness_.Set(false, "syncing with the API server");
    live_->Start();
  } else {
    readiness_.Set(true, "serving");
  }
  asio::co_spawn(*ioc_, housekeeper_->Run(&stopping_), asio::detached);
  return true;
}

void Service::Stop(std::chrono::milliseconds grace, std::function<void()> done) {
  readiness_.Set(false, "shutting down");
  stopping_ = true;
  if (watcher_) watcher_->Stop();
  // The API connection outlives the drain: binds in flight reach the API server, and the
  // lease is released after the last of them.
  server_->Shutdown(grace, [this, done = std::move(done)]() mutable {
    if (live_) {
      live_->Stop(std::move(done));
    } else {
      done();
    }
  });
}

}  // namespace quotient::extender
