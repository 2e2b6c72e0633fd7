// The kernel's small text files under /proc and /sys, read as values, each parsed in one place.
// Every reader answers "nothing" where the file is absent or unreadable: kernels, containers and
// VMs differ in what they show (no cpufreq on many VMs, a hidden /proc in some sandboxes), and
// a file a machine lacks is a fact about it, not an error of versus.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace versus {

// The first line of a /sys or /proc file, without its newline; nothing when it cannot be read.
std::optional<std::string> read_sys(const std::string& path);

// /proc/loadavg: "0.52 0.58 0.59 3/123 4567".
struct LoadAverage {
  double one_min = 0, five_min = 0, fifteen_min = 0;
  int64_t runnable = 0;  // tasks running or ready to run now
  int64_t tasks = 0;     // tasks in the system
};
std::optional<LoadAverage> read_loadavg();

// The fields of /proc/PID/stat versus uses (proc(5)).
struct ProcStat {
  std::string comm;  // the command name, at most 15 characters; may hold spaces and ')'
  char state = 0;    // R, S, D, Z, ...
  pid_t ppid = 0;
  pid_t pgrp = 0;  // its process group
  uint64_t utime_ticks = 0, stime_ticks = 0;  // CPU time in user and kernel mode, in clock ticks
  // When it started, in clock ticks after boot: tells apart a process whose pid was reused.
  uint64_t start_ticks = 0;
};
// Nothing when the process is gone (or /proc is not there).
std::optional<ProcStat> read_proc_stat(pid_t pid);

// Seconds per clock tick, the unit of every CPU time in /proc (1 / USER_HZ); 0.01, Linux's
// USER_HZ, where sysconf cannot say.
double clock_tick_s();

// One CPU's line of /proc/stat, in clock ticks since boot.
struct CpuStat {
  uint64_t busy_ticks = 0;   // user, nice, system, irq, softirq (guest time is inside user and nice)
  uint64_t steal_ticks = 0;  // run by a hypervisor for something else
};
// Indexed by OS CPU number (a CPU that is offline reads zero); nothing when /proc/stat is unreadable.
std::optional<std::vector<CpuStat>> read_cpu_stat();

}  // namespace versus
