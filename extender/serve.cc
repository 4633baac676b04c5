#include "extender/serve.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include <thread>

#include "config/values.h"
#include "extender/decider.h"
#include "extender/http_server.h"
#include "extender/logging.h"
#include "extender/quota_file_watcher.h"
#include "extender/quota_metrics.h"
#include "extender/readiness.h"
#include "extender/router.h"

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

}  // namespace

int RunServe(const config::Settings& settings, const ServeHooks& hooks) {
  const auto& s = settings.server;
  unsigned threads = s.threads > 0 ? static_cast<unsigned>(s.threads)
                                   : std::max(1u, std::thread::hardware_concurrency());
  asio::io_context ioc(static_cast<int>(threads));

  metrics::Registry registry;
  ServerMetrics server_metrics(&registry);
  Readiness readiness;

  // The quota tree: loaded before listening (an invalid file fails start-up), then
  // watched for edits. Decisions do not use it yet: that needs the live pod state.
  std::unique_ptr<quota::QuotaLedger> ledger;
  std::unique_ptr<QuotaFileWatcher> watcher;
  std::string quota_text;
  if (!settings.quota.file.empty()) {
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
  if (ledger) {
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
  PassThroughDecider decider;
  Router router(s.url_prefix, &decider, &server_metrics, &registry, &readiness);
  HttpServer server(ioc, ToServerOptions(s), &router, &server_metrics);

  std::string error;
  if (!server.Start(&error)) {
    Log(spdlog::level::critical, "start failed", {{"error", error}});
    return 1;
  }
  std::vector<uint16_t> ports = server.BoundPorts();
  readiness.Set(true, "serving");
  Log(spdlog::level::info, "serving",
      {{"listen", s.listen},
       {"port", fmt::format_int(ports[0]).c_str()},
       {"metrics_listen", s.metrics_listen.empty() ? "(same)" : s.metrics_listen},
       {"tls", s.tls.enabled() ? (s.tls.client_ca_file.empty() ? "on" : "mutual") : "off"},
       {"url_prefix", NormalizeUrlPrefix(s.url_prefix)},
       {"threads", fmt::format_int(threads).c_str()},
       {"decider", decider.Describe()},
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
    if (watcher) watcher->Stop();
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
