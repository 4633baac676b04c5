#include "benchmarks/server_process.h"

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <sstream>
#include <thread>

namespace quotient::benchmarks {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kProbeInterval = std::chrono::milliseconds(20);
constexpr auto kStopGrace = std::chrono::seconds(3);
constexpr int kStartAttempts = 3;

// One GET /healthz on a fresh connection; true on 200.
bool Healthy(uint16_t port) {
  try {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(1));
    stream.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
    http::request<http::empty_body> req{http::verb::get, "/healthz", 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(false);
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return res.result_int() == 200;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

uint16_t PickFreeLoopbackPort() {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  return acceptor.local_endpoint().port();
}

bool ServerProcess::Start(const std::string& binary, int server_threads, int cpu,
                          std::chrono::milliseconds timeout, std::string* error) {
  // The free port may be taken between PickFreeLoopbackPort() and the child's bind; the
  // child then exits at once and another port is tried.
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    if (StartOnce(binary, server_threads, cpu, timeout, error)) return true;
  }
  return false;
}

bool ServerProcess::StartOnce(const std::string& binary, int server_threads, int cpu,
                              std::chrono::milliseconds timeout, std::string* error) {
  Stop();
  port_ = PickFreeLoopbackPort();
  const std::string listen = "127.0.0.1:" + std::to_string(port_);
  const std::string threads = std::to_string(server_threads);
  std::vector<std::string> args = {binary,      "serve", "--listen",    listen,
                                   "--threads", threads, "--log-level", "warn"};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) {
    *error = "fork failed";
    return false;
  }
  if (pid_ == 0) {  // child: async-signal-safe calls only until exec
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);  // the driver died before prctl
    if (cpu >= 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      sched_setaffinity(0, sizeof set, &set);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Exited()) {
      *error = binary + " serve exited during start-up (see its stderr above)";
      return false;
    }
    if (Healthy(port_)) return true;
    std::this_thread::sleep_for(kProbeInterval);
  }
  *error = "GET /healthz did not answer 200 on " + listen + " in time";
  Stop();
  return false;
}

bool ServerProcess::Exited() {
  if (pid_ <= 0) return true;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return true;
  }
  return false;
}

void ServerProcess::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + kStopGrace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Exited()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

double ServerProcess::CpuSeconds() const {
  clockid_t clock{};
  timespec ts{};
  if (clock_getcpuclockid(pid_, &clock) == 0 && clock_gettime(clock, &ts) == 0) {
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
  // /proc/PID/stat: fields 14 and 15 (utime, stime) follow "(comm)", which may hold spaces.
  std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace quotient::benchmarks
