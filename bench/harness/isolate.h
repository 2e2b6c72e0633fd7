// Cell isolation: a repetition runs in a child process of the harness, in a process group of
// its own, under a time limit. Whatever happens in it (a crash, a hang, a leaked process), the
// harness goes on, and nothing the child started outlives it.
#pragma once

#include "bench/harness/layer.h"

#include <functional>
#include <string>
#include <string_view>

namespace versus {

struct IsolatedEnd {
  enum class How { kExited, kSignaled, kTimedOut, kInterrupted } how = How::kExited;
  int code = 0;                  // exit status (kExited) or signal number (kSignaled)
  std::string output;            // what the body returned, sent back over a pipe
  int processes_left = 0;        // processes the child left behind, killed afterwards
  int names_left = 0;            // shared-memory, queue and temporary names it left, removed afterwards
  std::string describe() const;  // "killed by signal SIGSEGV (Segmentation fault)", ...
};

// Runs `body` in a child process (a Child of its own group, bench/sys/child.h) and returns how
// it ended. `timeout_s` <= 0 means no limit. Before returning, the child's process group and
// every other process below the harness (kill_descendants(): the cell's, whatever group it left
// for) are killed and reaped.
IsolatedEnd run_isolated(const std::function<std::string()>& body, double timeout_s);

// SIGINT, SIGTERM and SIGHUP stop a run: the handler records the signal, and run_isolated, waiting on a
// child, kills it and returns kInterrupted. Also makes this process the subreaper of its
// descendants, so orphans of a cell are ours to find and kill.
void install_interrupt_handlers();
int interrupt_signal();  // 0 until SIGINT or SIGTERM arrived
// Becomes readable once one of those signals arrived (never read from): for a wait to wake on.
int interrupt_wake_fd();

}  // namespace versus
