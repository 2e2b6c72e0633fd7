#include "bench/sys/interference.h"

#include "bench/sys/kernel_files.h"

#include <algorithm>
#include <mutex>

namespace versus {

namespace {

struct Helper {
  const CountedAsCell* owner;  // not the pid: two registrations of one process are two helpers
  pid_t pid;
  std::vector<int> cpus;
};
std::mutex helpers_mutex;
std::vector<Helper>& helpers() {
  static std::vector<Helper> live;
  return live;
}

// CPU time of every thread of `pid`; 0 once the process is gone.
double cpu_of_process(pid_t pid) {
  const auto stat = read_proc_stat(pid);
  return stat ? double(stat->utime_ticks + stat->stime_ticks) * clock_tick_s() : 0;
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
  const auto cpus = read_cpu_stat();
  if (!cpus) return std::nullopt;
  CpuTimes t;
  for (const CpuStat& cpu : *cpus) {
    t.busy_s.push_back(double(cpu.busy_ticks) * clock_tick_s());
    t.steal_s.push_back(double(cpu.steal_ticks) * clock_tick_s());
  }
  const std::lock_guard lock(helpers_mutex);
  for (const Helper& h : helpers()) t.helpers_s += cpu_of_process(h.pid);
  return t;
}

CountedAsCell::CountedAsCell(pid_t pid, std::vector<int> cpus) {
  const std::lock_guard lock(helpers_mutex);
  helpers().push_back({this, pid, std::move(cpus)});
}

CountedAsCell::~CountedAsCell() {
  const std::lock_guard lock(helpers_mutex);
  std::erase_if(helpers(), [this](const Helper& h) { return h.owner == this; });
}

std::vector<int> with_counted_cpus(std::vector<int> cpus) {
  {
    const std::lock_guard lock(helpers_mutex);
    for (const Helper& h : helpers()) cpus.insert(cpus.end(), h.cpus.begin(), h.cpus.end());
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
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
  i.resolution_s = clock_tick_s() * double(cpus.size());
  const double capacity = wall_s * double(cpus.size());
  if (capacity > 0 && i.other_cpu_s + i.steal_s > i.resolution_s) i.fraction = (i.other_cpu_s + i.steal_s) / capacity;
  return i;
}

}  // namespace versus
