#include "config/server_config.h"

#include <fmt/format.h>

#include <algorithm>

#include "config/k8s_names.h"
#include "config/text_file.h"
#include "config/values.h"
#include "config/yaml_reader.h"

namespace quotient::config {
namespace {

// gpu.equivalentMilli: a map of MIG profile -> thousandths of a GPU (1..8000 each).
void ReadEquivalentMilli(YamlReader& r, const YAML::Node& node,
                         std::vector<std::pair<std::string, int64_t>>* out) {
  constexpr std::string_view kPath = "gpu.equivalentMilli";
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    r.Error(node, kPath, "must be a map of MIG profile to thousandths of a GPU");
    return;
  }
  out->clear();
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      r.Error(entry.first, kPath, "keys must be MIG profile names (\"3g.20gb\")");
      continue;
    }
    const std::string profile = entry.first.Scalar();
    int64_t milli = 0;
    r.Int(node, profile, kPath, 1, 8000, &milli);
    if (milli > 0) out->emplace_back(profile, milli);
  }
}

// dra.deviceClasses: a list of {deviceClass, resource, mode, source, driver}. Each entry's
// own rules are checked here, where the lines are known; DeviceChargeConfig::Build checks
// them again in ValidateSettings (for settings built in code).
void ReadDeviceClasses(YamlReader& r, const YAML::Node& dra,
                       std::vector<quota::DeviceClassMapping>* out) {
  constexpr std::string_view kPath = "dra.deviceClasses";
  if (!r.Map(dra, "dra", {"deviceClasses"}) || !dra.IsMap()) return;
  YAML::Node list = dra["deviceClasses"];
  if (!list.IsDefined() || list.IsNull()) return;
  if (!list.IsSequence()) {
    r.Error(list, kPath, "expected a list of device class mappings");
    return;
  }
  out->clear();
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node entry = list[i];
    const std::string path = fmt::format("{}[{}]", kPath, i);
    if (!r.Map(entry, path, {"deviceClass", "resource", "mode", "source", "driver"}) ||
        !entry.IsMap()) {
      if (!entry.IsMap()) r.Error(entry, path, "expected a mapping");
      continue;
    }
    quota::DeviceClassMapping m;
    std::string mode = "devices";
    r.String(entry, "deviceClass", path, &m.device_class);
    r.String(entry, "resource", path, &m.resource);
    r.String(entry, "mode", path, &mode);
    r.String(entry, "source", path, &m.source);
    r.String(entry, "driver", path, &m.driver);
    auto error = [&](std::string_view field, std::string message) {
      const YAML::Node at = entry[std::string(field)];
      r.Error(at.IsDefined() ? at : entry, fmt::format("{}.{}", path, field), std::move(message));
    };
    if (m.device_class.empty()) error("deviceClass", "must name a DeviceClass");
    if (m.resource.empty() || m.resource.find(' ') != std::string::npos) {
      error("resource",
            fmt::format("must name the quota resource charged, got \"{}\"", m.resource));
    }
    if (mode == "devices") {
      m.mode = quota::DeviceChargeMode::kDevices;
    } else if (mode == "counter") {
      m.mode = quota::DeviceChargeMode::kCounter;
    } else if (mode == "capacity") {
      m.mode = quota::DeviceChargeMode::kCapacity;
    } else {
      error("mode", fmt::format("must be devices, counter or capacity, got \"{}\"", mode));
      continue;
    }
    if (m.mode == quota::DeviceChargeMode::kDevices) {
      if (!m.source.empty()) error("source", "mode devices counts devices: remove source");
    } else {
      if (m.source.empty() || m.source == "*") {
        error("source", fmt::format("mode {} needs the {} to charge", mode,
                                    m.mode == quota::DeviceChargeMode::kCounter
                                        ? "shared counter (a trailing * sums a prefix)"
                                        : "capacity name"));
      }
      if (m.driver.empty()) {
        error("driver", fmt::format("mode {} needs the driver whose published devices bound the "
                                    "charge before allocation",
                                    mode));
      }
    }
    for (size_t j = 0; j < out->size(); ++j) {
      if (!m.device_class.empty() && (*out)[j].device_class == m.device_class) {
        error("deviceClass",
              fmt::format("\"{}\" is mapped twice (also {}[{}])", m.device_class, kPath, j));
      }
    }
    out->push_back(std::move(m));
  }
}

}  // namespace

bool LoadSettings(std::string_view yaml_text, std::string_view source, Settings* out,
                  ConfigErrors* errors) {
  size_t before = errors->size();
  YamlReader r{std::string(source), errors};
  YAML::Node root;
  if (!r.Parse(yaml_text, &root)) return false;
  r.Map(root, "",
        {"server", "quota", "kubernetes", "nodeFit", "reclaim", "gpu", "leaderElection", "dra",
         "log"});
  if (root.IsMap()) {
    YAML::Node server = root["server"];
    if (r.Map(server, "server",
              {"listen", "urlPrefix", "metricsListen", "threads", "shutdownGracePeriod", "tls",
               "limits"}) &&
        server.IsMap()) {
      ServerSettings& s = out->server;
      r.String(server, "listen", "server", &s.listen);
      r.String(server, "urlPrefix", "server", &s.url_prefix);
      r.String(server, "metricsListen", "server", &s.metrics_listen);
      r.Int(server, "threads", "server", 0, 256, &s.threads);
      r.Duration(server, "shutdownGracePeriod", "server", &s.shutdown_grace);
      YAML::Node tls = server["tls"];
      if (r.Map(tls, "server.tls", {"certFile", "keyFile", "clientCAFile"}) && tls.IsMap()) {
        r.String(tls, "certFile", "server.tls", &s.tls.cert_file);
        r.String(tls, "keyFile", "server.tls", &s.tls.key_file);
        r.String(tls, "clientCAFile", "server.tls", &s.tls.client_ca_file);
      }
      YAML::Node limits = server["limits"];
      if (r.Map(limits, "server.limits",
                {"maxBodyBytes", "maxHeaderBytes", "idleTimeout", "headerTimeout", "bodyTimeout",
                 "writeTimeout", "maxFileBytes"}) &&
          limits.IsMap()) {
        LimitSettings& l = s.limits;
        r.ByteSize(limits, "maxBodyBytes", "server.limits", &l.max_body_bytes);
        r.ByteSize(limits, "maxHeaderBytes", "server.limits", &l.max_header_bytes);
        r.Duration(limits, "idleTimeout", "server.limits", &l.idle_timeout);
        r.Duration(limits, "headerTimeout", "server.limits", &l.header_timeout);
        r.Duration(limits, "bodyTimeout", "server.limits", &l.body_timeout);
        r.Duration(limits, "writeTimeout", "server.limits", &l.write_timeout);
        r.ByteSize(limits, "maxFileBytes", "server.limits", &l.max_file_bytes);
      }
    }
    YAML::Node quota = root["quota"];
    if (r.Map(quota, "quota",
              {"source", "file", "treeName", "reloadInterval", "unquotedNamespaces",
               "reservationTTL"}) &&
        quota.IsMap()) {
      QuotaSettings& q = out->quota;
      r.String(quota, "source", "quota", &q.source);
      r.String(quota, "file", "quota", &q.file);
      r.String(quota, "treeName", "quota", &q.tree_name);
      r.Duration(quota, "reloadInterval", "quota", &q.reload_interval);
      r.Duration(quota, "reservationTTL", "quota", &q.reservation_ttl);
      std::string policy;
      if (r.Scalar(quota, "unquotedNamespaces", "quota", &policy)) {
        if (policy == "allow" || policy == "deny") {
          q.allow_unquoted_namespaces = policy == "allow";
        } else {
          r.Error(quota["unquotedNamespaces"], "quota.unquotedNamespaces",
                  fmt::format("must be allow or deny, got \"{}\"", policy));
        }
      }
    }
    YAML::Node kube = root["kubernetes"];
    if (r.Map(kube, "kubernetes",
              {"kubeconfig", "context", "qps", "burst", "maxConnections", "resyncInterval",
               "watchTimeout"}) &&
        kube.IsMap()) {
      KubernetesSettings& k = out->kubernetes;
      r.String(kube, "kubeconfig", "kubernetes", &k.kubeconfig);
      r.String(kube, "context", "kubernetes", &k.context);
      r.Int(kube, "qps", "kubernetes", 1, 100'000, &k.qps);
      r.Int(kube, "burst", "kubernetes", 1, 100'000, &k.burst);
      r.Int(kube, "maxConnections", "kubernetes", 1, 1024, &k.max_connections);
      r.Duration(kube, "resyncInterval", "kubernetes", &k.resync_interval);
      r.Duration(kube, "watchTimeout", "kubernetes", &k.watch_timeout);
    }
    YAML::Node fit = root["nodeFit"];
    if (r.Map(fit, "nodeFit", {"resources"}) && fit.IsMap()) {
      r.StringList(fit, "resources", "nodeFit", &out->node_fit.resources);
    }
    YAML::Node reclaim = root["reclaim"];
    if (r.Map(reclaim, "reclaim",
              {"enabled", "deadline", "disruptionBudgetBackoff", "schedulerNames"}) &&
        reclaim.IsMap()) {
      ReclaimSettings& rc = out->reclaim;
      r.Bool(reclaim, "enabled", "reclaim", &rc.enabled);
      r.Duration(reclaim, "deadline", "reclaim", &rc.deadline);
      r.Duration(reclaim, "disruptionBudgetBackoff", "reclaim", &rc.disruption_budget_backoff);
      r.StringList(reclaim, "schedulerNames", "reclaim", &rc.scheduler_names);
    }
    YAML::Node election = root["leaderElection"];
    if (r.Map(election, "leaderElection",
              {"enabled", "mode", "leaseNamespace", "leaseName", "identity", "leaseDuration",
               "renewDeadline", "retryPeriod", "podLabel", "followLeaseNamespace",
               "followLeaseName", "followIdentityPrefix", "followMargin"}) &&
        election.IsMap()) {
      LeaderElectionSettings& le = out->leader_election;
      r.Bool(election, "enabled", "leaderElection", &le.enabled);
      r.String(election, "leaseNamespace", "leaderElection", &le.lease_namespace);
      r.String(election, "leaseName", "leaderElection", &le.lease_name);
      r.String(election, "identity", "leaderElection", &le.identity);
      r.Duration(election, "leaseDuration", "leaderElection", &le.lease_duration);
      r.Duration(election, "renewDeadline", "leaderElection", &le.renew_deadline);
      r.Duration(election, "retryPeriod", "leaderElection", &le.retry_period);
      r.String(election, "podLabel", "leaderElection", &le.pod_label);
      r.String(election, "mode", "leaderElection", &le.mode);
      r.String(election, "followLeaseNamespace", "leaderElection", &le.follow_lease_namespace);
      r.String(election, "followLeaseName", "leaderElection", &le.follow_lease_name);
      r.String(election, "followIdentityPrefix", "leaderElection", &le.follow_identity_prefix);
      r.Duration(election, "followMargin", "leaderElection", &le.follow_margin);
    }
    YAML::Node gpu = root["gpu"];
    if (r.Map(gpu, "gpu",
              {"catalogFile", "dynamicMigLabel", "modelLabel", "memoryShareUnitMiB", "placement",
               "placementLabel", "equivalentMilli"}) &&
        gpu.IsMap()) {
      GpuSettings& g = out->gpu;
      r.String(gpu, "catalogFile", "gpu", &g.catalog_file);
      r.String(gpu, "dynamicMigLabel", "gpu", &g.dynamic_mig_label);
      r.String(gpu, "modelLabel", "gpu", &g.model_label);
      r.Int(gpu, "memoryShareUnitMiB", "gpu", 1, 1 << 20, &g.memory_share_unit_mib);
      r.String(gpu, "placement", "gpu", &g.placement);
      r.String(gpu, "placementLabel", "gpu", &g.placement_label);
      ReadEquivalentMilli(r, gpu["equivalentMilli"], &g.equivalent_milli);
    }
    ReadDeviceClasses(r, root["dra"], &out->dra.device_classes);
    YAML::Node log = root["log"];
    if (r.Map(log, "log", {"format", "level"}) && log.IsMap()) {
      r.String(log, "format", "log", &out->log.format);
      r.String(log, "level", "log", &out->log.level);
    }
  }
  ValidateSettings(*out, source, errors);
  return errors->size() == before;
}

bool LoadSettingsFile(const std::string& path, Settings* out, ConfigErrors* errors) {
  std::string text;
  if (!ReadTextFile(path, kDefaultMaxFileBytes, &text, errors)) return false;
  return LoadSettings(text, path, out, errors);
}

bool ValidateSettings(const Settings& settings, std::string_view source, ConfigErrors* errors) {
  size_t before = errors->size();
  auto add = [&](std::string path, std::string message) {
    errors->push_back({std::string(source), 0, std::move(path), std::move(message)});
  };
  std::string host;
  uint16_t port = 0;
  std::string error;
  const ServerSettings& s = settings.server;
  if (!ParseHostPort(s.listen, &host, &port, &error)) add("server.listen", error);
  if (!s.metrics_listen.empty() && !ParseHostPort(s.metrics_listen, &host, &port, &error)) {
    add("server.metricsListen", error);
  }
  if (s.tls.cert_file.empty() != s.tls.key_file.empty()) {
    add("server.tls", "certFile and keyFile must be set together");
  }
  if (!s.tls.client_ca_file.empty() && !s.tls.enabled()) {
    add("server.tls.clientCAFile", "requires certFile and keyFile (mutual TLS needs TLS)");
  }
  if (s.limits.max_body_bytes == 0) add("server.limits.maxBodyBytes", "must be positive");
  if (s.limits.max_header_bytes < 1024) {
    add("server.limits.maxHeaderBytes", "must be at least 1Ki");
  }
  if (s.limits.max_header_bytes > UINT32_MAX) {
    add("server.limits.maxHeaderBytes", "must be below 4Gi");
  }
  for (auto [value, name] : {std::pair{s.limits.idle_timeout, "idleTimeout"},
                             std::pair{s.limits.header_timeout, "headerTimeout"},
                             std::pair{s.limits.body_timeout, "bodyTimeout"},
                             std::pair{s.limits.write_timeout, "writeTimeout"}}) {
    if (value.count() <= 0) add(fmt::format("server.limits.{}", name), "must be positive");
  }
  if (settings.quota.reload_interval.count() < 50) {
    add("quota.reloadInterval", "must be at least 50ms");
  }
  if (settings.quota.reservation_ttl.count() <= 0) {
    add("quota.reservationTTL", "must be positive");
  }
  const std::string& source_name = settings.quota.source;
  if (!source_name.empty() && source_name != "file" && source_name != "kubernetes") {
    add("quota.source", fmt::format("must be file or kubernetes, got \"{}\"", source_name));
  }
  if (source_name == "file" && settings.quota.file.empty()) {
    add("quota.file", "quota.source is file but no file is set");
  }
  if (source_name == "kubernetes" && !settings.quota.file.empty()) {
    add("quota.file", "quota.source is kubernetes: remove quota.file (one source at a time)");
  }
  if (settings.kubernetes.resync_interval.count() != 0 &&
      settings.kubernetes.resync_interval.count() < 1000) {
    add("kubernetes.resyncInterval", "must be 0 (never) or at least 1s");
  }
  if (settings.kubernetes.watch_timeout.count() < 1000) {
    add("kubernetes.watchTimeout", "must be at least 1s");
  }
  for (const std::string& r : settings.node_fit.resources) {
    if (r.empty() || r.find(' ') != std::string::npos) {
      add("nodeFit.resources", fmt::format("invalid resource name \"{}\"", r));
    }
  }
  if (settings.reclaim.deadline.count() < 1000) add("reclaim.deadline", "must be at least 1s");
  if (settings.reclaim.disruption_budget_backoff.count() <= 0) {
    add("reclaim.disruptionBudgetBackoff", "must be positive");
  }
  if (settings.reclaim.enabled && settings.reclaim.scheduler_names.empty()) {
    add("reclaim.schedulerNames", "must name at least one scheduler while reclaim is enabled");
  }
  if (const LeaderElectionSettings& le = settings.leader_election;
      le.enabled && le.mode == "followScheduler") {
    // Sidecar mode: no Lease of Quotient's own; retryPeriod is the time between looks.
    if (le.follow_lease_namespace.empty()) {
      add("leaderElection.followLeaseNamespace", "must not be empty");
    }
    if (le.follow_lease_name.empty()) add("leaderElection.followLeaseName", "must not be empty");
    if (le.retry_period.count() <= 0) add("leaderElection.retryPeriod", "must be positive");
    if (le.follow_margin.count() <= 0) add("leaderElection.followMargin", "must be positive");
    if (!le.pod_label.empty()) {
      add("leaderElection.podLabel",
          "routes a Service to a standalone leader; in mode followScheduler kube-scheduler calls "
          "the Quotient beside it: leave it empty");
    }
  } else if (le.enabled && le.mode != "lease") {
    add("leaderElection.mode",
        fmt::format("must be lease or followScheduler, got \"{}\"", le.mode));
  } else if (le.enabled) {
    // client-go's rules (kube::ValidateLeaderElection): the lease outlives the renew deadline,
    // which leaves room for retries; the lease is written in whole seconds.
    if (le.lease_namespace.empty()) add("leaderElection.leaseNamespace", "must not be empty");
    if (le.lease_name.empty()) add("leaderElection.leaseName", "must not be empty");
    if (le.lease_duration.count() <= 0 || le.lease_duration.count() % 1000 != 0) {
      add("leaderElection.leaseDuration", "must be a positive whole number of seconds");
    }
    if (le.lease_duration <= le.renew_deadline) {
      add("leaderElection.renewDeadline", "must be shorter than leaseDuration");
    }
    if (le.retry_period.count() <= 0 ||
        le.renew_deadline.count() * 10 <= le.retry_period.count() * 12) {
      add("leaderElection.retryPeriod", "must be positive and renewDeadline longer than 1.2 x it");
    }
    if (std::string why; !le.pod_label.empty() && !ValidateQualifiedName(le.pod_label, &why)) {
      add("leaderElection.podLabel",
          fmt::format("\"{}\" is not a label key: {}", le.pod_label, why));
    }
  }
  const std::string& mig_label = settings.gpu.dynamic_mig_label;
  if (const size_t eq = mig_label.find('=');
      eq == 0 || eq == std::string::npos || eq + 1 == mig_label.size()) {
    add("gpu.dynamicMigLabel", fmt::format("must be key=value, got \"{}\"", mig_label));
  }
  if (settings.gpu.model_label.empty()) add("gpu.modelLabel", "must not be empty");
  if (settings.gpu.placement != "binpack" && settings.gpu.placement != "spread") {
    add("gpu.placement",
        fmt::format("must be binpack or spread, got \"{}\"", settings.gpu.placement));
  }
  if (settings.gpu.placement_label.empty()) add("gpu.placementLabel", "must not be empty");
  // Settings built in code (or whose entries LoadSettings found sound): the domain's rules.
  const bool dra_reported = std::any_of(errors->begin(), errors->end(), [](const ConfigError& e) {
    return e.path.starts_with("dra.");
  });
  if (!settings.dra.device_classes.empty() && !dra_reported) {
    quota::DeviceChargeConfig charge;
    std::string why;
    if (!quota::DeviceChargeConfig::Build(settings.dra.device_classes, &charge, &why)) {
      if (why.starts_with("mappings")) why.erase(0, std::string_view("mappings").size());
      add("dra.deviceClasses" + why.substr(0, why.find(':')), why.substr(why.find(':') + 2));
    }
  }
  if (settings.log.format != "text" && settings.log.format != "json") {
    add("log.format", fmt::format("must be text or json, got \"{}\"", settings.log.format));
  }
  static constexpr std::string_view kLevels[] = {"trace", "debug",    "info", "warn",
                                                 "error", "critical", "off"};
  bool level_ok = false;
  for (auto l : kLevels) level_ok = level_ok || l == settings.log.level;
  if (!level_ok) {
    add("log.level", fmt::format("must be one of trace, debug, info, warn, error, critical, "
                                 "off; got \"{}\"",
                                 settings.log.level));
  }
  return errors->size() == before;
}

}  // namespace quotient::config
