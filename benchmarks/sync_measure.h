// What bench_sync measures around a phase: this process's CPU time, page faults, RSS and
// heap, the fake API server's CPU time (a child process, from /proc) and the whole machine's
// busy time, so that a table row can say how much of the machine something else used.
//
// Thread safety: Take() reads process-wide counters; call it from one thread at a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace quotient::benchmarks::sync {

using Clock = std::chrono::steady_clock;

struct Snapshot {
  Clock::time_point at = Clock::now();
  double cpu_s = 0;         // this process, user + system
  int64_t faults = 0;       // this process, minor + major page faults
  double server_cpu_s = 0;  // the child
  int64_t rss_kib = 0, hwm_kib = 0, maxrss_kib = 0;
  int64_t heap_bytes = 0;     // malloc'd and in use (all arenas)
  double machine_busy_s = 0;  // every CPU of the machine (/proc/stat), busy time
};

// Everything in a Snapshot now; `child` is the fake API server's pid.
Snapshot Take(pid_t child);

// /proc/loadavg's three averages.
std::string LoadAverage();

double Seconds(Clock::duration d);

// Cores kept busy by anything but this process and the server during [a, b].
double OtherLoad(const Snapshot& a, const Snapshot& b);

double MiB(int64_t bytes);

}  // namespace quotient::benchmarks::sync
