// Is this machine quiet enough to measure on? Before a matrix runs, versus samples the machine and
// says out loud what will make its figures vary more: a load average, other busy processes, a
// frequency governor that follows the load, boost (pyperf's `system check` is the model).
// A machine that cannot show something (no cpufreq on a VM, no /proc/loadavg in a sandbox) gives
// no finding for it and no reason: the check says what it saw, never what it guessed.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace versus {

// The limits past which a finding is a reason.
inline constexpr double kLoadPerCpuLimit = 0.2;   // 1-minute load average per allowed CPU
inline constexpr double kBusyProcessPercent = 5;  // another process's share of one CPU
inline constexpr size_t kBusyProcessesNamed = 3;  // named in the reasons; the rest counted

struct BusyProcess {
  pid_t pid = 0;
  std::string comm;    // /proc/PID/stat's command name, bytes past printable ASCII as '?'
  double percent = 0;  // of one CPU over the sample (above 100 for a process busy on several)
};

struct SystemCheck {
  // The CPUs versus may use: the load average and the governors are judged on them.
  std::vector<int> cpus;
  double sample_s = 0;                   // how long processes were sampled, as measured; 0: not sampled
  std::optional<double> load_average;    // /proc/loadavg, 1 minute
  std::vector<BusyProcess> busy;         // other processes above kBusyProcessPercent, busiest first
  std::map<int, std::string> governors;  // CPU -> scaling_governor; CPUs without cpufreq absent
  std::optional<bool> boost;             // turbo/boost on; nothing where the kernel does not say
};

// Samples the machine: reads the load average, the governors of `cpus` and boost, and, when
// sample_s > 0, every process's CPU time before and after sleeping sample_s seconds. Processes
// in `ours` (versus and its children) are not counted. Never throws for what the machine does
// not show.
SystemCheck check_system(std::span<const int> cpus, double sample_s, std::span<const pid_t> ours);

// Each reason the findings make the machine noisy, in the order load, processes, governors,
// boost; empty when it is quiet.
std::vector<std::string> noisy_reasons(const SystemCheck& check);

// The one warning line naming every reason ("versus: warning: this machine is noisy, ..."),
// without a newline; "" when the machine is quiet.
std::string noisy_warning(const SystemCheck& check);

// cpufreq as the kernel shows it, shared with env.json's topology. The governor of each of
// `cpus` that has one: a CPU without cpufreq (most VMs) is left out.
std::map<int, std::string> read_governors(std::span<const int> cpus);
// Boost on (cpufreq/boost is 1, or intel_pstate/no_turbo is 0); nothing where neither file is.
std::optional<bool> read_boost();

}  // namespace versus
