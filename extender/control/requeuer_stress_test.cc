// The Requeuer under the threads that call it in production (docs/threading.md): filter
// threads noting refusals, the pod reflector noting releases, housekeeping nudging. Run
// under TSan by `./dev.sh test`. Patches are not sent (no pod is still pending), so the
// test exercises the bookkeeping and its invariants: the set stays bounded and every
// nudged pod left it.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "extender/control/requeuer.h"

namespace quotient::extender::state {
namespace {

TEST(RequeuerStressTest, RefusalsReleasesAndNudgesFromManyThreadsKeepTheSetBounded) {
  boost::asio::io_context ioc;
  kube::ApiClient client(ioc, kube::ClientConfig{});
  metrics::Registry registry;
  std::atomic<int> asked{0};
  Requeuer requeuer(ioc, &client, &registry, [&](const std::string&) {
    asked.fetch_add(1, std::memory_order_relaxed);
    return false;
  });

  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20'000; ++i) {
        const std::string uid = "pod-" + std::to_string(t) + "-" + std::to_string(i % 3'000);
        requeuer.NoteRefused(uid, "ns", uid);
      }
    });
  }
  threads.emplace_back([&] {
    while (!stop.load()) requeuer.NoteRelease();
  });
  threads.emplace_back([&] {
    // Far enough ahead that every suspect's window has passed.
    while (!stop.load()) requeuer.NudgeStale(Requeuer::Clock::now() + std::chrono::seconds(10));
  });
  threads.emplace_back([&] {
    for (int i = 0; i < 50 && !stop.load(); ++i) {
      requeuer.NudgeAll(NudgeTrigger::kQuotaReload);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  threads[0].join();
  threads[1].join();
  stop = true;
  for (size_t i = 2; i < threads.size(); ++i) threads[i].join();

  EXPECT_LE(requeuer.tracked(), 6'000u);
  requeuer.NudgeAll(NudgeTrigger::kQuotaReload);
  // Not before the last NudgeAll: on a loaded machine the refusing threads may finish before
  // the nudging ones ever run (this failed once under a parallel ctest).
  EXPECT_GT(asked.load(), 0) << "some refusals were nudged";
  EXPECT_EQ(requeuer.tracked(), 0u);
  EXPECT_EQ(requeuer.suspects(), 0u);
}

}  // namespace
}  // namespace quotient::extender::state
