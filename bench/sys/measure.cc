#include "bench/sys/measure.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>

#include "bench/sys/hot_path.h"

namespace versus {

VERSUS_HOT int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

Usage& Usage::operator+=(const Usage& o) {
  user_s += o.user_s;
  sys_s += o.sys_s;
  voluntary += o.voluntary;
  involuntary += o.involuntary;
  return *this;
}

Usage Usage::operator-(const Usage& o) const {
  return {user_s - o.user_s, sys_s - o.sys_s, voluntary - o.voluntary, involuntary - o.involuntary};
}

namespace {

Usage usage_of(int who) {
  rusage ru{};
  getrusage(who, &ru);
  auto seconds = [](const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) * 1e-6; };
  return {seconds(ru.ru_utime), seconds(ru.ru_stime), ru.ru_nvcsw, ru.ru_nivcsw};
}

// The value in kB of the line starting with `key` in a /proc file, in bytes; 0 if absent.
int64_t proc_kb_field(const std::string& path, const char* key) {
  std::ifstream in(path);
  std::string line;
  const size_t len = std::strlen(key);
  while (std::getline(in, line)) {
    if (line.compare(0, len, key) == 0) return std::atoll(line.c_str() + len) * 1024;
  }
  return 0;
}

}  // namespace

Usage usage_of_self() { return usage_of(RUSAGE_SELF); }
Usage usage_of_children() { return usage_of(RUSAGE_CHILDREN); }

Memory sample_memory(std::span<const pid_t> pids) {
  Memory m;
  for (pid_t pid : pids) {
    const std::string dir = "/proc/" + std::to_string(pid);
    m.rss_peak_bytes += proc_kb_field(dir + "/status", "VmHWM:");
    m.pss_bytes += proc_kb_field(dir + "/smaps_rollup", "Pss:");
  }
  return m;
}

void reset_peak_rss() {
  // Writing 5 to clear_refs resets the peak RSS (Documentation/filesystems/proc.rst).
  if (FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
}

}  // namespace versus
