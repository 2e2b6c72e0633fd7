// Measures shared by every runner: the clock, CPU and context switches from getrusage, and
// memory (peak RSS and PSS) of a set of processes read from /proc.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>

namespace versus {

// CLOCK_MONOTONIC in nanoseconds: one clock for every process of the machine, so a finish time
// taken in a child compares with a start time taken in its parent.
int64_t now_ns();

struct Usage {
  double user_s = 0;
  double sys_s = 0;
  int64_t voluntary = 0;    // context switches: the process waited
  int64_t involuntary = 0;  // context switches: the scheduler took the CPU away

  Usage& operator+=(const Usage& o);
  Usage operator+(const Usage& o) const { return Usage(*this) += o; }
  Usage operator-(const Usage& o) const;
};

Usage usage_of_self();      // getrusage(RUSAGE_SELF): every thread of this process
Usage usage_of_children();  // getrusage(RUSAGE_CHILDREN): reaped children

struct Memory {
  int64_t rss_peak_bytes = 0;  // sum of VmHWM over the processes
  int64_t pss_bytes = 0;       // sum of Pss: shared pages divided among their sharers
};

// Reads /proc/PID/status and /proc/PID/smaps_rollup of each process. A process that vanished
// counts zero. Sample while the workers are still alive.
Memory sample_memory(std::span<const pid_t> pids);

// Resets this process's peak RSS (VmHWM) to its current RSS, where the kernel allows it.
void reset_peak_rss();

}  // namespace versus
