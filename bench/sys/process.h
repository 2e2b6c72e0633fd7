// Process supervision: children forked by this process, killed and reaped whatever happens, and
// the tree below this process, where what left a child's process group is found. The fork
// runner and cell isolation stand on it.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace versus {

// "exited with status 3" / "killed by signal SIGSEGV (Segmentation fault)".
std::string describe_wait_status(int status);

class ChildSet {
 public:
  ChildSet() = default;
  ChildSet(const ChildSet&) = delete;
  ChildSet& operator=(const ChildSet&) = delete;
  // Kills (SIGKILL) and reaps every child not yet reaped.
  ~ChildSet();

  // Forks a child that runs `child_main` and _exits with its return value (70 if it throws).
  // The child dies with its parent (PR_SET_PDEATHSIG). Throws std::system_error if fork fails.
  pid_t spawn(const std::function<int()>& child_main);

  // Reaps without blocking the children that have ended. Returns the first ended child's
  // index (in spawn order) and wait status, if any ended.
  struct Ended {
    size_t index;
    pid_t pid;
    int status;
  };
  std::optional<Ended> reap_ended();

  // Blocks until every child has ended; returns their wait statuses in spawn order.
  std::vector<int> reap_all();

  void kill_all(int signal);
  const std::vector<pid_t>& pids() const { return pids_; }

 private:
  std::vector<pid_t> pids_;
  std::vector<std::optional<int>> status_;  // set once reaped
};

// Makes this process the subreaper of its descendants (PR_SET_CHILD_SUBREAPER): an orphan below
// it comes to it rather than to init, to be found by descendants() and reaped.
void become_subreaper();

// Every living descendant of this process (after reaping those that ended). Only a subreaper
// sees the orphans of its children.
std::vector<pid_t> descendants();
// Kills (SIGKILL) and reaps every descendant of this process; returns how many there were. For
// a caller that knows every process below it is to go, as cell isolation does after a cell.
int kill_descendants();

}  // namespace versus
