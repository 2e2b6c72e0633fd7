// A child process, started, watched and ended in one place. Every process versus supervises (a
// repetition isolated from the harness, the fork runner's workers, the Python worker program,
// the embedded Redis server, the report's scripts) is a Child; only processes whose creation is
// itself measured (the spawn scenario's rounds) are made bare. Each has the same guarantees:
// it dies with the thread that started it (PR_SET_PDEATHSIG); its pipes are read while it runs,
// so a child flooding its output stalls neither itself nor us; and it is killed and reaped
// however the caller leaves, with every process of its group when it has a group of its own.
//
// What leaves the group (setsid, setpgid) is beyond a Child: see descendants() and
// kill_descendants() in process.h, for a caller that knows every process below it is the
// child's.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/sys/fd.h"

namespace versus {

// Exit statuses of a child that never got to give its own.
inline constexpr int kExitThrew = 70;        // its function threw (sysexits' EX_SOFTWARE)
inline constexpr int kExitOrphaned = 71;     // its parent was gone before it could die with it
inline constexpr int kExitCannotExec = 127;  // exec failed (a shell's "command not found")

// "exited with status 3" / "killed by signal SIGSEGV (Segmentation fault)".
std::string describe_wait_status(int status);
// "SIGSEGV (Segmentation fault)".
std::string describe_signal(int signal);

struct ChildOptions {
  // A process group of its own, led by the child: ending the child kills everything it started
  // that stayed in the group. Makes this process a subreaper (PR_SET_CHILD_SUBREAPER), so the
  // group's processes, once orphaned, are ours to reap and none is left a zombie.
  bool own_group = false;
  // A pipe the parent reads: the program's standard output (exec), or a descriptor handed to
  // the function (run). Only the last `output_limit` bytes are kept.
  bool capture_output = false;
  size_t output_limit = SIZE_MAX;
  // The program's standard error in a second pipe (exec only).
  bool capture_errors = false;
  size_t errors_limit = SIZE_MAX;
  // Becomes the program's standard input (exec only); the caller keeps and closes its copy.
  int input_fd = -1;
  // Names the child in the message printed when its function throws.
  std::string name = "child process";
};

// Until when Child::wait waits: the child's end, a deadline or a stop request, whichever is first.
struct ChildWait {
  int64_t deadline_ns = 0;  // a now_ns() time; 0: none
  // Asked at every turn; true ends the wait. `wake_fd` becoming readable (the read end of a
  // signal handler's self-pipe) wakes the wait to ask at once rather than at the next turn. It
  // is not read: once written it wakes every turn, so `stop` must say true by then.
  std::function<bool()> stop = nullptr;
  int wake_fd = -1;
  // Once the child has ended, its pipes may still be held open by processes it left. 0: read
  // what is there and return; otherwise read on until they close or stay quiet this long.
  int linger_ms = 0;
};

struct ChildEnd {
  enum class How { kExited, kSignaled, kTimedOut, kStopped } how = How::kTimedOut;
  int status = 0;                // the wait status, when the child ended
  int exec_error = 0;            // errno of a failed exec (the status is then kExitCannotExec): it never ran
  int code() const;              // the exit status (kExited), the signal number (kSignaled), else 0
  std::string describe() const;  // "exited with status 3", "timed out", "could not exec: ..."
};

class Child {
 public:
  // Forks; the child calls main(output_fd), output_fd being the write end of the output pipe
  // (-1 unless capture_output), and _exits with what it returns, or kExitThrew when it throws.
  // Throws std::system_error when a pipe or the fork cannot be made.
  static Child run(const std::function<int(int output_fd)>& main, const ChildOptions& options = {});
  // Forks and execs argv[0], a path (PATH is not searched), with `argv`. Between fork and exec
  // the child makes only async-signal-safe calls, so any thread may start one. A failed exec
  // shows in the end: status kExitCannotExec and exec_error set.
  static Child exec(const std::vector<std::string>& argv, const ChildOptions& options = {});

  Child() = default;
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { end(); }

  // Reads the pipes while waiting as `until` says; returns how the wait ended. The child is
  // reaped if it ended, left running otherwise. Throws std::system_error if poll fails.
  ChildEnd wait(const ChildWait& until = {});
  // Reaps the child if it has ended, without blocking; true once it is reaped.
  bool try_reap();
  // Blocks until the child ends, without reading its pipes (for a child that writes none);
  // returns its wait status.
  int reap();
  // To the child's group if it has one, else to the child while it is not reaped.
  void signal(int sig);
  // SIGTERM and up to `grace_ms` for the child to exit, when grace_ms > 0; then SIGKILL to the
  // child and its group, and every one of them reaped. Never throws; once is enough.
  void end(int grace_ms = 0) noexcept;

  pid_t pid() const { return pid_; }                     // -1 for a Child that was never started
  std::optional<int> status() const { return status_; }  // once reaped
  const std::string& output() const { return output_; }
  // What output() holds, leaving it empty: for a child whose output comes in parts (a report,
  // then whatever it says later).
  std::string take_output() { return std::exchange(output_, {}); }
  const std::string& errors() const { return errors_; }

 private:
  explicit Child(const ChildOptions& options);
  void adopt(pid_t pid);
  void open_pidfd() noexcept;
  bool await_exit(int64_t deadline_ns) noexcept;
  void record(int status);

  pid_t pid_ = -1;
  bool group_ = false;
  bool done_ = false;  // end() has run
  std::optional<int> status_;
  int exec_error_ = 0;
  size_t output_limit_ = SIZE_MAX, errors_limit_ = SIZE_MAX;
  UniqueFd output_pipe_, errors_pipe_, exec_error_pipe_, pidfd_;
  std::string output_, errors_;
};

}  // namespace versus
