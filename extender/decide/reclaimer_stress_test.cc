// Reclaim passes, their evictions, filters, bindings and watch events running at once:
// no data race (ThreadSanitizer in CI), no deadlock, and the bound pods of a quota never
// exceed its max although reclaim reserves beyond it. Runs in the `stress` label.
//
// Threads: two io threads run the evictions and Events the passes post; a pass thread
// runs RunPass on the io_context as the service does; a kubelet thread finalises evicted
// pods (terminating, then deleted) and has the Deployment replace them; two scheduler
// threads filter the pending pods and bind the admitted ones when cpu fits (filter checks
// cpu here, as kube-scheduler would); a reader checks the bound usage of every level.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "extender/control/reclaimer.h"
#include "extender/decide/quota_decider.h"
#include "extender/state/state_test_util.h"
#include "quota/quota_test_util.h"

namespace quotient::extender::state {
namespace {

using testing::MakeNode;
using testing::MakePod;

// Accepts every eviction and queues the victim for the kubelet thread.
class QueueingEvictor : public PodEvictor {
 public:
  boost::asio::awaitable<ApiOutcome> Evict(const PodRef& pod) override {
    std::lock_guard lock(mu);
    evicted.push_back(pod.uid);
    ++evictions;
    co_return ApiOutcome{};
  }
  boost::asio::awaitable<ApiOutcome> PostEvent(const PodEvent&) override { co_return ApiOutcome{}; }
  std::mutex mu;
  std::deque<std::string> evicted;  // guarded by mu
  int evictions = 0;                // guarded by mu
};

TEST(ReclaimerStressTest, PassesEvictionsFiltersAndWatchEventsTogether) {
  quota::QuotaLedger ledger(quota::testing::Scenario1Tree().Build(), {});
  ClusterState state(&ledger);
  std::vector<std::string> node_names;  // WireNode names are views: they live here
  for (int n = 0; n < 8; ++n) {
    node_names.push_back("n" + std::to_string(n));
    state.UpsertNode(MakeNode(node_names.back(), 5));
  }
  std::atomic<int> next_uid{0};
  auto new_pod = [&](const std::string& ns, const std::string& node) {
    PodInfo pod = MakePod(ns + "-" + std::to_string(next_uid.fetch_add(1)), ns, 5, node);
    pod.creation_timestamp = "2026-12-02T07:00:00Z";
    pod.unschedulable = node.empty();
    return pod;
  };
  // namespace1 and namespace2 borrow the whole root (8 nodes x 5 cores = 40).
  for (int n = 0; n < 8; ++n) {
    state.UpsertPod(new_pod(n % 2 == 0 ? "namespace1" : "namespace2", "n" + std::to_string(n)));
  }
  std::mutex pending_mu;
  std::vector<PodInfo> pending;  // guarded by pending_mu
  for (const char* ns : {"namespace3", "namespace4"}) {
    for (int i = 0; i < 4; ++i) {
      PodInfo pod = new_pod(ns, "");
      state.UpsertPod(pod);
      pending.push_back(pod);
    }
  }

  boost::asio::io_context ioc(2);
  auto guard = boost::asio::make_work_guard(ioc);
  std::vector<std::thread> io;
  for (int i = 0; i < 2; ++i) io.emplace_back([&] { ioc.run(); });
  QueueingEvictor evictor;
  metrics::Registry registry;
  Reclaimer reclaimer(
      ioc, &ledger, &state, &evictor, &registry, nullptr, [] { return true; }, ReclaimerOptions{});
  QuotaDecider decider(
      &ledger, &state, nullptr, [] { return std::string(); },
      QuotaDeciderOptions{std::chrono::seconds(30), {"cpu"}});
  decider.AttachReclaimer(&reclaimer);

  const std::shared_ptr<const quota::QuotaTree> tree = ledger.tree();
  const int32_t cpu = tree->ResourceIndex("cpu");
  std::atomic<bool> stop{false};
  std::atomic<int64_t> violations{0};
  std::thread reader([&] {
    while (!stop.load()) {
      const quota::QuotaUsage& usage = ledger.usage();
      for (quota::QuotaId q = 0; q < static_cast<quota::QuotaId>(tree->size()); ++q) {
        if (usage.Used(q, cpu) > tree->Max(q, cpu)) violations.fetch_add(1);
      }
    }
  });
  std::thread passes([&] {
    while (!stop.load()) {
      boost::asio::post(ioc, [&] { reclaimer.RunPass(); });
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  std::thread kubelet([&] {
    while (!stop.load()) {
      std::string uid;
      {
        std::lock_guard lock(evictor.mu);
        if (evictor.evicted.empty()) continue;
        uid = evictor.evicted.front();
        evictor.evicted.pop_front();
      }
      PodRecord record;
      if (!state.FindPod(uid, &record)) continue;
      PodInfo leaving = MakePod(uid, record.ns, 5, record.node);
      leaving.terminating = true;
      state.UpsertPod(leaving);
      state.DeletePod(uid);
      PodInfo replacement = new_pod(record.ns, "");  // the ReplicaSet's new replica
      state.UpsertPod(replacement);
      std::lock_guard lock(pending_mu);
      pending.push_back(replacement);
    }
  });
  std::vector<std::thread> schedulers;
  for (int t = 0; t < 2; ++t) {
    schedulers.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      while (!stop.load()) {
        PodInfo pod;
        {
          std::lock_guard lock(pending_mu);
          if (pending.empty()) continue;
          pod = pending[rng() % pending.size()];
        }
        ExtenderArgs args;
        args.pod = pod;
        args.has_node_names = true;
        for (const std::string& name : node_names) args.nodes.push_back(WireNode{name, {}});
        FilterDecision d = decider.Filter(args);
        if (d.answer.passed.empty()) continue;
        const std::string node(args.nodes[d.answer.passed[0]].name);
        std::lock_guard lock(pending_mu);
        auto it = std::find_if(pending.begin(), pending.end(),
                               [&](const PodInfo& p) { return p.uid == pod.uid; });
        if (it == pending.end()) continue;  // the other scheduler bound it
        pending.erase(it);
        state.AssumeBound({pod.uid, pod.ns, pod.requests}, pod.name, node);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  stop = true;
  for (auto& s : schedulers) s.join();
  kubelet.join();
  passes.join();
  reader.join();
  guard.reset();
  for (auto& t : io) t.join();

  EXPECT_EQ(violations.load(), 0) << "bound pods exceeded a max";
  reclaimer.RunPass();  // settles the reclaims whose pods bound meanwhile
  EXPECT_EQ(reclaimer.in_flight(), 0u) << "every reclaiming pod bound";
  for (const char* quota : {"root.b.1", "root.b.2"}) {
    const quota::QuotaId q = tree->Find(quota);
    EXPECT_EQ(ledger.usage().Used(q, cpu), 10'000) << quota << " holds its min";
  }
  std::lock_guard lock(evictor.mu);
  EXPECT_GE(evictor.evictions, 4) << "namespace3 and namespace4 reclaim 2 pods each";
  EXPECT_LE(evictor.evictions, 4 + 2) << "no storm (in-flight reclaims may still hold room)";
}

}  // namespace
}  // namespace quotient::extender::state
