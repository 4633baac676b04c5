// HTTP load driver: keep-alive POST /filter against a real `quotient serve` child process.
//
// Run (Release build; nothing else heavy on the machine, check `uptime`):
//   cmake --build build --target http_load quotient
//   build/benchmarks/http_load                 # names {500,5000} x conns {1,8,64}, 3 s each
//   build/benchmarks/http_load --seconds 5 --names 500 --conns 1,8 --pin
//   build/benchmarks/http_load --names '' --full-nodes 500 --conns 1
// CI smoke (ctest -L bench): http_load --seconds 0.2 --names 500 --conns 1
//
// The driver starts `quotient serve --listen 127.0.0.1:PORT --threads N --log-level warn`
// on a free port, waits for /healthz and checks one answer of each body. Then, for each body
// x connection count, it opens the connections, warms up for --warmup seconds and measures
// for --seconds (or --max-requests, whichever comes first). Every connection sends one
// request at a time (a closed loop, like kube-scheduler's serialized filter calls) from
// async clients on --client-threads threads. Latency is client-side: from writing the
// request to the end of the response. Server CPU is the child's user+system CPU clock over
// the measured window; client CPU is this process's; "other load" is the rest of the
// machine's busy time (/proc/stat) in cores: near 0 means nothing else disturbed the phase.
// Output: a markdown table.
// Loopback only; the child is stopped at exit and dies with the driver (PDEATHSIG).
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "benchmarks/fixtures.h"
#include "benchmarks/latency_histogram.h"
#include "benchmarks/server_process.h"

namespace quotient::benchmarks {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kReadChunkBytes = 64u << 10;
constexpr uint64_t kMaxResponseBytes = uint64_t{1} << 30;
constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr auto kDrainTimeout = std::chrono::seconds(10);
constexpr auto kPollInterval = std::chrono::milliseconds(5);

constexpr char kUsage[] = R"(Usage: http_load [flags]

  --quotient PATH        quotient binary (default: the one of this build tree)
  --seconds S            measured time per phase (default 3)
  --warmup S             warm-up per phase, not measured (default 0.5, at most --seconds)
  --names LIST           node-name counts, nodeCacheCapable bodies (default 500,5000)
  --full-nodes LIST      full GPU Node counts, ~18 KB each (default none)
  --conns LIST           keep-alive connection counts (default 1,8,64)
  --server-threads N     quotient serve --threads (default 1)
  --client-threads N     driver threads; connections are spread over them (default 1)
  --max-requests N       stop a phase after N measured requests (default 2000000)
  --pin                  pin the server to the last CPU and the driver to CPU 0
)";

struct Options {
  std::string quotient = QUOTIENT_BINARY;
  double seconds = 3;
  double warmup = 0.5;
  std::vector<size_t> names = {500, 5000};
  std::vector<size_t> full_nodes;
  std::vector<size_t> conns = {1, 8, 64};
  int server_threads = 1;
  int client_threads = 1;
  uint64_t max_requests = 2'000'000;
  bool pin = false;
};

bool ParseList(const std::string& text, std::vector<size_t>* out) {
  out->clear();
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = text.substr(start, comma - start);
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos) return false;
    out->push_back(std::stoul(item));
    if (out->back() == 0) return false;
    start = comma + 1;
  }
  return true;
}

bool ParseOptions(int argc, char** argv, Options* o, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    if (name == "--pin") {
      o->pin = true;
      continue;
    }
    if (name == "-h" || name == "--help") {
      *error = "";
      return false;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        *error = name + " needs a value";
        return false;
      }
      value = argv[++i];
    }
    bool ok = true;
    try {
      if (name == "--quotient") {
        o->quotient = value;
      } else if (name == "--seconds") {
        o->seconds = std::stod(value);
        ok = o->seconds > 0;
      } else if (name == "--warmup") {
        o->warmup = std::stod(value);
        ok = o->warmup >= 0;
      } else if (name == "--names") {
        ok = ParseList(value, &o->names);
      } else if (name == "--full-nodes") {
        ok = ParseList(value, &o->full_nodes);
      } else if (name == "--conns") {
        ok = ParseList(value, &o->conns);
      } else if (name == "--server-threads") {
        o->server_threads = std::stoi(value);
        ok = o->server_threads > 0;
      } else if (name == "--client-threads") {
        o->client_threads = std::stoi(value);
        ok = o->client_threads > 0;
      } else if (name == "--max-requests") {
        o->max_requests = std::stoull(value);
        ok = o->max_requests > 0;
      } else {
        *error = "unknown flag " + name;
        return false;
      }
    } catch (const std::exception&) {
      ok = false;
    }
    if (!ok) {
      *error = "invalid value for " + name + ": \"" + value + "\"";
      return false;
    }
  }
  o->warmup = std::min(o->warmup, o->seconds);
  return true;
}

// A response body that is counted, not stored: the driver shares the machine with the
// server, so its own CPU per request is kept small.
struct CountingBody {
  using value_type = uint64_t;
  class reader {
   public:
    template <bool kIsRequest, class Fields>
    reader(http::header<kIsRequest, Fields>& /*header*/, value_type& bytes) : bytes_(bytes) {}
    void init(const boost::optional<uint64_t>& /*length*/, beast::error_code& ec) {
      bytes_ = 0;
      ec = {};
    }
    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      const size_t n = asio::buffer_size(buffers);
      bytes_ += n;
      ec = {};
      return n;
    }
    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& bytes_;
  };
};

struct Workload {
  std::string label;  // "500 names", "500 full nodes"
  size_t nodes = 0;
  size_t body_bytes = 0;
  std::string request;  // the whole HTTP request: header and body
};

// The request as Go's net/http client writes it for kube-scheduler's extender call.
Workload MakeWorkload(size_t nodes, bool full, uint16_t port) {
  extender::RequestBody body = full ? FilterFullNodesRequest(nodes) : FilterNamesRequest(nodes);
  Workload w;
  w.label = std::to_string(nodes) + (full ? " full nodes" : " names");
  w.nodes = nodes;
  w.body_bytes = body.size();
  w.request =
      "POST /filter HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
      "\r\nUser-Agent: Go-http-client/1.1\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nContent-Type: application/json\r\nAccept-Encoding: gzip\r\n\r\n";
  w.request.append(body.view());
  return w;
}

// One request on a fresh connection; the answer must pass every node.
bool CheckAnswer(const Workload& w, uint16_t port, std::string* error) {
  try {
    asio::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
    asio::write(socket, asio::buffer(w.request));
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBytes);
    http::read(socket, buffer, parser);
    const std::string& body = parser.get().body();
    const std::string last = "\"" + NodeName(w.nodes) + "\"";
    if (parser.get().result_int() != 200 || body.find(last) == std::string::npos ||
        body.find("\"Error\":\"\"}") == std::string::npos) {
      *error = w.label + ": unexpected answer " + std::to_string(parser.get().result_int()) + ": " +
               body.substr(0, 200);
      return false;
    }
    return true;
  } catch (const std::exception& e) {
    *error = w.label + ": " + e.what();
    return false;
  }
}

enum Phase : int { kWarmup, kMeasure, kDone };

struct PhaseState {
  std::atomic<int> phase{kWarmup};
  std::atomic<uint64_t> measured{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<int> live{0};  // connections still running
};

// One keep-alive connection in a closed loop until the phase is done or a request fails.
asio::awaitable<void> Drive(tcp::socket socket, const std::string* request, PhaseState* state,
                            LatencyHistogram* latency) {
  beast::flat_buffer buffer;
  buffer.reserve(kReadChunkBytes);  // see docs/benchmarks.md, "Reading large bodies"
  for (;;) {
    const int phase = state->phase.load(std::memory_order_acquire);
    if (phase == kDone) break;
    const Clock::time_point start = Clock::now();
    auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(*request), kUseTuple);
    if (wec) {
      state->errors.fetch_add(1, std::memory_order_relaxed);
      break;
    }
    http::response_parser<CountingBody> parser;
    parser.body_limit(kMaxResponseBytes);
    auto [rec, rn] = co_await http::async_read(socket, buffer, parser, kUseTuple);
    const Clock::time_point end = Clock::now();
    if (rec || parser.get().result_int() != 200 || !parser.get().keep_alive()) {
      state->errors.fetch_add(1, std::memory_order_relaxed);
      break;
    }
    if (phase == kMeasure && state->phase.load(std::memory_order_acquire) == kMeasure) {
      latency->Record(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count()));
      state->measured.fetch_add(1, std::memory_order_relaxed);
    }
  }
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  state->live.fetch_sub(1, std::memory_order_acq_rel);
}

struct PhaseResult {
  LatencyHistogram latency;
  uint64_t errors = 0;
  double wall_seconds = 0;
  double server_cpu_seconds = 0;
  double client_cpu_seconds = 0;
  double machine_cpu_seconds = 0;  // every process, from /proc/stat
};

// Busy CPU time of the whole machine so far (all CPUs, every process and the kernel), in
// seconds at tick resolution. Minus server and client, it shows whether anything else ran.
double MachineBusySeconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                     steal = 0;
  in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return static_cast<double>(user + nice + system + irq + softirq + steal) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

PhaseResult RunPhase(const Options& o, const Workload& w, size_t conns,
                     const ServerProcess& server) {
  PhaseState state;
  const size_t threads = std::min<size_t>(static_cast<size_t>(o.client_threads), conns);
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (size_t t = 0; t < threads; ++t) contexts.push_back(std::make_unique<asio::io_context>(1));
  std::vector<LatencyHistogram> latencies(conns);
  const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), server.port());
  PhaseResult result;
  for (size_t c = 0; c < conns; ++c) {
    asio::io_context& ioc = *contexts[c % threads];
    tcp::socket socket(ioc);
    boost::system::error_code ec;
    socket.connect(endpoint, ec);
    if (!ec) socket.set_option(tcp::no_delay(true), ec);  // as Go's net/http does
    if (ec) {
      ++result.errors;
      continue;
    }
    state.live.fetch_add(1);
    asio::co_spawn(ioc, Drive(std::move(socket), &w.request, &state, &latencies[c]),
                   asio::detached);
  }
  std::vector<std::thread> pool;
  for (auto& ioc : contexts) pool.emplace_back([&ioc] { ioc->run(); });

  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
  const double server0 = server.CpuSeconds();
  const double client0 = SelfCpuSeconds();
  const double machine0 = MachineBusySeconds();
  const Clock::time_point start = Clock::now();
  state.phase.store(kMeasure, std::memory_order_release);
  const auto limit = std::chrono::duration<double>(o.seconds);
  while (Clock::now() - start < limit && state.live.load() > 0 &&
         state.measured.load(std::memory_order_relaxed) < o.max_requests) {
    std::this_thread::sleep_for(kPollInterval);
  }
  state.phase.store(kDone, std::memory_order_release);
  result.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.server_cpu_seconds = server.CpuSeconds() - server0;
  result.client_cpu_seconds = SelfCpuSeconds() - client0;
  result.machine_cpu_seconds = MachineBusySeconds() - machine0;

  const Clock::time_point drain_deadline = Clock::now() + kDrainTimeout;
  while (state.live.load() > 0 && Clock::now() < drain_deadline) {
    std::this_thread::sleep_for(kPollInterval);
  }
  for (auto& ioc : contexts) ioc->stop();  // a connection stuck past the deadline
  for (auto& thread : pool) thread.join();
  for (const auto& l : latencies) result.latency.Merge(l);
  result.errors += state.errors.load();
  return result;
}

std::string Micros(uint64_t nanos) {
  char text[32];
  std::snprintf(text, sizeof text, nanos < 10'000'000 ? "%.1f" : "%.0f",
                static_cast<double>(nanos) / 1e3);
  return text;
}

void PrintRow(const Workload& w, size_t conns, const PhaseResult& r) {
  const auto n = static_cast<double>(r.latency.count());
  const double per_request = n > 0 ? 1e6 / n : 0;
  const double other =
      std::max(0.0, r.machine_cpu_seconds - r.server_cpu_seconds - r.client_cpu_seconds);
  std::printf(
      "| %s | %.1f | %zu | %llu | %.0f | %s | %s | %s | %s | %.1f | %.0f | %.0f %% | "
      "%.1f | %.2f | %llu |\n",
      w.label.c_str(), static_cast<double>(w.body_bytes) / 1024.0, conns,
      static_cast<unsigned long long>(r.latency.count()), n / r.wall_seconds,
      Micros(r.latency.Percentile(0.50)).c_str(), Micros(r.latency.Percentile(0.99)).c_str(),
      Micros(r.latency.Percentile(0.999)).c_str(), Micros(r.latency.max()).c_str(),
      r.server_cpu_seconds * per_request, r.server_cpu_seconds > 0 ? n / r.server_cpu_seconds : 0,
      100.0 * r.server_cpu_seconds / r.wall_seconds, r.client_cpu_seconds * per_request,
      other / r.wall_seconds, static_cast<unsigned long long>(r.errors));
  std::fflush(stdout);
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

void PinSelf(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

int Run(const Options& o) {
  std::signal(SIGPIPE, SIG_IGN);
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  const bool pin = o.pin && cpus >= 2;
  ServerProcess server;
  std::string error;
  if (!server.Start(o.quotient, o.server_threads, pin ? static_cast<int>(cpus - 1) : -1,
                    kStartTimeout, &error)) {
    std::fprintf(stderr, "http_load: %s\n", error.c_str());
    return 1;
  }
  if (pin) PinSelf(0);

  std::vector<std::pair<size_t, bool>> bodies;  // node count, full Node objects
  for (size_t n : o.names) bodies.emplace_back(n, false);
  for (size_t n : o.full_nodes) bodies.emplace_back(n, true);

  std::printf(
      "http_load: %s serve --threads %d on 127.0.0.1:%u (pid %d); %d client thread(s); "
      "%ld CPUs; pinned: %s; %.1f s warm-up + %.1f s per phase; load average %s\n\n",
      o.quotient.c_str(), o.server_threads, server.port(), server.pid(), o.client_threads, cpus,
      pin ? "yes" : "no", o.warmup, o.seconds, LoadAverage().c_str());
  std::printf(
      "| body | request KiB | conns | requests | req/s | p50 µs | p99 µs | p99.9 µs | "
      "max µs | server CPU µs/req | req/s per server core | server core busy | "
      "client CPU µs/req | other load (cores) | errors |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  uint64_t errors = 0;
  for (const auto& [nodes, full] : bodies) {
    // Checked right before its phases: a large body reshapes the server's heap (glibc's
    // mmap threshold adapts), which would otherwise change the phases of smaller bodies.
    const Workload w = MakeWorkload(nodes, full, server.port());
    if (!CheckAnswer(w, server.port(), &error)) {
      std::fprintf(stderr, "http_load: %s\n", error.c_str());
      return 1;
    }
    for (size_t conns : o.conns) {
      PhaseResult r = RunPhase(o, w, conns, server);
      PrintRow(w, conns, r);
      errors += r.errors;
      if (r.latency.count() == 0) ++errors;
    }
  }
  std::printf("\nload average after: %s\n", LoadAverage().c_str());
  server.Stop();
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace quotient::benchmarks

int main(int argc, char** argv) {
  quotient::benchmarks::Options options;
  std::string error;
  if (!quotient::benchmarks::ParseOptions(argc, argv, &options, &error)) {
    if (!error.empty()) std::fprintf(stderr, "http_load: %s\n\n", error.c_str());
    std::fputs(quotient::benchmarks::kUsage, error.empty() ? stdout : stderr);
    return error.empty() ? 0 : 2;
  }
  return quotient::benchmarks::Run(options);
}
