#include "bench/sys/system_check.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include <fmt/format.h>

#include "bench/api/params.h"
#include "bench/sys/kernel_files.h"
#include "bench/sys/measure.h"
#include "bench/sys/placement.h"

namespace versus {

namespace {

const std::string kCpuDir = "/sys/devices/system/cpu";

// A command name fit for one line of text and for JSON: comm is whatever bytes the process set,
// control characters and invalid UTF-8 included, so those beyond printable ASCII read '?'.
std::string printable(const std::string& comm) {
  std::string out = comm;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return out;
}

struct Seen {
  std::string comm;
  uint64_t ticks = 0;        // utime + stime
  uint64_t start_ticks = 0;  // tells a pid reused during the sample apart
};

// Every process /proc lists now. Without /proc (some sandboxes) the list is empty, and so are
// the findings: a machine versus cannot see into is not called busy.
std::map<pid_t, Seen> processes_now() {
  std::map<pid_t, Seen> out;
  DIR* dir = opendir("/proc");
  if (!dir) return out;
  // readdir's end and its error alike end the listing: one cut short gives fewer findings, never
  // a false one.
  while (const dirent* e = readdir(dir)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || pid <= 0) continue;
    // A process that ended since the listing has no stat to read: it is simply not seen.
    if (const std::optional<ProcStat> stat = read_proc_stat(pid_t(pid))) {
      out[pid_t(pid)] = {printable(stat->comm), stat->utime_ticks + stat->stime_ticks, stat->start_ticks};
    }
  }
  closedir(dir);
  return out;
}

// The processes not in `ours` that used more than kBusyProcessPercent of a CPU between `before`
// and `after`, `elapsed_s` apart, busiest first.
std::vector<BusyProcess> busy_between(const std::map<pid_t, Seen>& before, const std::map<pid_t, Seen>& after,
                                      double elapsed_s, std::span<const pid_t> ours) {
  std::vector<BusyProcess> busy;
  if (elapsed_s <= 0) return busy;
  for (const auto& [pid, now] : after) {
    if (std::find(ours.begin(), ours.end(), pid) != ours.end()) continue;
    // A process started during the sample (or a pid reused by one) spent all its time in it.
    const auto was = before.find(pid);
    const uint64_t then = was != before.end() && was->second.start_ticks == now.start_ticks ? was->second.ticks : 0;
    if (now.ticks < then) continue;
    const double percent = double(now.ticks - then) * clock_tick_s() / elapsed_s * 100;
    if (percent > kBusyProcessPercent) busy.push_back({pid, now.comm, percent});
  }
  std::sort(busy.begin(), busy.end(), [](const BusyProcess& a, const BusyProcess& b) {
    return a.percent != b.percent ? a.percent > b.percent : a.pid < b.pid;
  });
  return busy;
}

}  // namespace

std::map<int, std::string> read_governors(std::span<const int> cpus) {
  std::map<int, std::string> out;
  for (int cpu : cpus) {
    // Absent without a cpufreq driver, as in most VMs, whose host sets the frequency.
    if (auto governor = read_sys(fmt::format("{}/cpu{}/cpufreq/scaling_governor", kCpuDir, cpu))) {
      out[cpu] = *governor;
    }
  }
  return out;
}

std::optional<bool> read_boost() {
  // cpufreq/boost says whether boost is on; intel_pstate says the opposite, whether it is off.
  if (auto boost = read_sys(kCpuDir + "/cpufreq/boost")) return *boost == "1";
  if (auto no_turbo = read_sys(kCpuDir + "/intel_pstate/no_turbo")) return *no_turbo == "0";
  return std::nullopt;
}

SystemCheck check_system(std::span<const int> cpus, double sample_s, std::span<const pid_t> ours) {
  SystemCheck check;
  check.cpus.assign(cpus.begin(), cpus.end());
  if (sample_s > 0) {
    const int64_t start_ns = now_ns();
    const std::map<pid_t, Seen> before = processes_now();
    // sleep_for sleeps on after a signal that does not end versus: the sample keeps its length.
    std::this_thread::sleep_for(std::chrono::duration<double>(sample_s));
    // Each process is read at about the same point of both listings, so the listings' starts
    // are the length of its interval.
    const int64_t end_ns = now_ns();
    const std::map<pid_t, Seen> after = processes_now();
    check.sample_s = double(end_ns - start_ns) / 1e9;
    check.busy = busy_between(before, after, check.sample_s, ours);
  }
  // Read after the sample: the load average as the matrix starts.
  if (const std::optional<LoadAverage> load = read_loadavg()) check.load_average = load->one_min;
  check.governors = read_governors(cpus);
  check.boost = read_boost();
  return check;
}

std::vector<std::string> noisy_reasons(const SystemCheck& check) {
  std::vector<std::string> reasons;
  const size_t cpus = std::max<size_t>(1, check.cpus.size());
  if (check.load_average && *check.load_average > kLoadPerCpuLimit * double(cpus)) {
    reasons.push_back(fmt::format("load average {:.2f} on {} CPU{} (above {} per CPU)", *check.load_average, cpus,
                                  cpus == 1 ? "" : "s", kLoadPerCpuLimit));
  }
  for (size_t i = 0; i < check.busy.size() && i < kBusyProcessesNamed; ++i) {
    const BusyProcess& p = check.busy[i];
    reasons.push_back(fmt::format("pid {} {} used {:.0f}% of a CPU", p.pid, p.comm, p.percent));
  }
  if (check.busy.size() > kBusyProcessesNamed) {
    const size_t more = check.busy.size() - kBusyProcessesNamed;
    reasons.push_back(
        fmt::format("{} more process{} above {}% of a CPU", more, more == 1 ? "" : "es", kBusyProcessPercent));
  }
  // One reason per governor that is not `performance`, naming its CPUs.
  std::map<std::string, std::vector<int>> cpus_of;
  for (const auto& [cpu, governor] : check.governors) {
    if (governor != "performance") cpus_of[governor].push_back(cpu);
  }
  for (const auto& [governor, on] : cpus_of) {
    reasons.push_back(fmt::format("governor {} on CPU{} {} (performance is steadier)", governor,
                                  on.size() == 1 ? "" : "s", format_cpu_list(on)));
  }
  if (check.boost.value_or(false)) {
    reasons.push_back("boost on (the clock rises and falls with temperature and the other cores' load)");
  }
  return reasons;
}

std::string noisy_warning(const SystemCheck& check) {
  const std::vector<std::string> reasons = noisy_reasons(check);
  if (reasons.empty()) return {};
  return "versus: warning: this machine is noisy, figures will vary more: " + join(reasons, "; ");
}

}  // namespace versus
