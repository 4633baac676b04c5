#include "extender/service/serve.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <thread>

#include "config/values.h"
#include "extender/http/router.h"
#include "extender/service/service.h"
#include "extender/telemetry/logging.h"

namespace quotient::extender {

namespace asio = boost::asio;

namespace {

void LogServing(const config::Settings& settings, Service& service, unsigned threads,
                const std::vector<uint16_t>& ports) {
  const auto& s = settings.server;
  const std::string source = settings.QuotaSource();
  quota::QuotaLedger* ledger = service.ledger();
  Log(spdlog::level::info, "serving",
      {{"listen", s.listen},
       {"port", fmt::format_int(ports[0]).c_str()},
       {"metrics_listen", s.metrics_listen.empty() ? "(same)" : s.metrics_listen},
       {"tls", s.tls.enabled() ? (s.tls.client_ca_file.empty() ? "on" : "mutual") : "off"},
       {"url_prefix", NormalizeUrlPrefix(s.url_prefix)},
       {"threads", fmt::format_int(threads).c_str()},
       {"decider", service.decider().Describe()},
       {"api_server", service.live() ? service.api_server() : "(none: webhooks pass through)"},
       {"quota_source", source.empty() ? "(none)" : source},
       {"quota_file", settings.quota.file.empty() ? "(none)" : settings.quota.file},
       {"quota_nodes", fmt::format_int(ledger ? ledger->tree()->size() : 0).c_str()}});
}

}  // namespace

int RunServe(const config::Settings& settings, const ServeHooks& hooks) {
  const auto& s = settings.server;
  unsigned threads = s.threads > 0 ? static_cast<unsigned>(s.threads)
                                   : std::max(1u, std::thread::hardware_concurrency());
  asio::io_context ioc(static_cast<int>(threads));

  std::unique_ptr<Service> service = Service::Build(settings, ioc);
  if (!service) return 1;  // Build logged why
  std::string error;
  if (!service->Start(&error)) {
    Log(spdlog::level::critical, "start failed", {{"error", error}});
    return 1;
  }
  std::vector<uint16_t> ports = service->BoundPorts();
  LogServing(settings, *service, threads, ports);
  if (hooks.on_listening) hooks.on_listening(ports);

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (ec) return;
    Log(spdlog::level::info, "shutting down",
        {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"},
         {"grace", config::FormatDuration(s.shutdown_grace)}});
    service->Stop(s.shutdown_grace, [&] {
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
