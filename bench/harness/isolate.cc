#include "bench/harness/isolate.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "bench/sys/cell_names.h"
#include "bench/sys/measure.h"
#include "bench/sys/process.h"
#include "bench/sys/errors.h"
#include "bench/sys/fd.h"

namespace versus {

namespace {

std::atomic<int> g_signal{0};
int g_wake_pipe[2] = {-1, -1};  // the handler writes a byte; run_isolated polls the read end

void on_interrupt(int sig) {
  g_signal.store(sig);
  if (g_wake_pipe[1] >= 0) {
    const char byte = 1;
    [[maybe_unused]] auto n = write(g_wake_pipe[1], &byte, 1);
  }
}

// Reads what is available without blocking; returns false at end of file.
bool drain(int fd, std::string& into) {
  char buf[65536];
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, size_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0;  // EAGAIN: more may come; 0: end of file
  }
}

}  // namespace

std::string IsolatedEnd::describe() const {
  switch (how) {
    case How::kExited: return fmt::format("exited with status {}", code);
    case How::kSignaled: {
      const char* abbrev = sigabbrev_np(code);
      return fmt::format("killed by signal SIG{} ({})", abbrev ? abbrev : "?", strsignal(code));
    }
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
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  become_subreaper();
}

int interrupt_signal() { return g_signal.load(); }

IsolatedEnd run_isolated(const std::function<std::string()>& body, double timeout_s) {
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw_errno("pipe2");
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    throw_errno("fork");
  }
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(71);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    // A temporary folder of the repetition's own, removed by the harness afterwards.
    const std::string tmp = cell_tmp_folder(getpid());
    if (mkdir(tmp.c_str(), 0700) == 0) setenv("TMPDIR", tmp.c_str(), 1);
    close(out_pipe[0]);
    int code = 0;
    try {
      write_all(out_pipe[1], body());
    } catch (const std::exception& e) {
      fmt::print(stderr, "versus: repetition process: {}\n", e.what());
      code = 70;
    }
    _exit(code);
  }
  setpgid(pid, pid);  // also here, so the group exists whichever of the two runs first
  close(out_pipe[1]);
  fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));

  IsolatedEnd end;
  const int64_t deadline = timeout_s > 0 ? now_ns() + int64_t(timeout_s * 1e9) : INT64_MAX;
  bool open = true, exited = false;
  int status = 0;
  while (!exited) {
    if (interrupt_signal()) {
      end.how = IsolatedEnd::How::kInterrupted;
      break;
    }
    const int64_t left_ms = deadline == INT64_MAX ? 1000 : (deadline - now_ns()) / 1000000;
    if (left_ms <= 0) {
      end.how = IsolatedEnd::How::kTimedOut;
      break;
    }
    pollfd fds[3] = {{open ? out_pipe[0] : -1, POLLIN, 0}, {pidfd, POLLIN, 0}, {g_wake_pipe[0], POLLIN, 0}};
    // Wake now and then to ask waitpid as well: without a pidfd that is the only way to learn
    // of the child's end.
    const int wait_ms = int(std::min<int64_t>(left_ms, pidfd >= 0 ? 100 : 20));
    if (poll(fds, 3, wait_ms) < 0 && errno != EINTR) throw_errno("poll");
    if (open && (fds[0].revents & (POLLIN | POLLHUP))) open = drain(out_pipe[0], end.output);
    if (waitpid(pid, &status, WNOHANG) == pid) exited = true;
  }
  if (exited) {
    drain(out_pipe[0], end.output);
    if (WIFSIGNALED(status)) {
      end.how = IsolatedEnd::How::kSignaled;
      end.code = WTERMSIG(status);
    } else {
      end.code = WEXITSTATUS(status);
    }
  }
  // After a normal end, whatever is still there was left behind by the cell.
  if (exited) end.leftovers = static_cast<int>(descendants().size());
  kill(-pid, SIGKILL);
  if (!exited) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  kill_descendants();
  end.litter = remove_cell_names(pid);
  if (pidfd >= 0) close(pidfd);
  close(out_pipe[0]);
  return end;
}

}  // namespace versus
