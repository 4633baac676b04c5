#include "config/server_config.h"

#include <gtest/gtest.h>

namespace quotient::config {
namespace {

TEST(ServerConfigTest, DefaultsAreValidAndDocumented) {
  Settings s;
  ConfigErrors errors;
  EXPECT_TRUE(ValidateSettings(s, "defaults", &errors)) << FormatErrors(errors);
  EXPECT_EQ(s.server.listen, "127.0.0.1:8888");
  EXPECT_EQ(s.server.limits.max_body_bytes, 128u << 20);
  EXPECT_EQ(s.log.format, "text");
}

TEST(ServerConfigTest, EveryFieldLoadsFromYaml) {
  Settings s;
  ConfigErrors errors;
  ASSERT_TRUE(LoadSettings(R"(
server:
  listen: 0.0.0.0:8443
  urlPrefix: /scheduler
  metricsListen: 0.0.0.0:9090
  threads: 4
  shutdownGracePeriod: 5s
  tls: {certFile: /c.pem, keyFile: /k.pem, clientCAFile: /ca.pem}
  limits: {maxBodyBytes: 64Mi, maxHeaderBytes: 8Ki, idleTimeout: 1m, headerTimeout: 2s,
           bodyTimeout: 3s, writeTimeout: 4s}
quota: {file: /etc/quotient/quota.yaml, reloadInterval: 1s, unquotedNamespaces: deny,
        reservationTTL: 45s}
log: {format: json, level: debug}
)",
                           "q.yaml", &s, &errors))
      << FormatErrors(errors);
  EXPECT_EQ(s.server.listen, "0.0.0.0:8443");
  EXPECT_EQ(s.server.url_prefix, "/scheduler");
  EXPECT_EQ(s.server.metrics_listen, "0.0.0.0:9090");
  EXPECT_EQ(s.server.threads, 4);
  EXPECT_EQ(s.server.shutdown_grace.count(), 5000);
  EXPECT_EQ(s.server.tls.client_ca_file, "/ca.pem");
  EXPECT_EQ(s.server.limits.max_body_bytes, 64u << 20);
  EXPECT_EQ(s.server.limits.max_header_bytes, 8u << 10);
  EXPECT_EQ(s.server.limits.idle_timeout.count(), 60'000);
  EXPECT_EQ(s.server.limits.write_timeout.count(), 4000);
  EXPECT_EQ(s.log.format, "json");
  EXPECT_EQ(s.log.level, "debug");
  EXPECT_EQ(s.quota.file, "/etc/quotient/quota.yaml");
  EXPECT_EQ(s.quota.reload_interval.count(), 1000);
  EXPECT_FALSE(s.quota.allow_unquoted_namespaces);
  EXPECT_EQ(s.quota.reservation_ttl.count(), 45'000);
}

TEST(ServerConfigTest, KubernetesAndNodeFitLoadFromYaml) {
  Settings s;
  ConfigErrors errors;
  ASSERT_TRUE(LoadSettings(R"(
quota: {source: kubernetes, treeName: tree-1}
kubernetes: {kubeconfig: /k.yaml, context: ctx, qps: 20, burst: 40, maxConnections: 4,
             resyncInterval: 0s, watchTimeout: 2m}
nodeFit: {resources: [nvidia.com/gpu, example.com/fpga]}
)",
                           "q.yaml", &s, &errors))
      << FormatErrors(errors);
  EXPECT_EQ(s.QuotaSource(), "kubernetes");
  EXPECT_EQ(s.quota.tree_name, "tree-1");
  EXPECT_EQ(s.kubernetes.kubeconfig, "/k.yaml");
  EXPECT_EQ(s.kubernetes.context, "ctx");
  EXPECT_EQ(s.kubernetes.qps, 20);
  EXPECT_EQ(s.kubernetes.burst, 40);
  EXPECT_EQ(s.kubernetes.max_connections, 4);
  EXPECT_EQ(s.kubernetes.resync_interval.count(), 0);
  EXPECT_EQ(s.kubernetes.watch_timeout.count(), 120'000);
  EXPECT_EQ(s.node_fit.resources, (std::vector<std::string>{"nvidia.com/gpu", "example.com/fpga"}));
}

TEST(ServerConfigTest, ReclaimSettingsLoadFromYamlAndAreChecked) {
  Settings s;
  ConfigErrors errors;
  EXPECT_TRUE(s.reclaim.enabled);
  EXPECT_EQ(s.reclaim.deadline.count(), 120'000);
  EXPECT_EQ(s.reclaim.scheduler_names, std::vector<std::string>{"default-scheduler"});
  ASSERT_TRUE(LoadSettings(R"(
reclaim: {enabled: false, deadline: 5m, disruptionBudgetBackoff: 10s,
          schedulerNames: [default-scheduler, quotient-scheduler]}
)",
                           "q.yaml", &s, &errors))
      << FormatErrors(errors);
  EXPECT_FALSE(s.reclaim.enabled);
  EXPECT_EQ(s.reclaim.deadline.count(), 300'000);
  EXPECT_EQ(s.reclaim.disruption_budget_backoff.count(), 10'000);
  EXPECT_EQ(s.reclaim.scheduler_names.size(), 2u);
  Settings bad;
  EXPECT_FALSE(LoadSettings("reclaim: {deadline: 10ms, schedulerNames: [], colour: red}\n",
                            "q.yaml", &bad, &errors));
  const std::string text = FormatErrors(errors);
  EXPECT_NE(text.find("reclaim.deadline: must be at least 1s"), std::string::npos) << text;
  EXPECT_NE(text.find("reclaim.schedulerNames: must name at least one"), std::string::npos) << text;
  EXPECT_NE(text.find("q.yaml:1: reclaim.colour: unknown field"), std::string::npos) << text;
}

TEST(ServerConfigTest, TheLeaderPodLabelMustBeALabelKey) {
  Settings s;
  ConfigErrors errors;
  ASSERT_TRUE(LoadSettings("leaderElection: {enabled: true, podLabel: quotient.io/leader}\n",
                           "q.yaml", &s, &errors))
      << FormatErrors(errors);
  EXPECT_EQ(s.leader_election.pod_label, "quotient.io/leader");
  Settings bad;
  EXPECT_FALSE(LoadSettings("leaderElection: {enabled: true, podLabel: \"quotient.io/\"}\n",
                            "q.yaml", &bad, &errors));
  EXPECT_NE(
      FormatErrors(errors).find("leaderElection.podLabel: \"quotient.io/\" is not a label key"),
      std::string::npos)
      << FormatErrors(errors);
}

TEST(ServerConfigTest, SidecarModeFollowsTheSchedulersLeaseAndChecksItsOwnFields) {
  Settings s;
  ConfigErrors errors;
  ASSERT_TRUE(LoadSettings("leaderElection: {enabled: true, mode: followScheduler}\n", "q.yaml", &s,
                           &errors))
      << FormatErrors(errors);
  EXPECT_EQ(s.leader_election.mode, "followScheduler");
  EXPECT_EQ(s.leader_election.follow_lease_namespace, "kube-system");
  EXPECT_EQ(s.leader_election.follow_lease_name, "kube-scheduler");
  EXPECT_EQ(s.leader_election.follow_identity_prefix, "");  // <hostname>_
  EXPECT_EQ(s.leader_election.follow_margin.count(), 1'000);
  ASSERT_TRUE(LoadSettings(R"(
leaderElection: {enabled: true, mode: followScheduler, followLeaseNamespace: ops,
                 followLeaseName: sched, followIdentityPrefix: cp-1_, followMargin: 2s,
                 retryPeriod: 500ms, renewDeadline: 20s}
)",
                           "q.yaml", &s, &errors))
      << FormatErrors(errors);  // renewDeadline is not used, and not checked, in this mode
  EXPECT_EQ(s.leader_election.follow_lease_namespace, "ops");
  EXPECT_EQ(s.leader_election.follow_lease_name, "sched");
  EXPECT_EQ(s.leader_election.follow_identity_prefix, "cp-1_");
  EXPECT_EQ(s.leader_election.follow_margin.count(), 2'000);

  Settings bad;
  EXPECT_FALSE(LoadSettings(R"(
leaderElection: {enabled: true, mode: followScheduler, followLeaseName: "", followMargin: 0s,
                 podLabel: quotient.io/leader}
)",
                            "q.yaml", &bad, &errors));
  std::string text = FormatErrors(errors);
  EXPECT_NE(text.find("leaderElection.followLeaseName: must not be empty"), std::string::npos)
      << text;
  EXPECT_NE(text.find("leaderElection.followMargin: must be positive"), std::string::npos) << text;
  EXPECT_NE(text.find("leaderElection.podLabel: routes a Service"), std::string::npos) << text;
  EXPECT_FALSE(
      LoadSettings("leaderElection: {enabled: true, mode: sidecar}\n", "q.yaml", &bad, &errors));
  text = FormatErrors(errors);
  EXPECT_NE(text.find("leaderElection.mode: must be lease or followScheduler, got \"sidecar\""),
            std::string::npos)
      << text;
}

TEST(ServerConfigTest, LeaderElectionLoadsFromYamlAndFollowsClientGosRules) {
  Settings s;
  ConfigErrors errors;
  EXPECT_FALSE(s.leader_election.enabled);
  ASSERT_TRUE(LoadSettings(R"(
leaderElection: {enabled: true, leaseNamespace: ops, leaseName: q, identity: me,
                 leaseDuration: 6s, renewDeadline: 4s, retryPeriod: 1s}
)",
                           "q.yaml", &s, &errors))
      << FormatErrors(errors);
  EXPECT_TRUE(s.leader_election.enabled);
  EXPECT_EQ(s.leader_election.lease_namespace, "ops");
  EXPECT_EQ(s.leader_election.lease_name, "q");
  EXPECT_EQ(s.leader_election.identity, "me");
  EXPECT_EQ(s.leader_election.lease_duration.count(), 6'000);
  EXPECT_EQ(s.leader_election.renew_deadline.count(), 4'000);
  EXPECT_EQ(s.leader_election.retry_period.count(), 1'000);
  EXPECT_EQ(s.leader_election.pod_label, "");
  Settings bad;
  EXPECT_FALSE(
      LoadSettings("leaderElection: {enabled: true, leaseDuration: 1500ms, renewDeadline: 2s, "
                   "retryPeriod: 2s}\n",
                   "q.yaml", &bad, &errors));
  const std::string text = FormatErrors(errors);
  EXPECT_NE(text.find("leaderElection.leaseDuration: must be a positive whole number of seconds"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("leaderElection.renewDeadline: must be shorter than leaseDuration"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("leaderElection.retryPeriod"), std::string::npos) << text;
}

TEST(ServerConfigTest, GpuSettingsLoadFromYamlAndAreChecked) {
  Settings s;
  ConfigErrors errors;
  EXPECT_EQ(s.gpu.dynamic_mig_label, "cdmo.clear.ml/gpu-partitioning=mig");
  ASSERT_TRUE(LoadSettings(R"(
gpu: {catalogFile: /etc/quotient/gpus.yaml, dynamicMigLabel: example.com/mig=on,
      modelLabel: accelerator, memoryShareUnitMiB: 512, placement: spread,
      placementLabel: example.com/gpu-policy}
)",
                           "q.yaml", &s, &errors))
      << FormatErrors(errors);
  EXPECT_EQ(s.gpu.catalog_file, "/etc/quotient/gpus.yaml");
  EXPECT_EQ(s.gpu.dynamic_mig_label, "example.com/mig=on");
  EXPECT_EQ(s.gpu.model_label, "accelerator");
  EXPECT_EQ(s.gpu.memory_share_unit_mib, 512);
  EXPECT_EQ(s.gpu.placement, "spread");
  EXPECT_EQ(s.gpu.placement_label, "example.com/gpu-policy");
  Settings bad;
  EXPECT_FALSE(
      LoadSettings("gpu: {dynamicMigLabel: just-a-key, memoryShareUnitMiB: 0,\n"
                   "      placement: tight, placementLabel: ''}\n",
                   "q.yaml", &bad, &errors));
  const std::string text = FormatErrors(errors);
  EXPECT_NE(text.find("gpu.dynamicMigLabel: must be key=value"), std::string::npos) << text;
  EXPECT_NE(text.find("gpu.memoryShareUnitMiB"), std::string::npos) << text;
  EXPECT_NE(text.find("gpu.placement: must be binpack or spread, got \"tight\""), std::string::npos)
      << text;
  EXPECT_NE(text.find("gpu.placementLabel: must not be empty"), std::string::npos) << text;
}

TEST(ServerConfigTest, GpuEquivalentOverridesAreAMapOfProfileToMilli) {
  Settings s;
  ConfigErrors errors;
  EXPECT_TRUE(s.gpu.equivalent_milli.empty());
  ASSERT_TRUE(
      LoadSettings("gpu: {equivalentMilli: {3g.20gb: 500, 1g.5gb: 125}}\n", "q.yaml", &s, &errors))
      << FormatErrors(errors);
  EXPECT_EQ(s.gpu.equivalent_milli,
            (std::vector<std::pair<std::string, int64_t>>{{"3g.20gb", 500}, {"1g.5gb", 125}}));
  Settings bad;
  EXPECT_FALSE(LoadSettings("gpu: {equivalentMilli: {3g.20gb: half, 7g.40gb: 9000}}\n", "q.yaml",
                            &bad, &errors));
  std::string text = FormatErrors(errors);
  EXPECT_NE(
      text.find("gpu.equivalentMilli.3g.20gb: expected an integer in [1, 8000], got \"half\""),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find("gpu.equivalentMilli.7g.40gb: expected an integer in [1, 8000], got \"9000\""),
      std::string::npos)
      << text;
  errors.clear();
  EXPECT_FALSE(LoadSettings("gpu: {equivalentMilli: [3g.20gb]}\n", "q.yaml", &bad, &errors));
  text = FormatErrors(errors);
  EXPECT_NE(text.find("gpu.equivalentMilli: must be a map of MIG profile to thousandths of a GPU"),
            std::string::npos)
      << text;
}

TEST(ServerConfigTest, TheQuotaSourceIsTheFileWhenOnlyAFileIsGiven) {
  Settings s;
  EXPECT_EQ(s.QuotaSource(), "");
  s.quota.file = "/q.yaml";
  EXPECT_EQ(s.QuotaSource(), "file");
}

TEST(ServerConfigTest, OneQuotaSourceAtATime) {
  Settings s;
  ConfigErrors errors;
  EXPECT_FALSE(LoadSettings("quota: {source: kubernetes, file: /q.yaml}\n", "q.yaml", &s, &errors));
  EXPECT_NE(FormatErrors(errors).find("one source at a time"), std::string::npos)
      << FormatErrors(errors);
  errors.clear();
  Settings t;
  EXPECT_FALSE(LoadSettings("quota: {source: configmap}\nnodeFit: {resources: gpu}\n", "q.yaml", &t,
                            &errors));
  EXPECT_NE(FormatErrors(errors).find("quota.source: must be file or kubernetes"),
            std::string::npos);
  EXPECT_NE(FormatErrors(errors).find("nodeFit.resources: expected a list"), std::string::npos)
      << FormatErrors(errors);
}

TEST(ServerConfigTest, MaxConnectionsIsAtLeastOneAndBounded) {
  Settings defaults;
  EXPECT_EQ(defaults.kubernetes.max_connections, 16);
  for (const char* bad : {"0", "1025", "many"}) {
    Settings s;
    ConfigErrors errors;
    EXPECT_FALSE(LoadSettings(std::string("kubernetes:\n  maxConnections: ") + bad + "\n", "q.yaml",
                              &s, &errors))
        << bad;
    EXPECT_NE(FormatErrors(errors).find("q.yaml:2: kubernetes.maxConnections: expected an integer"),
              std::string::npos)
        << FormatErrors(errors);
  }
}

TEST(ServerConfigTest, UnquotedNamespacePolicyIsAllowOrDeny) {
  Settings s;
  ConfigErrors errors;
  EXPECT_FALSE(LoadSettings("quota: {unquotedNamespaces: maybe}\n", "q.yaml", &s, &errors));
  EXPECT_NE(FormatErrors(errors).find("q.yaml:1: quota.unquotedNamespaces: must be allow or deny"),
            std::string::npos)
      << FormatErrors(errors);
}

TEST(ServerConfigTest, EveryErrorIsReportedWithPathAndLine) {
  Settings s;
  ConfigErrors errors;
  EXPECT_FALSE(LoadSettings(R"(server:
  listen: nowhere
  threads: many
  limits:
    maxBodyBytes: 12Q
    colour: blue
  tls: {clientCAFile: /ca.pem}
logs: {}
)",
                            "q.yaml", &s, &errors));
  std::string text = FormatErrors(errors);
  EXPECT_NE(text.find("q.yaml:3: server.threads: expected an integer"), std::string::npos) << text;
  EXPECT_NE(text.find("q.yaml:5: server.limits.maxBodyBytes: invalid size \"12Q\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("q.yaml:6: server.limits.colour: unknown field"), std::string::npos) << text;
  EXPECT_NE(text.find("q.yaml:8: logs: unknown field"), std::string::npos) << text;
  EXPECT_NE(text.find("server.listen: invalid address \"nowhere\""), std::string::npos) << text;
  EXPECT_NE(text.find("server.tls.clientCAFile: requires certFile"), std::string::npos) << text;
}

TEST(ServerConfigTest, SyntaxErrorsCarryTheirLine) {
  Settings s;
  ConfigErrors errors;
  EXPECT_FALSE(LoadSettings("server:\n  listen: [unclosed\n", "q.yaml", &s, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_GT(errors[0].line, 0);
  EXPECT_NE(errors[0].message.find("invalid YAML"), std::string::npos);
}

TEST(ServerConfigTest, TlsCertAndKeyComeTogether) {
  Settings s;
  s.server.tls.cert_file = "/c.pem";
  ConfigErrors errors;
  EXPECT_FALSE(ValidateSettings(s, "x", &errors));
  EXPECT_EQ(errors[0].path, "server.tls");
}

}  // namespace
}  // namespace quotient::config
