#include "bench/sys/process.h"

#include <dirent.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <string>

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

ChildSet::~ChildSet() {
  // All killed before any is waited for: they die together, not one after another.
  kill_all(SIGKILL);
  reap_all();
}

pid_t ChildSet::spawn(const std::function<int()>& child_main) {
  children_.push_back(Child::run([&](int) { return child_main(); }));
  pids_.push_back(children_.back().pid());
  return pids_.back();
}

std::optional<ChildSet::Ended> ChildSet::reap_ended() {
  std::optional<Ended> first;
  for (size_t i = 0; i < children_.size(); ++i) {
    Child& child = children_[i];
    if (child.status() || !child.try_reap()) continue;
    if (!first) first = Ended{i, child.pid(), *child.status()};
  }
  return first;
}

std::vector<int> ChildSet::reap_all() {
  std::vector<int> out;
  for (Child& child : children_) out.push_back(child.reap());
  return out;
}

void ChildSet::kill_all(int signal) {
  for (Child& child : children_) child.signal(signal);
}

void become_subreaper() { prctl(PR_SET_CHILD_SUBREAPER, 1); }

std::vector<pid_t> descendants() {
  // Reap what has ended first; orphans of our children are reparented to us (subreaper).
  while (waitpid(-1, nullptr, WNOHANG) > 0) {}
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

std::string executable_path() {
  char self[4096] = {};
  const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  return len > 0 ? std::string(self, size_t(len)) : std::string();
}

}  // namespace versus
