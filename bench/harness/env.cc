#include "bench/sys/migrations.h"
#include "bench/harness/env.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <boost/version.hpp>
#include <CLI/Version.hpp>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <span>
#include <set>
#include <toml++/toml.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "bench/harness/build_info.h"
#include "bench/sys/kernel_files.h"
#include "bench/sys/placement.h"
#include "bench/sys/python_interpreter.h"
#include "bench/sys/system_check.h"

namespace versus {

namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

nlohmann::json json_or_null(const std::optional<std::string>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json();
}

bool in_virtual_machine() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0) return line.find(" hypervisor") != std::string::npos;
  }
  return false;
}

// The shape of the machine from hwloc, and from /sys what shapes the measurements besides: CPUs
// kept from the scheduler or the tick, SMT switched off, frequency governors and boost.
// How the cpu_migrations column is counted here, tried on this process: where neither source
// can be read, the column stays empty and this says why.
nlohmann::json migrations_environment() {
  MigrationCount probe;
  const pid_t self = getpid();
  probe.start({&self, 1});
  const std::optional<uint64_t> counted = probe.stop();
  const char* source = !counted ? nullptr
                       : probe.source() == MigrationCount::Source::kPerfEvent
                           ? "perf_event PERF_COUNT_SW_CPU_MIGRATIONS"
                           : "/proc/PID/task/TID/sched se.nr_migrations";
  return {{"source", source ? nlohmann::json(source) : nlohmann::json()},
          {"why", probe.why().empty() ? nlohmann::json() : nlohmann::json(probe.why())}};
}

// Each CPU's governor, null for a CPU without one; null as a whole where no CPU has cpufreq.
nlohmann::json governors_json(std::span<const int> cpus, const std::map<int, std::string>& governors) {
  if (governors.empty()) return nullptr;
  nlohmann::json out = nlohmann::json::object();
  for (int cpu : cpus) {
    const auto found = governors.find(cpu);
    out[std::to_string(cpu)] = found != governors.end() ? nlohmann::json(found->second) : nlohmann::json();
  }
  return out;
}

nlohmann::json topology_environment() {
  const Topology& topology = Topology::here();
  const TopologySummary summary = topology.summary();
  nlohmann::json caches = nlohmann::json::array();
  for (const TopologySummary::Cache& cache : summary.caches) {
    caches.push_back(
        {{"level", cache.level}, {"type", cache.type}, {"size_bytes", cache.size_bytes}, {"count", cache.count}});
  }
  const std::string cpu_dir = "/sys/devices/system/cpu";
  nlohmann::json out{
      {"packages", summary.packages},
      {"numa_nodes", summary.numa_nodes},
      {"cores", summary.cores},
      {"pus", summary.pus},
      {"smt", summary.smt},
      {"caches", caches},
      {"allowed_cpus", format_cpu_list(topology.cpus())},
      {"isolated_cpus", json_or_null(read_sys(cpu_dir + "/isolated"))},
      {"nohz_full", json_or_null(read_sys(cpu_dir + "/nohz_full"))},
      {"smt_control", json_or_null(read_sys(cpu_dir + "/smt/control"))},
  };

  const std::map<int, std::string> governors = read_governors(topology.cpus());
  const std::optional<bool> boost = read_boost();
  out["governors"] = governors_json(topology.cpus(), governors);
  out["boost"] = boost ? nlohmann::json(*boost) : nlohmann::json();
  const std::string why_no_cpufreq =
      in_virtual_machine() ? "no cpufreq in this VM (its host sets the frequency)" : "no cpufreq driver is loaded";
  if (governors.empty()) out["governors_why"] = why_no_cpufreq;
  if (!boost) {
    out["boost_why"] = "neither cpufreq/boost nor intel_pstate/no_turbo under " + cpu_dir + ": " + why_no_cpufreq;
  }
  return out;
}

}  // namespace

std::string host_name() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

int logical_cores() { return static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)); }

int physical_cores() {
  // Distinct (package, core) pairs among the online CPUs.
  std::set<std::pair<std::string, std::string>> cores;
  for (int cpu = 0; cpu < logical_cores(); ++cpu) {
    const std::string dir = fmt::format("/sys/devices/system/cpu/cpu{}/topology/", cpu);
    const std::string pkg = read_sys(dir + "physical_package_id").value_or(""),
                      core = read_sys(dir + "core_id").value_or("");
    if (!core.empty()) cores.emplace(pkg, core);
  }
  return cores.empty() ? logical_cores() : static_cast<int>(cores.size());
}

nlohmann::json system_check_json(const SystemCheck& check) {
  nlohmann::json busy = nlohmann::json::array();
  for (const BusyProcess& p : check.busy) {
    busy.push_back({{"pid", p.pid}, {"comm", p.comm}, {"percent", std::round(p.percent * 10) / 10}});
  }
  const std::vector<std::string> reasons = noisy_reasons(check);
  return {
      {"cpus", format_cpu_list(check.cpus)},
      {"sample_s", std::round(check.sample_s * 1000) / 1000},
      {"load_average", check.load_average ? nlohmann::json(*check.load_average) : nlohmann::json()},
      // null when processes were not sampled (--system-check 0), [] when none was busy.
      {"busy_processes", check.sample_s > 0 ? busy : nlohmann::json()},
      {"governors", governors_json(check.cpus, check.governors)},
      {"boost", check.boost ? nlohmann::json(*check.boost) : nlohmann::json()},
      {"limits", {{"load_per_cpu", kLoadPerCpuLimit}, {"process_percent", kBusyProcessPercent}}},
      {"noisy", !reasons.empty()},
      {"reasons", reasons},
  };
}

nlohmann::json capture_environment(const std::vector<std::string>& command_line) {
  utsname u{};
  uname(&u);
  rlimit nofile{};
  getrlimit(RLIMIT_NOFILE, &nofile);
  const auto governor = read_sys("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  nlohmann::json env;
  env["host"] = host_name();
  env["cpu_model"] = cpu_model();
  env["logical_cores"] = logical_cores();
  env["physical_cores"] = physical_cores();
  env["kernel"] = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
  env["governor"] = json_or_null(governor);
  env["topology"] = topology_environment();
  env["cpu_migrations"] = migrations_environment();
  env["memory_bytes"] = int64_t(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
  env["rlimit_nofile"] = {{"soft", nofile.rlim_cur}, {"hard", nofile.rlim_max}};
  env["compiler"] = fmt::format("gcc {}", __VERSION__);
  env["build_type"] = build::kBuildType;
  env["cxx_flags"] = build::kCxxFlags;
  env["sanitize"] = build::kSanitize;
  env["libraries"] = {
      {"benchmark", build::kBenchmarkVersion},
      {"boost", BOOST_LIB_VERSION},
      {"fmt", fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100)},
      {"cli11", CLI11_VERSION},
      {"tomlplusplus", fmt::format("{}.{}.{}", TOML_LIB_MAJOR, TOML_LIB_MINOR, TOML_LIB_PATCH)},
      {"nlohmann_json",
       fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR, NLOHMANN_JSON_VERSION_MINOR, NLOHMANN_JSON_VERSION_PATCH)},
  };
  const PythonInterpreter& py = python_interpreter();
  env["python"] =
      py.path.empty()
          ? nlohmann::json()
          : nlohmann::json{
                {"executable", py.path}, {"version", py.version}, {"gil", py.gil}, {"redis_py", py.has_redis}};
  env["versus_version"] = build::kVersion;
  env["git_revision"] = build::kGitRevision;
  env["command_line"] = command_line;
  env["start_time"] = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
  return env;
}

}  // namespace versus
