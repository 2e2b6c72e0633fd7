#include "bench/sys/migrations.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

namespace versus {

namespace {

std::string errno_text(const std::string& what, int error) { return what + ": " + std::strerror(error); }

std::string sched_path(pid_t pid, pid_t tid) {
  return "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/sched";
}

// The thread ended between being listed and being opened: it ended before counting began, so
// leaving it out loses nothing.
bool ended(int error) { return error == ESRCH || error == ENOENT; }

// se.nr_migrations from an open /proc sched file. pread from 0, so the same descriptor reads
// the current value again at stop(); the line is near the top, well inside one page.
bool read_nr_migrations(int fd, uint64_t& value, int& error) {
  char buf[4096];
  ssize_t n;
  do n = pread(fd, buf, sizeof buf - 1, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    error = errno;
    return false;
  }
  buf[n] = '\0';
  constexpr std::string_view kKey = "se.nr_migrations";
  const char* at = std::strstr(buf, kKey.data());
  if (at == nullptr) {
    error = 0;
    return false;
  }
  at += kKey.size();
  while (*at == ' ' || *at == '\t' || *at == ':') ++at;
  char* end = nullptr;
  value = std::strtoull(at, &end, 10);
  if (end == at) {
    error = 0;
    return false;
  }
  return true;
}

}  // namespace

const char* source_name(MigrationCount::Source source) {
  switch (source) {
    case MigrationCount::Source::kAuto: return "auto";
    case MigrationCount::Source::kPerfEvent: return "perf_event";
    case MigrationCount::Source::kProcSched: return "proc";
  }
  return "?";
}

std::string MigrationCount::list_threads(std::span<const pid_t> pids, pid_t except_tid,
                                         std::vector<std::pair<pid_t, pid_t>>& out) const {
  for (pid_t pid : pids) {
    const std::string dir = "/proc/" + std::to_string(pid) + "/task";
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return errno_text(dir, errno);
    errno = 0;
    while (const dirent* entry = readdir(d)) {
      char* end = nullptr;
      const long tid = std::strtol(entry->d_name, &end, 10);
      if (end != entry->d_name && *end == '\0' && pid_t(tid) != except_tid) out.emplace_back(pid, pid_t(tid));
      errno = 0;
    }
    const int error = errno;
    closedir(d);
    if (error != 0) return errno_text(dir, error);
  }
  return "";
}

std::string MigrationCount::open_perf(const std::vector<std::pair<pid_t, pid_t>>& threads) {
  perf_event_attr attr{};
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CPU_MIGRATIONS;
  // Opened stopped and enabled together after every thread has its counter, so the threads'
  // counting windows differ by a loop of ioctls, not by a loop of opens.
  attr.disabled = 1;
  for (const auto& [pid, tid] : threads) {
    const int fd = int(syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC));
    if (fd < 0) {
      const int error = errno;
      if (error == ESRCH) continue;
      const std::string failed = errno_text("perf_event_open(tid " + std::to_string(tid) + ")", error);
      threads_.clear();
      return failed;
    }
    threads_.push_back({pid, tid, UniqueFd(fd), 0});
  }
  for (const Thread& t : threads_) {
    if (ioctl(t.fd.get(), PERF_EVENT_IOC_ENABLE, 0) != 0) {
      const int error = errno;
      const std::string failed = errno_text("ioctl(PERF_EVENT_IOC_ENABLE, tid " + std::to_string(t.tid) + ")", error);
      threads_.clear();
      return failed;
    }
  }
  return "";
}

std::string MigrationCount::open_proc(const std::vector<std::pair<pid_t, pid_t>>& threads) {
  for (const auto& [pid, tid] : threads) {
    // Kept open: stop() then reads without a path lookup, and a descriptor names this thread
    // for good, never another that was given its id after it ended.
    const std::string path = sched_path(pid, tid);
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      const int error = errno;
      // A thread whose folder is gone ended before counting began. One whose folder is there
      // without a sched file means a kernel built without CONFIG_SCHED_DEBUG.
      const std::string dir = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid);
      if (ended(error) && access(dir.c_str(), F_OK) != 0) continue;
      threads_.clear();
      return errno_text(path, error);
    }
    Thread t{pid, tid, UniqueFd(fd), 0};
    int error = 0;
    if (!read_nr_migrations(t.fd.get(), t.at_start, error)) {
      if (ended(error)) continue;
      threads_.clear();
      return error != 0 ? errno_text(path, error) : path + ": no se.nr_migrations";
    }
    threads_.push_back(std::move(t));
  }
  return "";
}

void MigrationCount::start(std::span<const pid_t> pids, pid_t except_tid) {
  threads_.clear();
  why_.clear();
  missing_ = 0;
  source_ = Source::kAuto;
  started_ = true;

  std::vector<std::pair<pid_t, pid_t>> threads;
  if (std::string failed = list_threads(pids, except_tid, threads); !failed.empty()) {
    why_ = std::move(failed);
    return;
  }
  threads_.reserve(threads.size());
  std::string proc_failed;
  if (wanted_ != Source::kPerfEvent) {
    proc_failed = open_proc(threads);
    if (proc_failed.empty()) {
      source_ = Source::kProcSched;
      return;
    }
    if (wanted_ == Source::kProcSched) {
      why_ = std::move(proc_failed);
      return;
    }
  }
  std::string perf_failed = open_perf(threads);
  if (perf_failed.empty()) {
    source_ = Source::kPerfEvent;
    why_ = std::move(proc_failed);
    return;
  }
  why_ = proc_failed.empty() ? std::move(perf_failed) : proc_failed + "; " + perf_failed;
}

std::optional<uint64_t> MigrationCount::stop() {
  if (!started_) {
    why_ = "stop() without start()";
    return std::nullopt;
  }
  started_ = false;
  // Whatever happens below, no descriptor outlives this call.
  std::vector<Thread> threads = std::move(threads_);
  threads_.clear();
  if (source_ == Source::kAuto) return std::nullopt;

  uint64_t sum = 0;
  for (const Thread& t : threads) {
    if (source_ == Source::kPerfEvent) {
      // A counter keeps its value after its thread ended, so every thread is read.
      uint64_t value = 0;
      ssize_t n;
      do n = read(t.fd.get(), &value, sizeof value);
      while (n < 0 && errno == EINTR);
      if (n != ssize_t(sizeof value)) {
        const int error = errno;
        const std::string what = "read(perf_event of tid " + std::to_string(t.tid) + ")";
        why_ = n < 0 ? errno_text(what, error) : what + ": " + std::to_string(n) + " bytes";
        return std::nullopt;
      }
      sum += value;
      continue;
    }
    uint64_t now = 0;
    int error = 0;
    if (!read_nr_migrations(t.fd.get(), now, error)) {
      if (ended(error)) {
        ++missing_;
        continue;
      }
      const std::string path = sched_path(t.pid, t.tid);
      why_ = error != 0 ? errno_text(path, error) : path + ": no se.nr_migrations";
      return std::nullopt;
    }
    sum += now - t.at_start;
  }
  if (missing_ > 0) {
    const std::string ended_text = std::to_string(missing_) + " of " + std::to_string(threads.size()) +
                                   " threads ended before stop(); /proc keeps no count of an ended thread";
    why_ = why_.empty() ? ended_text : why_ + "; " + ended_text;
    // Nothing was read at all: a sum of 0 would claim the threads stayed put.
    if (missing_ == threads.size()) return std::nullopt;
  }
  return sum;
}

}  // namespace versus
