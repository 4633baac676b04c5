// The Service as `quotient serve` builds it, in process: the pass-through chain without an
// API server, the live decorator chain against a fake API server (synced, ready, deciding
// through the same router the binary runs), and the configurations that must fail the build.
#include "extender/service/service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "extender/kube/fake_api_server.h"
#include "extender/kube/fake_lease_store.h"
#include "extender/kube/kube_test_util.h"
#include "extender/kube/leader_elector.h"

namespace quotient::extender {
namespace {

using kube::testing::FakeApiServer;
using kube::testing::FakeExchange;
using kube::testing::IoThread;

constexpr char kQuotaFile[] = QUOTIENT_EXAMPLES_DIR "/quota-scenario1.yaml";

// A temporary file removed with the object.
class TempFile {
 public:
  TempFile(std::string name, const std::string& text)
      : path_(::testing::TempDir() + "/" + std::move(name)) {
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A filter of one CPU pod for a node the cluster does not have: a replica that decides
// admits it (quota_admitted: no node check concerns the pod, so the node passes unlooked-at),
// one that does not lead answers not_leader.
ExtenderArgs GhostNodeArgs() {
  ExtenderArgs args;
  args.pod.name = "p";
  args.pod.ns = "namespace1";
  args.pod.uid = "uid-1";
  args.pod.requests = quota::ResourceList{{"cpu", 1000}, {"pods", 1}};
  args.has_node_names = true;
  args.nodes.push_back(WireNode{"ghost", {}});
  return args;
}

config::Settings BaseSettings() {
  config::Settings settings;
  settings.server.listen = "127.0.0.1:0";
  settings.quota.file = kQuotaFile;
  return settings;
}

// An API server with no pods and no nodes: lists answer empty, watches stay open briefly.
// Leases go to `leases` when given.
void EmptyCluster(FakeExchange& ex, kube::testing::LeaseStore* leases = nullptr) {
  const auto& r = ex.request();
  if (r.path.find("/leases") != std::string::npos && leases != nullptr) {
    leases->Serve(ex);
    return;
  }
  if (r.HasParam("watch")) {
    ex.StartChunked(200);
    ex.WaitFor([] { return false; }, std::chrono::milliseconds(500));
    ex.End();
    return;
  }
  const char* kind = r.path.find("/nodes") != std::string::npos ? "NodeList" : "PodList";
  ex.Respond(200, std::string(R"({"kind":")") + kind +
                      R"(","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[]})");
}

bool WaitUntil(const std::function<bool()>& pred) {
  for (int i = 0; i < 1000 && !pred(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

TEST(ServiceTest, WithoutAnApiServerTheWebhooksPassThrough) {
  IoThread io;
  std::unique_ptr<Service> service = Service::Build(BaseSettings(), io.ioc());
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->live(), nullptr);
  EXPECT_NE(service->decider().Describe().find("pass-through"), std::string::npos);
  ASSERT_NE(service->ledger(), nullptr);
  EXPECT_GT(service->ledger()->tree()->size(), 1u);  // the file's quotas

  std::string error;
  ASSERT_TRUE(service->Start(&error)) << error;
  EXPECT_NE(service->BoundPorts().at(0), 0);
  EXPECT_TRUE(service->readiness().ready());
  std::promise<void> stopped;
  service->Stop(std::chrono::milliseconds(100), [&] { stopped.set_value(); });
  EXPECT_EQ(stopped.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

TEST(ServiceTest, WithAnApiServerTheLiveChainSyncsAndDecides) {
  FakeApiServer api([](FakeExchange& ex) { EmptyCluster(ex); });
  TempFile kubeconfig("service_test.kubeconfig",
                      "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                      "clusters: [{name: k, cluster: {server: 'http://127.0.0.1:" +
                          std::to_string(api.port()) +
                          "'}}]\n"
                          "users: [{name: u, user: {token: t}}]\n"
                          "contexts: [{name: c, context: {cluster: k, user: u}}]\n");
  config::Settings settings = BaseSettings();
  settings.kubernetes.kubeconfig = kubeconfig.path();
  IoThread io(2);
  std::unique_ptr<Service> service = Service::Build(settings, io.ioc());
  ASSERT_NE(service, nullptr);
  ASSERT_NE(service->live(), nullptr);
  const std::string chain = service->decider().Describe();
  EXPECT_NE(chain.find("live: quota enforced"), std::string::npos) << chain;
  EXPECT_NE(chain.find("GPU placement"), std::string::npos) << chain;
  EXPECT_NE(chain.find("reclaim on"), std::string::npos) << chain;

  std::string error;
  ASSERT_TRUE(service->Start(&error)) << error;
  EXPECT_FALSE(service->readiness().ready());  // until the first lists complete
  EXPECT_TRUE(WaitUntil([&] { return service->readiness().ready(); }))
      << service->readiness().reason();
  EXPECT_TRUE(service->live()->synced());

  // Filter through the chain: a pod of a quota'd namespace on a node the cache does not know.
  FilterDecision decision = service->decider().Filter(GhostNodeArgs());
  EXPECT_EQ(decision.answer.passed.size(), 1u);
  EXPECT_EQ(decision.reason, DecisionReason::kQuotaAdmitted) << decision.message;

  std::promise<void> stopped;
  service->Stop(std::chrono::milliseconds(100), [&] { stopped.set_value(); });
  EXPECT_EQ(stopped.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

std::string KubeconfigFor(const FakeApiServer& api) {
  return "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
         "clusters: [{name: k, cluster: {server: 'http://127.0.0.1:" +
         std::to_string(api.port()) +
         "'}}]\n"
         "users: [{name: u, user: {token: t}}]\n"
         "contexts: [{name: c, context: {cluster: k, user: u}}]\n";
}

// Two replicas on one API server: one leads and decides, the other refuses naming it; when
// the leader stops (and releases the lease), the other takes over.
TEST(ServiceTest, TwoReplicasElectOneLeaderAndTheOtherTakesOverWhenItStops) {
  kube::testing::LeaseStore leases;
  FakeApiServer api([&](FakeExchange& ex) { EmptyCluster(ex, &leases); });
  TempFile kubeconfig("service_test_ha.kubeconfig", KubeconfigFor(api));
  auto settings_for = [&](const std::string& identity) {
    config::Settings s = BaseSettings();
    s.kubernetes.kubeconfig = kubeconfig.path();
    s.leader_election.enabled = true;
    s.leader_election.identity = identity;
    s.leader_election.lease_duration = std::chrono::seconds(2);
    s.leader_election.renew_deadline = std::chrono::seconds(1);
    s.leader_election.retry_period = std::chrono::milliseconds(200);
    return s;
  };
  IoThread io(2);
  std::unique_ptr<Service> a = Service::Build(settings_for("a_1"), io.ioc());
  ASSERT_NE(a, nullptr);
  std::string error;
  ASSERT_TRUE(a->Start(&error)) << error;
  ASSERT_TRUE(WaitUntil([&] { return a->live()->fence()->MayWrite(); }));
  std::unique_ptr<Service> b = Service::Build(settings_for("b_1"), io.ioc());
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->Start(&error)) << error;
  ASSERT_TRUE(WaitUntil([&] { return b->readiness().ready(); })) << b->readiness().reason();

  const ExtenderArgs args = GhostNodeArgs();
  EXPECT_FALSE(b->live()->fence()->MayWrite());
  FilterDecision refused = b->decider().Filter(args);
  EXPECT_EQ(refused.reason, DecisionReason::kNotLeader);
  EXPECT_NE(refused.answer.error.find("held by a_1"), std::string::npos) << refused.answer.error;
  ASSERT_TRUE(WaitUntil([&] { return a->readiness().ready(); }));
  EXPECT_EQ(a->decider().Filter(args).reason, DecisionReason::kQuotaAdmitted);  // a decides

  std::promise<void> stopped;
  a->Stop(std::chrono::milliseconds(100), [&] { stopped.set_value(); });
  ASSERT_EQ(stopped.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  // Released before Stop completed (its client was still up), not left to expire.
  ASSERT_TRUE(leases.lease().has_value());
  EXPECT_EQ(leases.lease()->holder, "");
  EXPECT_TRUE(WaitUntil([&] { return b->live()->fence()->MayWrite(); }));
  EXPECT_EQ(b->decider().Filter(args).reason, DecisionReason::kQuotaAdmitted);
  std::promise<void> b_stopped;
  b->Stop(std::chrono::milliseconds(100), [&] { b_stopped.set_value(); });
  EXPECT_EQ(b_stopped.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

// Sidecar mode: two replicas, each beside its own kube-scheduler (here: the test writes the
// schedulers' Lease as they would). The one whose scheduler holds the Lease decides; the
// other refuses naming the holder; when the other scheduler takes over, they swap.
TEST(ServiceTest, TwoSidecarsLeadExactlyWhileTheirOwnSchedulerHoldsTheLease) {
  kube::testing::LeaseStore leases;
  std::mutex mu;
  std::set<std::string> user_agents;  // guarded by mu
  FakeApiServer api([&](FakeExchange& ex) {
    {
      std::lock_guard lock(mu);
      user_agents.insert(ex.request().user_agent);
    }
    EmptyCluster(ex, &leases);
  });
  TempFile kubeconfig("service_test_sidecar.kubeconfig", KubeconfigFor(api));
  auto settings_for = [&](const std::string& prefix) {
    config::Settings s = BaseSettings();
    s.kubernetes.kubeconfig = kubeconfig.path();
    s.leader_election.enabled = true;
    s.leader_election.mode = "followScheduler";
    s.leader_election.follow_identity_prefix = prefix;
    s.leader_election.retry_period = std::chrono::milliseconds(100);
    s.leader_election.follow_margin = std::chrono::milliseconds(300);
    return s;
  };
  std::atomic<const char*> holder{"cp-1_4b2e"};
  std::atomic<bool> renewing{true};
  std::thread schedulers([&] {
    for (int n = 0; renewing.load(); ++n) {
      leases.WriteHolder(holder.load(), 2,
                         "2026-12-05T08:00:" + std::to_string(10 + n % 50) + ".000000Z");
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
  });
  IoThread io(2);
  std::unique_ptr<Service> a = Service::Build(settings_for("cp-1_"), io.ioc());
  std::unique_ptr<Service> b = Service::Build(settings_for("cp-2_"), io.ioc());
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::string error;
  ASSERT_TRUE(a->Start(&error)) << error;
  ASSERT_TRUE(b->Start(&error)) << error;
  ASSERT_TRUE(WaitUntil([&] { return a->readiness().ready() && b->readiness().ready(); }));
  const ExtenderArgs args = GhostNodeArgs();
  ASSERT_TRUE(WaitUntil([&] { return a->live()->fence()->MayWrite(); }));
  EXPECT_EQ(a->decider().Filter(args).reason, DecisionReason::kQuotaAdmitted);
  FilterDecision refused = b->decider().Filter(args);
  EXPECT_EQ(refused.reason, DecisionReason::kNotLeader);
  EXPECT_NE(refused.answer.error.find("cp-1_4b2e does"), std::string::npos) << refused.answer.error;

  // The other scheduler takes over (at once: these fake schedulers do not wait for the
  // lease to run out, so each replica closes or opens at its next look).
  holder = "cp-2_9c01";
  ASSERT_TRUE(WaitUntil([&] { return b->live()->fence()->MayWrite(); }));
  ASSERT_TRUE(WaitUntil([&] { return !a->live()->fence()->MayWrite(); }));
  EXPECT_EQ(b->decider().Filter(args).reason, DecisionReason::kQuotaAdmitted);
  EXPECT_EQ(a->decider().Filter(args).reason, DecisionReason::kNotLeader);
  EXPECT_EQ(leases.puts(), 0);  // followers never write the scheduler's Lease
  {
    // Each replica's requests name it: "quotient (<hostname>_<random>)", and the Lease's
    // "quotient/leader-election (<hostname>_<random>)".
    std::lock_guard lock(mu);
    const std::string host = kube::Hostname();
    auto seen = [&](const std::string& prefix) {
      return std::count_if(user_agents.begin(), user_agents.end(),
                           [&](const std::string& ua) { return ua.starts_with(prefix); });
    };
    EXPECT_EQ(seen("quotient (" + host + "_"), 2) << ::testing::PrintToString(user_agents);
    EXPECT_EQ(seen("quotient/leader-election (" + host + "_"), 2)
        << ::testing::PrintToString(user_agents);
  }
  renewing = false;
  schedulers.join();
  for (Service* s : {a.get(), b.get()}) {
    std::promise<void> stopped;
    s->Stop(std::chrono::milliseconds(100), [&] { stopped.set_value(); });
    EXPECT_EQ(stopped.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  }
}

// The elector has a client of its own: with every request connection of the shared client
// held (a burst of binds stuck on a slow API server, here one request that hangs with
// kubernetes.maxConnections 1) and more requests in line, the leader goes on renewing.
TEST(ServiceTest, ALeaderRenewsItsLeaseWhileEveryRequestConnectionIsHeld) {
  kube::testing::LeaseStore leases;
  std::atomic<bool> release{false};
  FakeApiServer api([&](FakeExchange& ex) {
    if (ex.request().path == "/hold") {
      ex.WaitFor([&] { return release.load(); }, std::chrono::seconds(20));
      ex.Respond(200, "{}");
      return;
    }
    EmptyCluster(ex, &leases);
  });
  TempFile kubeconfig("service_test_lease_client.kubeconfig", KubeconfigFor(api));
  config::Settings settings = BaseSettings();
  settings.kubernetes.kubeconfig = kubeconfig.path();
  settings.kubernetes.max_connections = 1;
  settings.leader_election.enabled = true;
  settings.leader_election.identity = "a_1";
  settings.leader_election.lease_duration = std::chrono::seconds(2);
  settings.leader_election.renew_deadline = std::chrono::seconds(1);
  settings.leader_election.retry_period = std::chrono::milliseconds(200);
  IoThread io(2);
  std::unique_ptr<Service> service = Service::Build(settings, io.ioc());
  ASSERT_NE(service, nullptr);
  std::string error;
  ASSERT_TRUE(service->Start(&error)) << error;
  ASSERT_TRUE(WaitUntil([&] { return service->live()->fence()->MayWrite(); }));

  kube::ApiClient& client = service->live()->client();
  auto call = [&client]() -> boost::asio::awaitable<kube::ApiResponse> {
    std::string target = "/hold";  // named: GCC bug 99576 (api_client.h)
    kube::ApiResponse r = co_await client.Request(kube::Method::kGet, std::move(target));
    co_return r;
  };
  auto held = boost::asio::co_spawn(io.ioc(), call(), boost::asio::use_future);
  auto queued = boost::asio::co_spawn(io.ioc(), call(), boost::asio::use_future);
  ASSERT_TRUE(WaitUntil([&] { return client.pool_stats().waiting >= 1; }));
  const int puts = leases.puts();
  EXPECT_TRUE(WaitUntil([&] { return leases.puts() >= puts + 5; }));  // > renewDeadline
  EXPECT_TRUE(service->live()->fence()->MayWrite());
  EXPECT_GE(client.pool_stats().waiting, 1);  // the burst is still stuck meanwhile

  release = true;
  EXPECT_EQ(held.get().status, 200);
  EXPECT_EQ(queued.get().status, 200);
  std::promise<void> stopped;
  service->Stop(std::chrono::milliseconds(100), [&] { stopped.set_value(); });
  EXPECT_EQ(stopped.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

TEST(ServiceTest, AnInvalidQuotaFileFailsTheBuild) {
  TempFile quota("service_test_bad_quota.yaml", "apiVersion: [\n");
  config::Settings settings = BaseSettings();
  settings.quota.file = quota.path();
  IoThread io;
  EXPECT_EQ(Service::Build(settings, io.ioc()), nullptr);
}

TEST(ServiceTest, AQuotaTreeFromKubernetesWithoutAnApiServerFailsTheBuild) {
  config::Settings settings = BaseSettings();
  settings.quota.file.clear();
  settings.quota.source = "kubernetes";
  IoThread io;
  EXPECT_EQ(Service::Build(settings, io.ioc()), nullptr);
}

TEST(ServiceTest, AnEquivalentChargeForAProfileNoModelHasFailsTheBuild) {
  config::Settings settings = BaseSettings();
  settings.gpu.equivalent_milli.emplace_back("9g.999gb", 500);
  IoThread io;
  EXPECT_EQ(Service::Build(settings, io.ioc()), nullptr);
}

}  // namespace
}  // namespace quotient::extender
