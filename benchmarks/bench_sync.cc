// Initial sync and watch throughput of the live cluster cache, through the real code path:
// kube::ApiClient (Beast, HTTP/1.1) -> kube::Reflector (paginated LIST, then WATCH) ->
// state::PodSink / NodeSink -> state::ClusterState -> quota::QuotaLedger, wired as
// state::LiveCluster wires them (pods with kube-scheduler's field selector, 2,000 per page,
// the configured QPS/burst, io threads = cores).
//
// Run (Release build; check `uptime` first, nothing else heavy on the machine):
//   cmake --build build-bench --target bench_sync
//   build-bench/benchmarks/bench_sync --pods=150000 --nodes=15000 --events=200000
//   build-bench/benchmarks/bench_sync ... --qps=0        # no client-side rate limit
//   build-bench/benchmarks/bench_sync ... --breakdown    # + the pod list again outside the
//       reflector (fetch only / sequential / pipelined) and in-process decode/apply costs
//   build-bench/benchmarks/bench_sync --print-objects    # a list pod, a node, 20 events
// Results and what they mean: docs/benchmarks.md, "Initial sync and watch throughput".
// CI smoke:  bench_sync --smoke   (ctest -L bench; 2,000 pods, checks every count)
//
// The API server is a child process (fork before any thread): it renders every list page
// and the whole watch stream before the clock starts, then only writes pre-rendered bytes
// (lists chunked, one chunk per item: kube-apiserver answers lists chunked, in pieces of a
// few KB). Its memory is not in this process's RSS; its CPU is reported apart. Phases:
//  1. initial sync: both reflectors Start(); ends when both status().synced.
//  2. watch: the server then streams --events pod events on the open pod watch (17 of 20
//     status changes of bound pods, then per 20: a new pending pod ADDED, its binding
//     MODIFIED, one list pod DELETED); ends when status().events reaches --events.
// Every count (pods, bound pods, nodes, ledger) is checked at the end of each phase.
//
// Files: sync_objects (the cluster), sync_fake_apiserver (the child), sync_measure (the
// snapshots), sync_breakdown (--breakdown); this file runs the phases and prints the table.
#include <fmt/format.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "benchmarks/sync_breakdown.h"
#include "benchmarks/sync_fake_apiserver.h"
#include "benchmarks/sync_measure.h"
#include "benchmarks/sync_objects.h"
#include "extender/kube/api_client.h"
#include "extender/kube/reflector.h"
#include "extender/state/watch_sinks.h"
#include "extender/telemetry/logging.h"
#include "quota/quota_ledger.h"

namespace quotient::benchmarks::sync {
namespace {

namespace asio = boost::asio;
namespace kube = extender::kube;
namespace state = extender::state;

bool Check(bool ok, std::string_view what) {
  if (!ok) {
    std::fprintf(stderr, "bench_sync: FAILED: %.*s\n", static_cast<int>(what.size()), what.data());
  }
  return ok;
}

int64_t Count(double x) {
  return static_cast<int64_t>(x);
}

// ---------------------------------------------------------------------------------------
// The client: the production wiring (state::LiveCluster) against the child server.

bool RunClient(const Flags& f, pid_t child, const ServerReport& server, int control_fd) {
  int64_t leaves = 0;
  quota::QuotaLedger ledger(QuotaTreeFor(f, &leaves), {});
  state::ClusterState cluster(&ledger);
  state::PodSink pod_sink(&cluster);
  state::NodeSink node_sink(&cluster);
  asio::io_context ioc(static_cast<int>(f.io_threads));
  auto guard = asio::make_work_guard(ioc);
  kube::ClientConfig config;
  config.https = false;
  config.host = "127.0.0.1";
  config.port = server.port;
  config.server = fmt::format("http://127.0.0.1:{}", server.port);
  config.qps = f.qps;
  config.burst = static_cast<int>(f.burst);
  kube::ApiClient client(ioc, config);
  auto make = [&](std::string name, std::string path, std::string_view selector,
                  kube::ObjectSink* sink) {
    kube::ReflectorOptions o;  // LiveCluster's: default resync and watch timeout
    o.name = std::move(name);
    o.list_path = std::move(path);
    o.field_selector = std::string(selector);
    o.page_size = f.page_size;
    return std::make_unique<kube::Reflector>(ioc, &client, std::move(o), sink);
  };
  auto nodes = make("nodes", "/api/v1/nodes", "", &node_sink);
  auto pods = make("pods", "/api/v1/pods", kActivePods, &pod_sink);
  std::vector<std::thread> threads;
  for (int i = 0; i < f.io_threads; ++i) {
    threads.emplace_back([&ioc] {
      pthread_setname_np(pthread_self(), "sync-io");
      ioc.run();
    });
  }
  const auto deadline = Clock::now() + std::chrono::duration<double>(f.timeout_s);
  auto wait_until = [&](auto&& done) {
    while (!done()) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  };
  const std::string load_before = LoadAverage();

  // 1. Initial sync.
  const Snapshot before = Take(child);
  nodes->Start();
  pods->Start();
  bool ok = Check(wait_until([&] { return nodes->status().synced && pods->status().synced; }),
                  "initial sync within --timeout");
  const Snapshot synced = Take(child);
  const kube::ReflectorStatus node_status = nodes->status(), pod_status = pods->status();
  state::ClusterCounts counts = cluster.counts();
  ok &= Check(counts.nodes == static_cast<size_t>(f.nodes), "every node in the cache");
  ok &= Check(counts.pods == static_cast<size_t>(f.pods), "every pod in the cache");
  ok &= Check(counts.bound_pods == static_cast<size_t>(f.pods), "every pod bound");
  ok &= Check(ledger.bound_count() == static_cast<size_t>(f.pods), "every pod charged");
  ok &= Check(node_status.lists == 1 && pod_status.lists == 1 && node_status.failures == 0 &&
                  pod_status.failures == 0,
              "one list each, no failure");
  ok &= Check(node_status.skipped_objects + pod_status.skipped_objects == 0, "no object skipped");

  // 2. Watch events.
  const Snapshot watch_start = Take(child);
  if (write(control_fd, "g", 1) != 1) ok = Check(false, "start the event stream");
  ok &= Check(wait_until([&] { return pods->status().events >= static_cast<uint64_t>(f.events); }),
              "every watch event applied within --timeout");
  const Snapshot watched = Take(child);
  const EventPlan plan = PlanOf(f.events);
  counts = cluster.counts();
  ok &= Check(counts.pods == static_cast<size_t>(f.pods + plan.added - plan.deleted),
              "pods after the events");
  ok &= Check(counts.bound_pods == static_cast<size_t>(f.pods + plan.bound - plan.deleted),
              "bound pods after the events");
  ok &= Check(ledger.bound_count() == counts.bound_pods, "ledger after the events");
  ok &= Check(pods->status().skipped_objects == 0 && pods->status().watch_restarts == 0,
              "no event skipped, one watch");

  struct ListRun {
    std::string_view name;
    ListMode mode;
    Snapshot start{}, end{};
  };
  std::vector<ListRun> list_runs;
  if (f.breakdown) {
    list_runs = {
        {"pod list again, fetch only (ApiClient, no decode)", ListMode::kFetchOnly},
        {"pod list again, fetch then decode (as ListAll)", ListMode::kSequential},
        {"pod list again, next page fetched while decoding (prototype)", ListMode::kPipelined}};
    for (ListRun& run : list_runs) ListPods(ioc, config, f, run.mode, child, &run.start, &run.end);
  }

  nodes->Stop();
  pods->Stop();
  client.Stop();
  nodes.reset();  // waits for the loops while the io threads run
  pods.reset();
  guard.reset();
  ioc.stop();
  for (auto& t : threads) t.join();

  // Report.
  const double sync_s = Seconds(synced.at - before.at);
  const double watch_s = Seconds(watched.at - watch_start.at);
  const int64_t listed = server.node_bytes + server.pod_bytes;
  fmt::print(
      "bench_sync: {} pods (avg {} B of JSON each), {} nodes (avg {} B), {} namespaces, {} quota "
      "leaves; pages of {} (chunked, one chunk per item); {} io threads; qps {} burst {}\n",
      f.pods, server.pod_bytes / std::max<int64_t>(1, f.pods), f.nodes,
      server.node_bytes / std::max<int64_t>(1, f.nodes), f.namespaces, leaves, f.page_size,
      f.io_threads, f.qps, f.burst);
  fmt::print("server (child process) rendered everything in {:.1f} s before the clock started\n",
             server.render_s);
  fmt::print("load average before: {}; after: {}\n\n", load_before, LoadAverage());
  fmt::print(
      "| phase | wall s | objects | objects/s | MB (10^6) | MB/s | client CPU s | server CPU s "
      "| client page faults | other load (cores) |\n");
  fmt::print("|---|---|---|---|---|---|---|---|---|---|\n");
  fmt::print(
      "| initial sync (both synced) | {:.3f} | {} | {} | {:.1f} | {:.0f} | {:.2f} | {:.2f} | "
      "{} | {:.2f} |\n",
      sync_s, f.pods + f.nodes, Count((f.pods + f.nodes) / sync_s), listed / 1e6,
      listed / 1e6 / sync_s, synced.cpu_s - before.cpu_s, synced.server_cpu_s - before.server_cpu_s,
      synced.faults - before.faults, OtherLoad(before, synced));
  fmt::print("| &nbsp; nodes list | {:.3f} | {} | {} | {:.1f} | | | | | |\n",
             Seconds(node_status.last_sync - before.at), f.nodes,
             Count(f.nodes / Seconds(node_status.last_sync - before.at)), server.node_bytes / 1e6);
  fmt::print("| &nbsp; pods list | {:.3f} | {} | {} | {:.1f} | | | | | |\n",
             Seconds(pod_status.last_sync - before.at), f.pods,
             Count(f.pods / Seconds(pod_status.last_sync - before.at)), server.pod_bytes / 1e6);
  fmt::print(
      "| watch: pod events | {:.3f} | {} | **{}** events/s | {:.1f} | {:.0f} | {:.2f} | {:.2f} | "
      "{} | {:.2f} |\n",
      watch_s, f.events, Count(f.events / watch_s), server.watch_bytes / 1e6,
      server.watch_bytes / 1e6 / watch_s, watched.cpu_s - watch_start.cpu_s,
      watched.server_cpu_s - watch_start.server_cpu_s, watched.faults - watch_start.faults,
      OtherLoad(watch_start, watched));
  for (const ListRun& run : list_runs) {
    const double run_s = Seconds(run.end.at - run.start.at);
    fmt::print("| {} | {:.3f} | {} | {} | {:.1f} | {:.0f} | {:.2f} | {:.2f} | {} | {:.2f} |\n",
               run.name, run_s, f.pods, Count(f.pods / run_s), server.pod_bytes / 1e6,
               server.pod_bytes / 1e6 / run_s, run.end.cpu_s - run.start.cpu_s,
               run.end.server_cpu_s - run.start.server_cpu_s, run.end.faults - run.start.faults,
               OtherLoad(run.start, run.end));
  }
  fmt::print("\n");
  const double per_object = static_cast<double>(synced.heap_bytes - before.heap_bytes) /
                            static_cast<double>(f.pods + f.nodes);
  fmt::print("memory of this process (the server's is not in it):\n");
  fmt::print(
      "  RSS before sync {:.0f} MiB, after sync {:.0f} MiB (+{:.0f} MiB), after the watch {:.0f} "
      "MiB\n",
      before.rss_kib / 1024.0, synced.rss_kib / 1024.0, (synced.rss_kib - before.rss_kib) / 1024.0,
      watched.rss_kib / 1024.0);
  fmt::print(
      "  heap in use before sync {:.0f} MiB, after sync {:.0f} MiB: {:.0f} B per object "
      "(pods + nodes), after the watch {:.0f} MiB\n",
      MiB(before.heap_bytes), MiB(synced.heap_bytes), per_object, MiB(watched.heap_bytes));
  fmt::print(
      "  peak RSS at sync end: ru_maxrss {:.0f} MiB, VmHWM {:.0f} MiB; at the end: ru_maxrss "
      "{:.0f} MiB, VmHWM {:.0f} MiB\n\n",
      synced.maxrss_kib / 1024.0, synced.hwm_kib / 1024.0, watched.maxrss_kib / 1024.0,
      watched.hwm_kib / 1024.0);
  const auto verdict = [](bool met) { return met ? "met" : "MISSED"; };
  fmt::print(
      "targets: sync <= 3 s: {} ({:.2f} s); peak RSS <= 1 GiB: {} ({:.0f} MiB); "
      ">= 20,000 pod events/s: {} ({})\n",
      verdict(sync_s <= 3), sync_s, verdict(watched.hwm_kib <= (1 << 20)), watched.hwm_kib / 1024.0,
      verdict(f.events / watch_s >= 20'000), Count(f.events / watch_s));
  return ok;
}

bool ParseFlags(int argc, char** argv, Flags* f) {
  const std::pair<std::string_view, int64_t*> counts[] = {
      {"--pods", &f->pods},           {"--nodes", &f->nodes},
      {"--events", &f->events},       {"--namespaces", &f->namespaces},
      {"--page-size", &f->page_size}, {"--io-threads", &f->io_threads},
      {"--burst", &f->burst}};
  const std::pair<std::string_view, double*> reals[] = {{"--qps", &f->qps},
                                                        {"--timeout", &f->timeout_s}};
  const std::pair<std::string_view, bool*> switches[] = {{"--breakdown", &f->breakdown},
                                                         {"--print-objects", &f->print_objects}};
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const std::string_view name = arg.substr(0, arg.find('='));
    const std::string value(arg.substr(std::min(arg.size(), name.size() + 1)));
    bool known = false;
    try {
      for (const auto& [flag, out] : counts) {
        if (flag == name) *out = std::stoll(value), known = true;
      }
      for (const auto& [flag, out] : reals) {
        if (flag == name) *out = std::stod(value), known = true;
      }
    } catch (const std::exception&) {
      known = false;
    }
    for (const auto& [flag, out] : switches) {
      if (flag == arg) *out = true, known = true;
    }
    if (arg == "--smoke") {
      f->pods = 2'000, f->nodes = 200, f->events = 2'000, f->namespaces = 50, f->timeout_s = 60;
      known = true;
    }
    if (!known) {
      std::fprintf(stderr,
                   "usage: bench_sync [--pods=N] [--nodes=N] [--events=N] [--namespaces=N] "
                   "[--page-size=N] [--io-threads=N] [--qps=X (0: no limit)] [--burst=N] "
                   "[--breakdown] [--print-objects] [--timeout=SECONDS] [--smoke]\n"
                   "bad argument: %s\n",
                   argv[i]);
      return false;
    }
  }
  const int64_t deletions = PlanOf(f->events).deleted;
  if (f->pods <= deletions || f->nodes < 1 || f->namespaces < 1 || f->page_size < 1 ||
      f->io_threads < 1) {
    std::fprintf(stderr, "bench_sync: need --pods > events/20, and positive counts\n");
    return false;
  }
  return true;
}

int Main(int argc, char** argv) {
  Flags f;
  if (!ParseFlags(argc, argv, &f)) return 2;
  if (f.print_objects) {
    std::string text;
    AppendListPod(&text, 1, f);
    text += "\n";
    AppendNode(&text, 0);
    text += "\n";
    ForEachEvent(f, f.pods, 20, [&](const std::string& line) { text += line; });
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  int report_pipe[2], control_pipe[2];
  if (pipe(report_pipe) != 0 || pipe(control_pipe) != 0) return 2;
  const pid_t child = fork();  // before any thread: the server's memory stays out of ours
  if (child < 0) return 2;
  if (child == 0) {
    close(report_pipe[0]);
    close(control_pipe[1]);
    RunServer(f, report_pipe[1], control_pipe[0]);
  }
  close(report_pipe[1]);
  close(control_pipe[0]);
  ServerReport server;
  if (read(report_pipe[0], &server, sizeof server) != sizeof server) {
    std::fprintf(stderr, "bench_sync: the server process failed\n");
    return 2;
  }
  extender::ConfigureLogging(extender::LogFormat::kText, "warn");
  const bool ok = RunClient(f, child, server, control_pipe[1]);
  close(control_pipe[1]);  // the server exits
  waitpid(child, nullptr, 0);
  if (ok && f.breakdown) Breakdown(f);
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace quotient::benchmarks::sync

int main(int argc, char** argv) {
  return quotient::benchmarks::sync::Main(argc, argv);
}
