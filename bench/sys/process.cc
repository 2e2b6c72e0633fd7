#include "bench/sys/process.h"
#include "bench/sys/errors.h"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <system_error>

#include <fmt/format.h>

namespace versus {

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* abbrev = sigabbrev_np(sig);
    return fmt::format("killed by signal SIG{} ({})", abbrev ? abbrev : "?", strsignal(sig));
  }
  return fmt::format("ended with wait status {:#x}", status);
}

ChildSet::~ChildSet() {
  kill_all(SIGKILL);
  reap_all();
}

pid_t ChildSet::spawn(const std::function<int()>& child_main) {
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(71);  // the parent died before we could ask
    int code = 70;
    try {
      code = child_main();
    } catch (const std::exception& e) {
      fmt::print(stderr, "versus: child process: {}\n", e.what());
    }
    _exit(code);
  }
  pids_.push_back(pid);
  status_.emplace_back();
  return pid;
}

std::optional<ChildSet::Ended> ChildSet::reap_ended() {
  std::optional<Ended> first;
  for (size_t i = 0; i < pids_.size(); ++i) {
    if (status_[i]) continue;
    int st = 0;
    if (waitpid(pids_[i], &st, WNOHANG) == pids_[i]) {
      status_[i] = st;
      if (!first) first = Ended{i, pids_[i], st};
    }
  }
  return first;
}

std::vector<int> ChildSet::reap_all() {
  std::vector<int> out(pids_.size(), 0);
  for (size_t i = 0; i < pids_.size(); ++i) {
    while (!status_[i]) {
      int st = 0;
      pid_t r = waitpid(pids_[i], &st, 0);
      if (r == pids_[i]) status_[i] = st;
      else if (r < 0 && errno != EINTR) status_[i] = 0;  // not ours any more (ECHILD)
    }
    out[i] = *status_[i];
  }
  return out;
}

void ChildSet::kill_all(int signal) {
  for (size_t i = 0; i < pids_.size(); ++i) {
    if (!status_[i]) kill(pids_[i], signal);
  }
}

}  // namespace versus
