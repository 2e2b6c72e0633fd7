// Cell isolation: a repetition runs in a child process of the harness, in a process group of
// its own, under a time limit. Whatever happens in it (a crash, a hang, a leaked process), the
// harness goes on, and nothing the child started outlives it.
#pragma once

#include "bench/harness/layer.h"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace versus {

struct IsolatedEnd {
  enum class How { kExited, kSignaled, kTimedOut, kInterrupted } how = How::kExited;
  int code = 0;                  // exit status (kExited) or signal number (kSignaled)
  std::string output;            // what the body returned, sent back over a pipe
  int processes_left = 0;        // processes the child left behind, killed afterwards
  int names_left = 0;            // shared-memory, queue and temporary names it left, removed afterwards
  int exec_error = 0;            // errno of a program that could not be exec'd (run_isolated_program)
  std::string describe() const;  // "killed by signal SIGSEGV (Segmentation fault)", ...
};

// Runs `body` in a child process (a Child of its own group, bench/sys/child.h) and returns how
// it ended. `timeout_s` <= 0 means no limit. Before returning, the child's process group and
// every other process below the harness (kill_descendants(): the cell's, whatever group it left
// for) are killed and reaped.
IsolatedEnd run_isolated(const std::function<std::string()>& body, double timeout_s);
// The same for a program: `argv` (argv[0] a path) is exec'd in the child, and what it writes to
// its standard output is the output. `started`, when given, is called once the child exists.
IsolatedEnd run_isolated_program(const std::vector<std::string>& argv, double timeout_s,
                                 const std::function<void()>& started = nullptr);
// What a repetition's process does first, whether forked (run_isolated does it) or exec'd (the
// program must): a temporary folder of its own as TMPDIR, which the harness removes afterwards.
void enter_repetition_process();

// SIGINT, SIGTERM and SIGHUP stop a run: the handler records the signal, and run_isolated, waiting on a
// child, kills it and returns kInterrupted. Also makes this process the subreaper of its
// descendants, so orphans of a cell are ours to find and kill.
void install_interrupt_handlers();
int interrupt_signal();  // 0 until SIGINT or SIGTERM arrived
// Becomes readable once one of those signals arrived (never read from): for a wait to wake on.
int interrupt_wake_fd();

}  // namespace versus
