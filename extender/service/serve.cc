#include "extender/service/serve.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <atomic>
#include <cstdlib>
#include <thread>

#include "config/gpu_catalog_yaml.h"
#include "config/values.h"
#include "extender/debug/endpoints.h"
#include "extender/wire/decider.h"
#include "extender/debug/decision_log.h"
#include "extender/http/http_server.h"
#include "extender/kube/client_config.h"
#include "extender/telemetry/logging.h"
#include "extender/state/quota_file_watcher.h"
#include "extender/telemetry/quota_metrics.h"
#include "extender/service/reclaim_status.h"
#include "extender/http/readiness.h"
#include "extender/http/router.h"
#include "extender/service/live_cluster.h"
#include "extender/decide/gpu_decider.h"
#include "extender/devices/gpu_equivalent_enricher.h"
#include "extender/devices/gpu_reclaim_fit.h"
#include "extender/devices/gpu_metrics.h"
#include "extender/decide/quota_decider.h"
#include "extender/control/reclaimer.h"
#include "extender/decide/requeue_tracking_decider.h"

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
  }
  return ok;
}

std::shared_ptr<const quota::QuotaTree> EmptyQuotaTree() {
  quota::QuotaNodeSpec root;
  root.name = "root";
  return quota::QuotaTree::Build(root);
}

// Once a second: expire reservations whose pods never bound, run a reclaim pass, have
// the scheduler retry refused pods that may fit now (after a quota reload or expired
// reservations, and the watch race of requeuer.h), and publish the watch health to
// /readyz (logging each change of state once).
asio::awaitable<void> Housekeeping(quota::QuotaLedger* ledger, state::LiveCluster* live,
                                   state::Reclaimer* reclaimer, Readiness* readiness,
                                   const std::atomic<bool>* stopping) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::string last_summary_kind;
  // Held, so that a new tree can never reuse the address of the one compared with.
  std::shared_ptr<const quota::QuotaTree> last_tree = ledger ? ledger->tree() : nullptr;
  while (!stopping->load()) {
    timer.expires_after(std::chrono::seconds(1));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || stopping->load()) break;
    size_t expired = 0;
    if (ledger != nullptr) {
      if (expired = ledger->ExpireReservations(quota::Clock::now()); expired > 0) {
        Log(spdlog::level::info, "reservations expired",
            {{"count", fmt::format_int(expired).c_str()}});
      }
    }
    if (live == nullptr) continue;
    if (expired > 0) live->requeuer()->NudgeAll(state::NudgeTrigger::kReservationExpiry);
    if (reclaimer != nullptr) reclaimer->RunPass();
    // A reloaded tree may admit pods refused before: have the scheduler retry them.
    if (ledger != nullptr && ledger->tree() != last_tree) {
      last_tree = ledger->tree();
      live->requeuer()->NudgeAll(state::NudgeTrigger::kQuotaReload);
    }
    live->requeuer()->NudgeStale();
    state::LiveHealth health = live->health();
    readiness->Set(health.synced, health.summary);
    std::string kind = !health.synced ? "syncing" : health.connected ? "synced" : "degraded";
    if (kind != last_summary_kind) {
      Log(kind == "degraded" ? spdlog::level::warn : spdlog::level::info, "cluster state",
          {{"state", kind}, {"detail", health.summary}});
      last_summary_kind = kind;
    }
  }
}

}  // namespace

int RunServe(const config::Settings& settings, const ServeHooks& hooks) {
  const auto& s = settings.server;
  unsigned threads = s.threads > 0 ? static_cast<unsigned>(s.threads)
                                   : std::max(1u, std::thread::hardware_concurrency());
  asio::io_context ioc(static_cast<int>(threads));

  metrics::Registry registry;
  ServerMetrics server_metrics(&registry);
  Readiness readiness;

  // The quota tree: from a file, loaded before listening (an invalid file fails
  // start-up) and watched for edits; or from the ElasticQuotaTree object, published by
  // its watch (until then the tree is empty and filter waits for the first sync).
  const std::string quota_source = settings.QuotaSource();
  std::unique_ptr<quota::QuotaLedger> ledger;
  std::unique_ptr<QuotaFileWatcher> watcher;
  std::string quota_text;
  if (quota_source == "kubernetes") {
    ledger = std::make_unique<quota::QuotaLedger>(
        EmptyQuotaTree(), quota::QuotaLedger::Options{settings.quota.allow_unquoted_namespaces});
  } else if (quota_source == "file") {
    std::shared_ptr<const quota::QuotaTree> tree;
    config::ConfigErrors errors;
    if (!ReadQuotaFile(settings.quota.file, &quota_text)) {
      errors.push_back({settings.quota.file, 0, "", "cannot read the file"});
    } else {
      CompileQuotaText(quota_text, settings.quota.file, &tree, &errors);
    }
    if (!errors.empty()) {
      Log(spdlog::level::critical, "invalid quota file",
          {{"file", settings.quota.file}, {"detail", config::FormatErrors(errors)}});
      return 1;
    }
    ledger = std::make_unique<quota::QuotaLedger>(
        tree, quota::QuotaLedger::Options{settings.quota.allow_unquoted_namespaces});
  }
  QuotaMetrics quota_metrics(&registry, ledger.get());
  if (quota_source == "file") {
    quota_metrics.CountReload(
        "quota_file", true,
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
            .count());
    watcher = std::make_unique<QuotaFileWatcher>(ioc, settings.quota.file,
                                                 settings.quota.reload_interval,
                                                 std::move(quota_text), ledger.get(),
                                                 &quota_metrics);
    watcher->Start();
  }

  // The live cluster: without an API connection the webhooks pass through.
  kube::ClientConfig api_config;
  std::string api_error;
  // Device-level GPU state from the same watches, for the GPU decorator (docs/gpu.md);
  // declared before `live`, whose watches feed it, so it outlives them.
  gpu::MigCatalog gpu_catalog = gpu::BuiltinMigCatalog();
  if (!settings.gpu.catalog_file.empty()) {
    config::ConfigErrors errors;
    if (!config::LoadGpuCatalogFile(settings.gpu.catalog_file, gpu::BuiltinMigCatalog(),
                                    &gpu_catalog, &errors)) {
      Log(spdlog::level::critical, "invalid GPU catalog file",
          {{"file", settings.gpu.catalog_file}, {"detail", config::FormatErrors(errors)}});
      return 1;
    }
    // kube-scheduler filters out every node for a MIG resource no node advertises unless
    // its extender entry lists it as ignoredByScheduler (docs/gpu.md).
    if (std::vector<std::string> added =
            gpu_catalog.MigResourceNamesNotIn(gpu::BuiltinMigCatalog());
        !added.empty()) {
      Log(spdlog::level::warn, "the GPU catalog adds MIG resources the shipped scheduler "
                               "configurations do not list under managedResources",
          {{"resources", fmt::format("{}", fmt::join(added, ","))},
           {"hint", "quotient mig-resources --catalog " + settings.gpu.catalog_file +
                        " prints the list for the scheduler configuration"}});
    }
  }
  for (const auto& [profile, milli] : settings.gpu.equivalent_milli) {
    bool known = false;
    for (const gpu::GpuModel& model : gpu_catalog.models()) {
      known = known || model.FindProfile(profile) >= 0;
    }
    if (!known) {
      Log(spdlog::level::critical, "invalid gpu.equivalentMilli",
          {{"profile", profile}, {"detail", "no GPU model of the catalog has this MIG profile"}});
      return 1;
    }
  }
  // The GPU-equivalent charge (quotient.io/gpu-milli) of every decoded pod.
  gpu::EquivalentOptions equivalent_options;
  equivalent_options.profile_milli = settings.gpu.equivalent_milli;
  equivalent_options.share_unit_mib = settings.gpu.memory_share_unit_mib;
  const state::GpuEquivalentEnricher enricher(&gpu_catalog, equivalent_options);
  gpu::InventoryOptions inventory;
  const size_t eq = settings.gpu.dynamic_mig_label.find('=');  // validated: key=value
  inventory.dynamic_mig_label = settings.gpu.dynamic_mig_label.substr(0, eq);
  inventory.dynamic_mig_value = settings.gpu.dynamic_mig_label.substr(eq + 1);
  inventory.model_label = settings.gpu.model_label;
  inventory.share_unit_mib = settings.gpu.memory_share_unit_mib;
  gpu::ParsePackPolicy(settings.gpu.placement, &inventory.pack);  // validated
  inventory.placement_label = settings.gpu.placement_label;
  state::GpuState gpu_state(&gpu_catalog, inventory);
  // Reclaim and the preempt verb check GPU pods' plans at device level on it.
  const state::GpuReclaimFit gpu_reclaim_fit(&gpu_state);
  std::unique_ptr<state::LiveCluster> live;
  if (ResolveApiConfig(settings.kubernetes, &api_config, &api_error)) {
    state::LiveClusterOptions live_options;
    live_options.observer = &gpu_state;
    live_options.enricher = &enricher;
    live_options.watch_quota_tree = quota_source == "kubernetes";
    live_options.tree_name = settings.quota.tree_name;
    live_options.resync_interval = settings.kubernetes.resync_interval;
    live_options.watch_timeout = settings.kubernetes.watch_timeout;
    live = std::make_unique<state::LiveCluster>(ioc, api_config, ledger.get(), &quota_metrics,
                                                &registry, live_options);
  } else if (!api_error.empty()) {
    Log(spdlog::level::critical, "cannot configure the Kubernetes API client",
        {{"error", api_error}});
    return 1;
  } else if (quota_source == "kubernetes") {
    Log(spdlog::level::critical, "quota.source kubernetes needs the API server",
        {{"hint", "pass --kubeconfig, or run in a pod with a service account"}});
    return 1;
  }
  std::unique_ptr<Decider> decider;
  std::unique_ptr<state::Reclaimer> reclaimer;  // after `live`: destroyed before it
  std::unique_ptr<state::ApiPodPatcher> gpu_patcher;
  if (live) {
    state::QuotaDeciderOptions options;
    options.reservation_ttl = settings.quota.reservation_ttl;
    options.fit_resources = settings.node_fit.resources;
    options.enricher = &enricher;
    options.devices = &gpu_reclaim_fit;
    state::LiveCluster* cluster = live.get();
    auto quota_decider = std::make_unique<state::QuotaDecider>(
        ledger.get(), &live->state(), live->binder(),
        [cluster] { return cluster->synced(); }, options, &quota_metrics);
    if (ledger && settings.reclaim.enabled) {
      state::ReclaimerOptions reclaim_options;
      reclaim_options.deadline = settings.reclaim.deadline;
      reclaim_options.budget_backoff = settings.reclaim.disruption_budget_backoff;
      reclaim_options.scheduler_names = settings.reclaim.scheduler_names;
      reclaim_options.devices = &gpu_reclaim_fit;
      reclaimer = std::make_unique<state::Reclaimer>(
          ioc, ledger.get(), &live->state(), live->evictor(), &registry, &quota_metrics,
          [cluster] { return cluster->synced(); }, reclaim_options);
      quota_decider->AttachReclaimer(reclaimer.get());
    }
    gpu_patcher = std::make_unique<state::ApiPodPatcher>(&live->client());
    state::RegisterGpuMetrics(&registry, &gpu_state);
    decider = std::make_unique<state::RequeueTrackingDecider>(
        std::make_unique<state::GpuDecider>(std::move(quota_decider), &gpu_state,
                                            gpu_patcher.get()),
        live->requeuer());
  } else {
    decider = std::make_unique<PassThroughDecider>();
  }
  // What /debug/explain and /debug/quota read: the last verdict per pod (bounded) and
  // the ledger, and the reclaims under way (none without a reclaimer).
  DecisionLog decisions;
  ReclaimerStatusSource reclaim_status(reclaimer.get());
  DebugEndpoints debug(ledger.get(), settings.quota.allow_unquoted_namespaces, &decisions,
                       &reclaim_status);
  Router router(s.url_prefix, decider.get(), &server_metrics, &registry, &readiness, &debug,
                &decisions, live ? &enricher : nullptr);
  HttpServer server(ioc, ToServerOptions(s), &router, &server_metrics);

  std::string error;
  if (!server.Start(&error)) {
    Log(spdlog::level::critical, "start failed", {{"error", error}});
    return 1;
  }
  std::vector<uint16_t> ports = server.BoundPorts();
  std::atomic<bool> stopping{false};
  if (live) {
    readiness.Set(false, "syncing with the API server");
    live->Start();
  } else {
    readiness.Set(true, "serving");
  }
  asio::co_spawn(ioc,
                 Housekeeping(ledger.get(), live.get(), reclaimer.get(), &readiness, &stopping),
                 asio::detached);
  Log(spdlog::level::info, "serving",
      {{"listen", s.listen},
       {"port", fmt::format_int(ports[0]).c_str()},
       {"metrics_listen", s.metrics_listen.empty() ? "(same)" : s.metrics_listen},
       {"tls", s.tls.enabled() ? (s.tls.client_ca_file.empty() ? "on" : "mutual") : "off"},
       {"url_prefix", NormalizeUrlPrefix(s.url_prefix)},
       {"threads", fmt::format_int(threads).c_str()},
       {"decider", decider->Describe()},
       {"api_server", live ? api_config.server : "(none: webhooks pass through)"},
       {"quota_source", quota_source.empty() ? "(none)" : quota_source},
       {"quota_file", settings.quota.file.empty() ? "(none)" : settings.quota.file},
       {"quota_nodes", fmt::format_int(ledger ? ledger->tree()->size() : 0).c_str()}});
  if (hooks.on_listening) hooks.on_listening(ports);

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (ec) return;
    Log(spdlog::level::info, "shutting down",
        {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"},
         {"grace", config::FormatDuration(s.shutdown_grace)}});
    readiness.Set(false, "shutting down");
    stopping = true;
    if (watcher) watcher->Stop();
    if (live) live->Stop();
    server.Shutdown(s.shutdown_grace, [&] {
      Log(spdlog::level::info, "stopped", {});
      ioc.stop();
    });
  });

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  return 0;
}

}  // namespace quotient::extender
