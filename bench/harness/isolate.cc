#include "bench/harness/isolate.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>

#include <fmt/format.h>

#include "bench/sys/cell_names.h"
#include "bench/sys/child.h"
#include "bench/sys/errors.h"
#include "bench/sys/fd.h"
#include "bench/sys/measure.h"
#include "bench/sys/process.h"

namespace versus {

namespace {

std::atomic<int> g_signal{0};
int g_wake_pipe[2] = {-1, -1};  // the handler writes a byte; run_isolated's wait polls the read end

void on_interrupt(int sig) {
  g_signal.store(sig);
  if (g_wake_pipe[1] >= 0) {
    const char byte = 1;
    [[maybe_unused]] auto n = write(g_wake_pipe[1], &byte, 1);
  }
}

}  // namespace

std::string IsolatedEnd::describe() const {
  switch (how) {
    case How::kExited:
      if (exec_error != 0) return fmt::format("could not be started: {}", std::strerror(exec_error));
      return fmt::format("exited with status {}", code);
    case How::kSignaled: return "killed by signal " + describe_signal(code);
    case How::kTimedOut: return "timed out";
    case How::kInterrupted: return "interrupted";
  }
  return {};
}

void install_interrupt_handlers() {
  if (g_wake_pipe[0] < 0 && pipe2(g_wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) throw_errno("pipe2");
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  // SIGHUP too: a closed terminal or ssh session is a stop like any other, with a resume hint.
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
  become_subreaper();
}

int interrupt_signal() { return g_signal.load(); }

int interrupt_wake_fd() { return g_wake_pipe[0]; }

namespace {

// Waits for the repetition's process, then ends its group and whatever else it left.
IsolatedEnd finish(Child& child, double timeout_s);

}  // namespace

void enter_repetition_process() {
  // A temporary folder of the repetition's own, removed by the harness afterwards.
  const std::string tmp = cell_tmp_folder(getpid());
  if (mkdir(tmp.c_str(), 0700) == 0) setenv("TMPDIR", tmp.c_str(), 1);
}

IsolatedEnd run_isolated(const std::function<std::string()>& body, double timeout_s) {
  cell_tmp_root();  // read here, before the repetition's process points TMPDIR at its own folder
  Child child = Child::run(
      [&](int output_fd) {
        for (int sig : {SIGINT, SIGTERM, SIGHUP}) signal(sig, SIG_DFL);
        enter_repetition_process();
        write_all(output_fd, body());
        return 0;
      },
      {.own_group = true, .capture_output = true, .name = "repetition process"});
  return finish(child, timeout_s);
}

IsolatedEnd run_isolated_program(const std::vector<std::string>& argv, double timeout_s,
                                 const std::function<void()>& started) {
  Child child = Child::exec(argv, {.own_group = true, .capture_output = true, .name = "repetition process"});
  if (started) started();
  return finish(child, timeout_s);
}

namespace {

IsolatedEnd finish(Child& child, double timeout_s) {
  const ChildEnd ended = child.wait({.deadline_ns = timeout_s > 0 ? now_ns() + int64_t(timeout_s * 1e9) : 0,
                                     .stop = [] { return interrupt_signal() != 0; },
                                     .wake_fd = g_wake_pipe[0]});
  IsolatedEnd end;
  end.output = child.output();
  switch (ended.how) {
    case ChildEnd::How::kExited: end.how = IsolatedEnd::How::kExited; break;
    case ChildEnd::How::kSignaled: end.how = IsolatedEnd::How::kSignaled; break;
    case ChildEnd::How::kTimedOut: end.how = IsolatedEnd::How::kTimedOut; break;
    case ChildEnd::How::kStopped: end.how = IsolatedEnd::How::kInterrupted; break;
  }
  end.code = ended.code();
  end.exec_error = ended.exec_error;
  // After a normal end, whatever is still there was left behind by the cell. Counted before the
  // group is ended: those in it count too.
  const bool finished = end.how == IsolatedEnd::How::kExited || end.how == IsolatedEnd::How::kSignaled;
  if (finished) end.processes_left = static_cast<int>(descendants().size());
  const pid_t pid = child.pid();
  child.end();
  kill_descendants();  // those that left the group, and the group's own if any outlived end()
  end.names_left = remove_cell_names(pid);
  return end;
}

}  // namespace

}  // namespace versus
