#include "bench/sys/limits.h"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "bench/api/params.h"
#include "bench/sys/kernel_files.h"

namespace versus {

namespace {

int64_t read_number(const char* path, int64_t fallback) {
  std::ifstream in(path);
  int64_t v = 0;
  return (in >> v) ? v : fallback;
}

}  // namespace

int64_t fd_limit() {
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  return r.rlim_cur == RLIM_INFINITY ? INT64_MAX : int64_t(r.rlim_cur);
}

int64_t raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return fd_limit();
  // Root (CAP_SYS_RESOURCE) may raise the hard limit itself, up to what the kernel allows any
  // process (fs.nr_open): mux's 100,000 pairs then run where the machine can hold them.
  int64_t nr_open = 0;
  if (std::ifstream in("/proc/sys/fs/nr_open"); in >> nr_open && nr_open > 0 && rlim_t(nr_open) > r.rlim_max) {
    const rlimit wider{rlim_t(nr_open), rlim_t(nr_open)};
    if (setrlimit(RLIMIT_NOFILE, &wider) == 0) return fd_limit();
  }
  if (r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
  return fd_limit();
}

int64_t tasks_available() {
  rlimit r{};
  getrlimit(RLIMIT_NPROC, &r);
  int64_t limit = std::min(read_number("/proc/sys/kernel/threads-max", INT64_MAX),
                           read_number("/proc/sys/kernel/pid_max", INT64_MAX));
  if (r.rlim_cur != RLIM_INFINITY) limit = std::min<int64_t>(limit, int64_t(r.rlim_cur));
  // The tasks of the whole system count against the kernel's limits; none where /proc/loadavg
  // cannot be read.
  return std::max<int64_t>(0, limit - read_loadavg().value_or(LoadAverage{}).tasks);
}

int64_t max_map_count() { return read_number("/proc/sys/vm/max_map_count", 65530); }

int64_t memory_available() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  int64_t kb = 0;
  while (in >> key >> kb >> unit) {
    if (key == "MemAvailable:") return kb * 1024;
  }
  return INT64_MAX;
}

std::string check_tasks(int64_t count, const char* what) {
  if (const int64_t free_tasks = tasks_available(); count > free_tasks) {
    return fmt::format(
        "{} {} would pass the task limit here: {} more may start (RLIMIT_NPROC, "
        "kernel.threads-max, kernel.pid_max)",
        count, what, free_tasks);
  }
  return {};
}

std::string check_stacks(int64_t count, int64_t stack_bytes, const char* what) {
  // A stack and its guard page are two mappings; keep a margin for everything else.
  if (const int64_t maps = max_map_count(); 2 * count + 4096 > maps) {
    return fmt::format("{} {} need about {} memory mappings for their stacks; vm.max_map_count is {}", count, what,
                       2 * count, maps);
  }
  // Stacks are committed as they are touched; refuse only what could never fit.
  if (const int64_t mem = memory_available(); count * stack_bytes / 4 > mem) {
    return fmt::format("{} {} with {} stacks would not fit in the {} of memory available", count, what,
                       format_size(stack_bytes), format_size(mem));
  }
  return {};
}

}  // namespace versus
