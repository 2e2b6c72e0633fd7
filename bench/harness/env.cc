#include "bench/harness/env.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <boost/version.hpp>
#include <CLI/Version.hpp>
#include <chrono>
#include <fstream>
#include <set>
#include <toml++/toml.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "bench/harness/build_info.h"
#include "bench/sys/python_interpreter.h"

namespace versus {

namespace {

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

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
    const std::string pkg = read_line(dir + "physical_package_id"), core = read_line(dir + "core_id");
    if (!core.empty()) cores.emplace(pkg, core);
  }
  return cores.empty() ? logical_cores() : static_cast<int>(cores.size());
}

nlohmann::json capture_environment(const std::vector<std::string>& command_line) {
  utsname u{};
  uname(&u);
  rlimit nofile{};
  getrlimit(RLIMIT_NOFILE, &nofile);
  const std::string governor = read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  nlohmann::json env;
  env["host"] = host_name();
  env["cpu_model"] = cpu_model();
  env["logical_cores"] = logical_cores();
  env["physical_cores"] = physical_cores();
  env["kernel"] = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
  env["governor"] = governor.empty() ? nlohmann::json() : nlohmann::json(governor);
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
