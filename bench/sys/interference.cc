#include "bench/sys/interference.h"

#include "bench/sys/kernel_files.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

namespace versus {

namespace {

double tick_s() {
  static const double tick = [] {
    const long hz = sysconf(_SC_CLK_TCK);
    return hz > 0 ? 1.0 / double(hz) : 0.01;
  }();
  return tick;
}

std::mutex helpers_mutex;
std::vector<pid_t>& helpers() {
  static std::vector<pid_t> pids;
  return pids;
}

// CPU time of every thread of `pid`; 0 once the process is gone.
double cpu_of_process(pid_t pid) {
  const auto stat = read_proc_stat(pid);
  return stat ? double(stat->utime_ticks + stat->stime_ticks) * tick_s() : 0;
}

}  // namespace

CpuTimes operator-(const CpuTimes& after, const CpuTimes& before) {
  CpuTimes d;
  const size_t n = std::min(after.busy_s.size(), before.busy_s.size());
  for (size_t i = 0; i < n; ++i) {
    d.busy_s.push_back(after.busy_s[i] - before.busy_s[i]);
    d.steal_s.push_back(after.steal_s[i] - before.steal_s[i]);
  }
  d.helpers_s = after.helpers_s - before.helpers_s;
  return d;
}

std::optional<CpuTimes> read_cpu_times() {
  std::ifstream in("/proc/stat");
  if (!in) return std::nullopt;
  CpuTimes t;
  std::string line;
  while (std::getline(in, line)) {
    // "cpuN user nice system idle iowait irq softirq steal guest guest_nice", in clock ticks;
    // guest time is already inside user and nice.
    if (line.rfind("cpu", 0) != 0 || line.size() < 4 || line[3] < '0' || line[3] > '9') continue;
    std::istringstream fields(line.substr(3));
    size_t cpu = 0;
    unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    if (!(fields >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq)) continue;
    fields >> steal;  // absent on kernels before 2.6.11: none stolen
    if (cpu >= t.busy_s.size()) {
      t.busy_s.resize(cpu + 1, 0);
      t.steal_s.resize(cpu + 1, 0);
    }
    t.busy_s[cpu] = double(user + nice + system + irq + softirq) * tick_s();
    t.steal_s[cpu] = double(steal) * tick_s();
  }
  if (t.busy_s.empty()) return std::nullopt;
  const std::lock_guard lock(helpers_mutex);
  for (pid_t pid : helpers()) t.helpers_s += cpu_of_process(pid);
  return t;
}

CountedAsCell::CountedAsCell(pid_t pid) : pid_(pid) {
  const std::lock_guard lock(helpers_mutex);
  helpers().push_back(pid);
}

CountedAsCell::~CountedAsCell() {
  const std::lock_guard lock(helpers_mutex);
  std::erase(helpers(), pid_);
}

Interference interference_on(const CpuTimes& phase, std::span<const int> cpus, double own_cpu_s, double wall_s) {
  Interference i;
  double busy = 0;
  for (int cpu : cpus) {
    if (cpu < 0 || size_t(cpu) >= phase.busy_s.size()) continue;
    busy += phase.busy_s[size_t(cpu)];
    i.steal_s += phase.steal_s[size_t(cpu)];
  }
  i.other_cpu_s = std::max(0.0, busy - own_cpu_s - phase.helpers_s);
  i.resolution_s = tick_s() * double(cpus.size());
  const double capacity = wall_s * double(cpus.size());
  if (capacity > 0 && i.other_cpu_s + i.steal_s > i.resolution_s) i.fraction = (i.other_cpu_s + i.steal_s) / capacity;
  return i;
}

}  // namespace versus
