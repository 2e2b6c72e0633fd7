// What else ran on a cell's CPUs while it was measured. /proc/stat keeps, per CPU, the time it
// was busy and the time a hypervisor stole it since boot; over the measured phase, a cell's CPUs'
// busy time less the cell's own CPU time is what something else took from it.
#pragma once

#include <sys/types.h>

#include <optional>
#include <span>
#include <vector>

namespace versus {

// A reading of every CPU's clocks, or (after operator-) their advance over an interval.
struct CpuTimes {
  std::vector<double> busy_s;   // by OS CPU number: user, nice, system, irq and softirq
  std::vector<double> steal_s;  // by OS CPU number
  double helpers_s = 0;         // CPU time of the processes counted as the cell's (CountedAsCell)
};
CpuTimes operator-(const CpuTimes& after, const CpuTimes& before);

// /proc/stat now, and the counted helpers' CPU time; nothing when /proc/stat cannot be read.
std::optional<CpuTimes> read_cpu_times();

// While it lives, process `pid` is part of the cell though the runner does not measure it: the
// embedded Redis server, which does the cell's other half of the work. Its CPU time is the
// cell's own, and `cpus`, those it may run on, are the cell's CPUs too: what else runs there
// slows the cell as surely as on the workers' own. One per process of a repetition.
class CountedAsCell {
 public:
  CountedAsCell(pid_t pid, std::vector<int> cpus);
  ~CountedAsCell();
  CountedAsCell(const CountedAsCell&) = delete;
  CountedAsCell& operator=(const CountedAsCell&) = delete;
};

// `cpus` with those of every live CountedAsCell, in order, each once.
std::vector<int> with_counted_cpus(std::vector<int> cpus);

struct Interference {
  double other_cpu_s = 0;  // the CPUs' busy time less the cell's own, never below 0
  double steal_s = 0;
  // (other_cpu_s + steal_s) / (wall_s x the CPUs), or 0 while that sum is within /proc/stat's
  // resolution (resolution_s): one clock tick per CPU. Its busy time is sampled at each tick, so
  // over a short phase it is off by about a tick per CPU. Measured with the ci preset here
  // (benchmarks/noise.sh): one tick per CPU flags 4% of a quiet machine's repetitions and 21% of
  // those beside a process spinning on one of the two CPUs (52% of the cells spread over both);
  // two ticks flag 0.2% and 3%.
  double fraction = 0;
  double resolution_s = 0;
};

// The interference on `cpus` over an interval whose advance is `phase`, in which the cell used
// `own_cpu_s` of CPU time (its helpers' is added) and lasted `wall_s`.
Interference interference_on(const CpuTimes& phase, std::span<const int> cpus, double own_cpu_s, double wall_s);

}  // namespace versus
