// Processes beyond one Child (child.h): a set of children started together (the fork runner's
// workers, a test's peer), and the tree below this process, where what left a child's process
// group is found. Cell isolation stands on both.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench/sys/child.h"

namespace versus {

class ChildSet {
 public:
  ChildSet() = default;
  ChildSet(const ChildSet&) = delete;
  ChildSet& operator=(const ChildSet&) = delete;
  // Kills (SIGKILL) and reaps every child not yet reaped.
  ~ChildSet();

  // Starts a Child that runs `child_main` and _exits with its return value (kExitThrew if it
  // throws), dying with its parent. Throws std::system_error if fork fails.
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
  std::vector<Child> children_;
  std::vector<pid_t> pids_;
};

// Makes this process the subreaper of its descendants (PR_SET_CHILD_SUBREAPER): an orphan below
// it comes to it rather than to init, to be found by descendants() and reaped.
void become_subreaper();

// The path of this process's program (/proc/self/exe), or "" when it cannot be read.
std::string executable_path();

// Every living descendant of this process (after reaping those that ended). Only a subreaper
// sees the orphans of its children.
std::vector<pid_t> descendants();
// Kills (SIGKILL) and reaps every descendant of this process; returns how many there were. For
// a caller that knows every process below it is to go, as cell isolation does after a cell.
int kill_descendants();

}  // namespace versus
