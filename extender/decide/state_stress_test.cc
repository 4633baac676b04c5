// Concurrent webhook decisions and watch events on the live state never over-commit a
// quota. Runs under ThreadSanitizer in CI (./dev.sh test builds build-tsan/).
//
// Scheduler threads filter pods and "bind" the admitted ones (AssumeBound, as the bind
// webhook does); a watch thread replays the API server's events in order (each binding
// confirmed, later the pod deleted); a reader checks every quota level at every instant.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "extender/decide/quota_decider.h"
#include "quota/quota_test_util.h"

namespace quotient::extender::state {
namespace {

constexpr int kSchedulers = 3;
constexpr int kPodsPerScheduler = 3000;

TEST(StateStressTest, ConcurrentFiltersBindsAndWatchEventsNeverExceedAMax) {
  quota::QuotaLedger ledger(quota::testing::Scenario1Tree().Build(), {});
  ClusterState state(&ledger);
  for (int n = 0; n < 8; ++n) {
    NodeInfo node;
    node.name = "node-" + std::to_string(n);
    node.allocatable = {{"cpu", 1'000'000}, {"pods", 1000}};
    state.UpsertNode(node);
  }
  QuotaDecider decider(
      &ledger, &state, nullptr, [] { return std::string(); },
      QuotaDeciderOptions{std::chrono::seconds(30), {}});
  const std::shared_ptr<const quota::QuotaTree> tree = ledger.tree();
  const int32_t cpu = tree->ResourceIndex("cpu");

  std::atomic<bool> stop{false};
  std::atomic<int64_t> violations{0};
  std::thread reader([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      const quota::QuotaUsage& usage = ledger.usage();
      for (quota::QuotaId q = 0; q < static_cast<quota::QuotaId>(tree->size()); ++q) {
        if (usage.Charged(q, cpu) > tree->Max(q, cpu)) violations.fetch_add(1);
      }
    }
  });

  // The watch: events arrive in order per pod (bound, then deleted), as the API server
  // sends them. Each confirmed binding is followed later by the pod's deletion.
  struct Event {
    PodInfo pod;
    bool deleted = false;
  };
  std::mutex events_mu;
  std::deque<Event> events;  // guarded by events_mu
  std::atomic<int> schedulers_left{kSchedulers};
  std::thread watch([&] {
    for (;;) {
      Event event;
      {
        std::lock_guard lock(events_mu);
        if (events.empty()) {
          if (schedulers_left.load() == 0) break;
          continue;
        }
        event = std::move(events.front());
        events.pop_front();
        if (!event.deleted) events.push_back({event.pod, true});
      }
      if (event.deleted) {
        state.DeletePod(event.pod.uid);
      } else {
        state.UpsertPod(event.pod);
      }
    }
  });

  std::atomic<int64_t> admitted{0};
  std::vector<std::thread> schedulers;
  for (int t = 0; t < kSchedulers; ++t) {
    schedulers.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      const char* namespaces[] = {"namespace1", "namespace2", "namespace3", "namespace4"};
      ExtenderArgs args;
      args.has_node_names = true;
      args.nodes = {{"node-0", {}}, {"node-3", {}}, {"node-7", {}}};
      for (int i = 0; i < kPodsPerScheduler; ++i) {
        args.pod.uid = "u" + std::to_string(t) + "-" + std::to_string(i);
        args.pod.ns = namespaces[rng() % 4];
        args.pod.name = "p-" + args.pod.uid;
        args.pod.node_name.clear();
        args.pod.requests = {{"cpu", static_cast<int64_t>(1000 + rng() % 5000)}, {"pods", 1}};
        FilterDecision d = decider.Filter(args);
        if (d.answer.passed.empty()) {
          // Refused: let the watch catch up (apply every release queued so far), then try the
          // pod once more, so that how many pods get in does not depend on the threads' speed.
          for (;;) {
            {
              std::lock_guard lock(events_mu);
              if (events.empty()) break;
            }
            std::this_thread::yield();
          }
          d = decider.Filter(args);
          if (d.answer.passed.empty()) continue;
        }
        admitted.fetch_add(1);
        const std::string node(args.nodes[d.answer.passed[0]].name);
        state.AssumeBound({args.pod.uid, args.pod.ns, args.pod.requests}, args.pod.name, node);
        PodInfo pod = args.pod;
        pod.node_name = node;
        pod.phase = "Running";
        std::lock_guard lock(events_mu);
        events.push_back({std::move(pod), false});
      }
      schedulers_left.fetch_sub(1);
    });
  }
  for (auto& s : schedulers) s.join();
  watch.join();
  stop = true;
  reader.join();

  EXPECT_EQ(violations.load(), 0);
  EXPECT_GT(admitted.load(), kSchedulers * kPodsPerScheduler / 10);
  // Every pod was bound and then deleted: nothing may be left charged anywhere.
  ClusterCounts counts = state.counts();
  EXPECT_EQ(counts.pods, 0u);
  EXPECT_EQ(ledger.bound_count(), 0u);
  EXPECT_EQ(ledger.reserved_count(), 0u);
  for (quota::QuotaId q = 0; q < static_cast<quota::QuotaId>(tree->size()); ++q) {
    EXPECT_EQ(ledger.usage().Charged(q, cpu), 0) << tree->name(q);
  }
}

}  // namespace
}  // namespace quotient::extender::state
