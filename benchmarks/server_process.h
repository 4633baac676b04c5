// A `quotient serve` child process for the load driver: started on a free loopback port,
// probed on /healthz, measured through its CPU clock, and stopped when the owner goes away.
//
// The child gets PR_SET_PDEATHSIG(SIGKILL), so it also dies if the driver is killed.
//
// Thread safety: thread-compatible; CpuSeconds() may be called from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace quotient::benchmarks {

// A port that was free on 127.0.0.1 a moment ago (bound to port 0, then closed). Another
// process may take it before the server binds it; Start() reports that as a failure.
uint16_t PickFreeLoopbackPort();

class ServerProcess {
 public:
  ServerProcess() = default;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess() { Stop(); }

  // Runs `binary serve --listen 127.0.0.1:PORT --threads N --log-level warn` on a fresh
  // port and waits (up to `timeout`) until GET /healthz answers 200. `cpu` >= 0 pins the
  // child to that CPU. On failure returns false with a message in *error.
  bool Start(const std::string& binary, int server_threads, int cpu,
             std::chrono::milliseconds timeout, std::string* error);

  // SIGTERM, then SIGKILL after a grace period; reaps the child. Idempotent.
  void Stop();

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  // user + system CPU time of the whole child process so far, in seconds (ns resolution
  // through clock_getcpuclockid; falls back to utime+stime of /proc/PID/stat in ticks).
  double CpuSeconds() const;

 private:
  bool StartOnce(const std::string& binary, int server_threads, int cpu,
                 std::chrono::milliseconds timeout, std::string* error);
  bool Exited();  // reaps the child if it has exited

  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

// CPU time (user + system) of this process so far, in seconds.
double SelfCpuSeconds();

}  // namespace quotient::benchmarks
