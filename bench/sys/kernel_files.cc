#include "bench/sys/kernel_files.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace versus {

std::optional<std::string> read_sys(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);
  if (in.bad()) return std::nullopt;
  return line;
}

std::optional<LoadAverage> read_loadavg() {
  std::ifstream in("/proc/loadavg");
  LoadAverage load;
  char slash = 0;
  if (!(in >> load.one_min >> load.five_min >> load.fifteen_min >> load.runnable >> slash >> load.tasks) ||
      slash != '/') {
    return std::nullopt;
  }
  return load;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  const std::optional<std::string> line = read_sys("/proc/" + std::to_string(pid) + "/stat");
  if (!line) return std::nullopt;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so it ends at the last ')'.
  const size_t open = line->find('('), close = line->rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  ProcStat stat;
  stat.comm = line->substr(open + 1, close - open - 1);
  std::istringstream rest(line->substr(close + 1));
  // Fields 3 (state) to 22 (starttime); those between are read past.
  int64_t skip = 0;
  rest >> stat.state >> stat.ppid >> stat.pgrp;
  for (int field = 6; field <= 13; ++field) rest >> skip;  // session .. cmajflt
  rest >> stat.utime_ticks >> stat.stime_ticks;
  for (int field = 16; field <= 21; ++field) rest >> skip;  // cutime .. itrealvalue
  rest >> stat.start_ticks;
  if (!rest) return std::nullopt;
  return stat;
}

double clock_tick_s() {
  static const double tick = [] {
    const long hz = sysconf(_SC_CLK_TCK);
    return hz > 0 ? 1.0 / double(hz) : 0.01;
  }();
  return tick;
}

std::optional<std::vector<CpuStat>> read_cpu_stat() {
  std::ifstream in("/proc/stat");
  if (!in) return std::nullopt;
  std::vector<CpuStat> cpus;
  std::string line;
  while (std::getline(in, line)) {
    // "cpuN user nice system idle iowait irq softirq steal guest guest_nice"; "cpu " is the sum.
    if (line.rfind("cpu", 0) != 0 || line.size() < 4 || line[3] < '0' || line[3] > '9') continue;
    std::istringstream fields(line.substr(3));
    size_t cpu = 0;
    uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    if (!(fields >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq)) continue;
    fields >> steal;  // absent on kernels before 2.6.11: none stolen
    if (cpu >= cpus.size()) cpus.resize(cpu + 1);
    cpus[cpu] = {user + nice + system + irq + softirq, steal};
  }
  if (cpus.empty()) return std::nullopt;
  return cpus;
}

}  // namespace versus
