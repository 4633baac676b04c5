#include "benchmarks/sync_measure.h"

#include <fmt/format.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string_view>

namespace quotient::benchmarks::sync {
namespace {

// Busy CPU time of the whole machine: user, nice, system, irq, softirq, steal.
double MachineBusySeconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  int64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return static_cast<double>(user + nice + system + irq + softirq + steal) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

int64_t StatusKib(const std::string& text, std::string_view key) {
  const size_t at = text.find(key);
  return at == std::string::npos ? 0 : std::stoll(text.substr(at + key.size()));
}

}  // namespace

Snapshot Take(pid_t child) {
  Snapshot s;
  s.machine_busy_s = MachineBusySeconds();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  s.cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  s.maxrss_kib = ru.ru_maxrss;
  s.faults = ru.ru_minflt + ru.ru_majflt;
  std::ifstream status_file("/proc/self/status");
  const std::string status((std::istreambuf_iterator<char>(status_file)), {});
  s.rss_kib = StatusKib(status, "VmRSS:");
  s.hwm_kib = StatusKib(status, "VmHWM:");
  const struct mallinfo2 mi = mallinfo2();
  s.heap_bytes = static_cast<int64_t>(mi.uordblks + mi.hblkhd);
  std::ifstream stat_file(fmt::format("/proc/{}/stat", child));
  const std::string stat((std::istreambuf_iterator<char>(stat_file)), {});
  std::string_view rest = std::string_view(stat).substr(stat.rfind(')') + 2);
  for (int field = 3; field < 14; ++field) rest.remove_prefix(rest.find(' ') + 1);  // to utime
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const int64_t utime = std::stoll(std::string(rest.substr(0, rest.find(' '))));
  rest.remove_prefix(rest.find(' ') + 1);
  s.server_cpu_s = static_cast<double>(utime + std::stoll(std::string(rest))) / ticks;
  return s;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double OtherLoad(const Snapshot& a, const Snapshot& b) {
  const double others = (b.machine_busy_s - a.machine_busy_s) - (b.cpu_s - a.cpu_s) -
                        (b.server_cpu_s - a.server_cpu_s);
  return std::max(0.0, others / Seconds(b.at - a.at));
}

double MiB(int64_t bytes) {
  return static_cast<double>(bytes) / (1 << 20);
}

}  // namespace quotient::benchmarks::sync
