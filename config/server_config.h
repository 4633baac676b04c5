// Quotient's process settings (`quotient serve --config FILE`), their defaults and
// their YAML form. docs/configuration.md is the reference; keep the two in step.
//
//   server:
//     listen: 127.0.0.1:8888        # webhooks (+ health/metrics unless metricsListen is set)
//     urlPrefix: ""                 # the scheduler calls <urlPrefix>/<verb>
//     metricsListen: ""             # e.g. 0.0.0.0:9090: /healthz /readyz /metrics /version, no TLS
//     threads: 0                    # io threads; 0 = one per core
//     shutdownGracePeriod: 10s
//     tls: {certFile: "", keyFile: "", clientCAFile: ""}
//     limits: {maxBodyBytes: 128Mi, maxHeaderBytes: 16Ki, idleTimeout: 90s,
//              headerTimeout: 10s, bodyTimeout: 30s, writeTimeout: 30s,
//              maxFileBytes: 4Mi}     # quota file, GPU catalog (read whole)
//   quota:
//     source: ""                    # file | kubernetes; "" = file if quota.file is set
//     file: ""                      # ElasticQuotaTree YAML; empty: no quota tree
//     treeName: ""                  # source kubernetes: the ElasticQuotaTree in kube-system
//                                   #   ("" = the only one)
//     reloadInterval: 500ms         # how often the file is checked for edits
//     unquotedNamespaces: allow     # allow | deny pods of namespaces on no leaf
//     reservationTTL: 30s           # admitted, not-yet-bound pods hold quota this long
//   kubernetes:
//     kubeconfig: ""                # "" = in-cluster if KUBERNETES_SERVICE_HOST is set,
//                                   #      else no API (webhooks pass through)
//     context: ""                   # kubeconfig context; "" = current-context
//     qps: 50                       # client-side request rate limit (watches excluded)
//     burst: 100
//     maxConnections: 16            # connections carrying requests at once (watches
//                                   #   excluded); more requests wait in line
//     resyncInterval: 10m           # full relist period of every watch
//     watchTimeout: 5m              # server-side timeout of one watch request
//   nodeFit:
//     resources: []                 # resources whose node fit Quotient checks itself
//   dra:
//     deviceClasses: []             # DeviceClass -> quota resource mappings (docs/dra.md):
//                                   #   {deviceClass, resource, mode: devices|counter|capacity,
//                                   #    source, driver}; empty: no DRA watch, no claim charged
//   log: {format: text, level: info}
//
// Thread safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_error.h"
#include "config/text_file.h"
#include "quota/device_charge.h"

namespace quotient::config {

struct TlsSettings {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;  // set: mutual TLS (client certificates required)
  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

struct LimitSettings {
  // 5,000 full Node objects of ~17 KB (nodeCacheCapable: false) are ~85 MB.
  uint64_t max_body_bytes = 128ull << 20;
  uint64_t max_header_bytes = 16ull << 10;
  std::chrono::milliseconds idle_timeout{90'000};
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  // The largest file read while serving: the quota file (at start and on every edit) and
  // the GPU catalog. This settings file itself is read before it is known, with
  // config::kDefaultMaxFileBytes.
  uint64_t max_file_bytes = kDefaultMaxFileBytes;
};

struct ServerSettings {
  std::string listen = "127.0.0.1:8888";
  std::string url_prefix;
  std::string metrics_listen;
  int64_t threads = 0;
  std::chrono::milliseconds shutdown_grace{10'000};
  TlsSettings tls;
  LimitSettings limits;
};

struct QuotaSettings {
  std::string source;  // "", "file" or "kubernetes"
  std::string file;
  std::string tree_name;
  std::chrono::milliseconds reload_interval{500};
  bool allow_unquoted_namespaces = true;
  std::chrono::milliseconds reservation_ttl{30'000};
};

struct KubernetesSettings {
  std::string kubeconfig;
  std::string context;
  int64_t qps = 50;
  int64_t burst = 100;
  // Connections that carry requests at once; more requests wait in line (first in, first
  // out, within their timeout). Watches have their own connections, one per watched
  // collection, outside this bound.
  int64_t max_connections = 16;
  std::chrono::milliseconds resync_interval{10 * 60'000};
  std::chrono::milliseconds watch_timeout{5 * 60'000};
};

struct NodeFitSettings {
  std::vector<std::string> resources;
};

// The GPU model (docs/gpu.md): where the MIG catalog comes from and how nodes say what
// they are.
struct GpuSettings {
  std::string catalog_file;  // YAML models over the built-in catalog ("" = built-in only)
  // "key=value": nodes carrying this label are partitioned on demand (dynamic MIG).
  std::string dynamic_mig_label = "cdmo.clear.ml/gpu-partitioning=mig";
  std::string model_label = "gpu-type";  // plain label naming the GPU model (e.g. T4)
  int64_t memory_share_unit_mib = 1024;  // one aliyun.com/gpu-mem unit (gpushare: GiB)
  // How GPUs are chosen on nodes whose placement label does not say: binpack | spread.
  std::string placement = "binpack";
  // Node label whose value (binpack | spread) sets a node pool's placement.
  std::string placement_label = "quotient.io/gpu-placement";
  // quotient.io/gpu-milli of one MIG device per profile, over the default
  // ceil(1000 x compute slices / the model's): {"3g.20gb", 500}. Profiles must exist in
  // the catalog (checked at start-up, once the catalog is loaded).
  std::vector<std::pair<std::string, int64_t>> equivalent_milli;
};

// Active reclaim of guaranteed quota (extender/control/reclaimer.h, docs/quota.md).
struct ReclaimSettings {
  bool enabled = true;
  std::chrono::milliseconds deadline{120'000};  // a reclaim whose pod has not bound is aborted
  std::chrono::milliseconds disruption_budget_backoff{30'000};    // a refused victim rests
  std::vector<std::string> scheduler_names{"default-scheduler"};  // pods reclaimed for
};

// Leader election among replicas (extender/kube/leader_elector.h, docs/operations.md "High
// availability"): only the replica holding the Lease decides and writes to the API. In
// mode followScheduler (sidecar mode, extender/kube/lease_follower.h) Quotient holds no
// Lease: it leads while the kube-scheduler beside it holds the scheduler's own Lease.
struct LeaderElectionSettings {
  bool enabled = false;
  std::string mode = "lease";  // lease | followScheduler
  std::string lease_namespace = "quotient-system";
  std::string lease_name = "quotient";
  std::string identity;  // "" = <hostname>_<random>
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
  // "" = off. Else the leader keeps this label ("true") on its own pod, named by $POD_NAME
  // in $POD_NAMESPACE, and clears it from the other pods of that namespace, so a Service
  // selecting it routes to the leader only (extender/control/leader_pod_labeler.h).
  std::string pod_label;
  // followScheduler: the scheduler's Lease, whose holder is this Quotient's scheduler when
  // holderIdentity starts with follow_identity_prefix ("" = "<hostname>_"); the fence
  // closes follow_margin before another scheduler could take the Lease over.
  std::string follow_lease_namespace = "kube-system";
  std::string follow_lease_name = "kube-scheduler";
  std::string follow_identity_prefix;
  std::chrono::milliseconds follow_margin{1'000};
};

// Dynamic Resource Allocation (docs/dra.md): how a ResourceClaim's devices are charged to
// quota, per DeviceClass. Empty: claims are charged nothing and nothing DRA is watched.
struct DraSettings {
  std::vector<quota::DeviceClassMapping> device_classes;
};

struct LogSettings {
  std::string format = "text";  // text | json
  std::string level = "info";   // trace | debug | info | warn | error | critical | off
};

struct Settings {
  ServerSettings server;
  QuotaSettings quota;
  KubernetesSettings kubernetes;
  NodeFitSettings node_fit;
  ReclaimSettings reclaim;
  GpuSettings gpu;
  LeaderElectionSettings leader_election;
  DraSettings dra;
  LogSettings log;

  // The quota source in effect: "kubernetes", "file", or "" (none).
  std::string QuotaSource() const {
    if (!quota.source.empty()) return quota.source;
    return quota.file.empty() ? "" : "file";
  }
};

// Loads `yaml_text` over the defaults in *out. Returns false if any error was found;
// every error is appended to *errors (source = `source`).
bool LoadSettings(std::string_view yaml_text, std::string_view source, Settings* out,
                  ConfigErrors* errors);
bool LoadSettingsFile(const std::string& path, Settings* out, ConfigErrors* errors);

// Checks cross-field rules (addresses parse, TLS files come in pairs, level names).
bool ValidateSettings(const Settings& settings, std::string_view source, ConfigErrors* errors);

}  // namespace quotient::config
