#include "bench/sys/process.h"
#include "bench/sys/errors.h"

#include <dirent.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

namespace versus {

namespace {

// Children of `pid` as the kernel lists them, over all its threads.
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  const std::string task_dir = fmt::format("/proc/{}/task", pid);
  DIR* dir = opendir(task_dir.c_str());
  if (!dir) return out;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(task_dir + "/" + e->d_name + "/children");
    pid_t child;
    while (in >> child) out.push_back(child);
  }
  closedir(dir);
  return out;
}

}  // namespace

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

void become_subreaper() { prctl(PR_SET_CHILD_SUBREAPER, 1); }

std::vector<pid_t> descendants() {
  // Reap what has ended first; orphans of our children are reparented to us (subreaper).
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  std::vector<pid_t> todo = children_of(getpid()), all;
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    all.push_back(p);
    for (pid_t c : children_of(p)) todo.push_back(c);
  }
  return all;
}

int kill_descendants() {
  const int found = static_cast<int>(descendants().size());
  for (int round = 0; round < 400; ++round) {
    const std::vector<pid_t> left = descendants();
    if (left.empty()) break;
    for (pid_t p : left) kill(p, SIGKILL);
    usleep(5000);
  }
  return found;
}

}  // namespace versus
