// How often the threads of a cell's processes moved between CPUs while it was measured: a
// latency figure taken with its ends migrating is not the figure of a placement, and a cell
// that says where its workers ran should also say whether they stayed there.
//
// Two sources, the first that works:
// - /proc/PID/task/TID/sched: the scheduler's se.nr_migrations of each thread, read at start()
//   and at stop(). Needs a kernel built with CONFIG_SCHED_DEBUG. It costs the counted threads
//   nothing, which is why it comes first. A thread that ended before stop() can no longer be
//   read (a process's main thread can, until the process is reaped): it is counted as missing
//   (missing()), adding nothing to the sum, so the sum is then a lower bound.
// - perf_event: a PERF_COUNT_SW_CPU_MIGRATIONS counter per thread, kept by the kernel even
//   after the thread ended. The kernel switches a thread's counters at every context switch
//   of that thread: on a two-CPU VM that added some 3 µs to a pipe round trip whose two ends
//   share a CPU (11.5 against 7.6 µs bare), so it serves only where /proc cannot. Needs
//   perf_event_paranoid to allow counting kernel events of the threads (root, CAP_PERFMON, or
//   paranoid <= 1): a migration happens in the kernel, so a counter that excludes the kernel,
//   the most paranoid 2 allows, would always read 0.
//
// Only threads that exist when start() is called are counted: one created later, even by a
// counted thread, is not.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bench/sys/fd.h"

namespace versus {

class MigrationCount {
 public:
  enum class Source {
    kAuto,       // /proc, else perf_event
    kPerfEvent,  // perf_event only
    kProcSched,  // /proc/PID/task/TID/sched only
  };

  explicit MigrationCount(Source source = Source::kAuto) : wanted_(source) {}
  MigrationCount(MigrationCount&&) = default;
  MigrationCount& operator=(MigrationCount&&) = default;
  MigrationCount(const MigrationCount&) = delete;
  MigrationCount& operator=(const MigrationCount&) = delete;
  // Closes whatever start() opened.
  ~MigrationCount() = default;

  // Starts counting for every thread that exists now in each of `pids` (/proc/PID/task). Opens
  // one descriptor per thread, so call it before the start barrier rather than inside the
  // measured phase. Forgets a count in progress. Never throws for what the system refuses:
  // stop() reports it.
  // `except_tid`, when not 0, is a thread left out: the caller's own, which supervises rather
  // than works.
  void start(std::span<const pid_t> pids, pid_t except_tid = 0);

  // Stops: the moves between CPUs since start(), summed over its threads, or nullopt with why()
  // saying what could not be read. One read per thread; closes every descriptor.
  std::optional<uint64_t> stop();

  // Why stop() gave nullopt: each source's failure with its errno text, as in
  // "perf_event_open(tid 7): Permission denied; /proc/7/task/7/sched: No such file or directory".
  // After a count that fell back to /proc, why perf_event was not used; "" after a clean count.
  const std::string& why() const { return why_; }
  // The source the last start() settled on; kAuto when neither could be opened.
  Source source() const { return source_; }
  // Threads counted by start() that could not be read at stop() because they had ended (the
  // /proc source only).
  size_t missing() const { return missing_; }

 private:
  struct Thread {
    pid_t pid;
    pid_t tid;
    UniqueFd fd;        // the perf_event counter, or the open /proc sched file
    uint64_t at_start;  // se.nr_migrations read by start() (the /proc source)
  };

  // Each returns "" on success, else what failed; on failure nothing stays open.
  std::string list_threads(std::span<const pid_t> pids, pid_t except_tid,
                           std::vector<std::pair<pid_t, pid_t>>& out) const;
  std::string open_perf(const std::vector<std::pair<pid_t, pid_t>>& threads);
  std::string open_proc(const std::vector<std::pair<pid_t, pid_t>>& threads);

  Source wanted_;
  Source source_ = Source::kAuto;
  bool started_ = false;
  std::vector<Thread> threads_;
  std::string why_;
  size_t missing_ = 0;
};

// The string name of a source ("auto", "perf_event", "proc"), for messages.
const char* source_name(MigrationCount::Source source);

}  // namespace versus
