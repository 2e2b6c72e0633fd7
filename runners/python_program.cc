#include "runners/python_program.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/sys/python_interpreter.h"
#include "bench/sys/errors.h"
#include "bench/sys/fd.h"

namespace versus {

namespace {

struct Channel {
  UniqueFd ours, theirs;
};

Channel make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  return Channel{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// The cell goes in over a socket, so that writing it to a program that already ended is an
// EPIPE error (MSG_NOSIGNAL), not a SIGPIPE that kills the repetition.
Channel make_input() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw_errno("socketpair");
  return Channel{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Kills what is left of the program's process group (pool workers, a forkserver, a resource
// tracker) and reaps it: orphans come to this process, a subreaper, so none is left running or
// as a zombie for the harness to count. Bounded: a process the kernel cannot kill is left to
// the harness.
void end_group(pid_t group) {
  kill(-group, SIGKILL);
  for (int spins = 0; spins < 2000 && kill(-group, 0) == 0; ++spins) {
    while (waitpid(-group, nullptr, WNOHANG) > 0) {
    }
    usleep(1000);
  }
}

// The program's process group, ended and reaped however run_program leaves.
struct GroupGuard {
  pid_t group;
  ~GroupGuard() { end_group(group); }
};

// Everything the program wrote on stdout and stderr, and how it ended.
struct Ending {
  std::string out, err;
  int status = 0;
};

Ending run_program(const std::string& input) {
  const PythonInterpreter& py = python_interpreter();
  if (py.path.empty()) throw std::runtime_error(py.problem);
  const std::string script = scripts_folder() + "/versus_py/worker.py";
  // Made before fork: the child only makes async-signal-safe calls until exec.
  const std::string cannot_run = fmt::format("cannot run {}: ", py.path);
  Channel in = make_input(), out = make_pipe(), err = make_pipe();
  const pid_t parent = getpid();
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  const pid_t pid = fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(in.theirs.get(), STDIN_FILENO);
    dup2(out.theirs.get(), STDOUT_FILENO);
    dup2(err.theirs.get(), STDERR_FILENO);
    execl(py.path.c_str(), py.path.c_str(), "-u", script.c_str(), static_cast<char*>(nullptr));
    const char* why = strerror(errno);
    (void)!write(STDERR_FILENO, cannot_run.data(), cannot_run.size());
    (void)!write(STDERR_FILENO, why, strlen(why));
    _exit(127);
  }
  setpgid(pid, pid);
  GroupGuard guard{pid};
  in.theirs.reset();
  out.theirs.reset();
  err.theirs.reset();
  // The cell is small: one send fits the socket's buffer, and the program reads it first.
  const std::string line = input + "\n";
  ssize_t sent;
  while ((sent = send(in.ours.get(), line.data(), line.size(), MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  in.ours.reset();

  Ending end;
  pollfd fds[2] = {{out.ours.get(), POLLIN, 0}, {err.ours.get(), POLLIN, 0}};
  std::string* into[2] = {&end.out, &end.err};
  int open_fds = 2;
  bool exited = false;
  // Until both pipes close, or the program itself has exited and what it wrote is read: its
  // workers inherit the pipes, and one stuck beside a dead peer would hold them open.
  while (open_fds > 0) {
    const int ready = poll(fds, 2, 100);
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll");
    }
    if (ready == 0) {
      if (exited) break;
      exited = waitpid(pid, &end.status, WNOHANG) == pid;
      continue;
    }
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      const ssize_t n = read(fds[k].fd, buf, sizeof buf);
      if (n > 0) {
        into[k]->append(buf, size_t(n));
        if (k == 1 && end.err.size() > (1 << 20)) end.err.erase(0, end.err.size() - (1 << 16));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      fds[k].fd = -1;
      --open_fds;
    }
  }
  while (!exited && waitpid(pid, &end.status, 0) < 0 && errno == EINTR) {
  }
  if (sent != ssize_t(line.size()) && WIFEXITED(end.status) && WEXITSTATUS(end.status) == 0) {
    throw std::runtime_error("the Python worker program did not take the cell on its standard input");
  }
  return end;
}

// Reads an unsigned decimal number and the space after it (or the end) off the front of `text`.
bool take_number(std::string_view& text, uint64_t& v) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || (end != text.data() + text.size() && *end != ' ')) return false;
  text.remove_prefix(size_t(end - text.data()));
  if (!text.empty()) text.remove_prefix(1);
  return true;
}

std::string last_line(const std::string& text) {
  std::string s = text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  const size_t nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

void set_measure(TaskOutcome& o, const std::string& name, double v) {
  if (name == "wall_s") o.wall_s = v;
  else if (name == "cpu_user_s") o.usage.user_s = v;
  else if (name == "cpu_sys_s") o.usage.sys_s = v;
  else if (name == "ctx_voluntary") o.usage.voluntary = int64_t(v);
  else if (name == "ctx_involuntary") o.usage.involuntary = int64_t(v);
  else if (name == "rss_peak_bytes") o.memory.rss_peak_bytes = int64_t(v);
  else if (name == "pss_bytes") o.memory.pss_bytes = int64_t(v);
  else if (name == "bytes") o.bytes = uint64_t(v);
  else if (name == "lat_p50_us") o.lat_p50_us = v;
  else if (name == "lat_p90_us") o.lat_p90_us = v;
  else if (name == "lat_p99_us") o.lat_p99_us = v;
  else if (name == "lat_p999_us") o.lat_p999_us = v;
  // bytes_per_s and anything else derived is recomputed on this side
}

}  // namespace

TaskOutcome run_python_cell(const PythonCell& cell) {
  nlohmann::json spec = {{"runner", cell.runner}, {"scenario", cell.scenario}, {"workers", cell.workers},
                         {"params", cell.params.values()}, {"settings", cell.settings}};
  const Ending end = run_program(spec.dump());
  if (WIFSIGNALED(end.status)) {
    throw WorkerCrashed(fmt::format("the Python program ({}) was killed by signal {} ({})", cell.runner,
                                    WTERMSIG(end.status), strsignal(WTERMSIG(end.status))));
  }
  TaskOutcome o;
  o.own_measures = true;
  o.results.resize(size_t(cell.workers));
  std::vector<bool> seen(size_t(cell.workers), false);
  bool done = false, has_wall = false;
  std::istringstream lines(end.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string what;
    words >> what;
    std::string rest;
    std::getline(words >> std::ws, rest);
    if (what == "failed") throw std::runtime_error(fmt::format("Python {}: {}", cell.runner, rest));
    if (what == "crashed") throw WorkerCrashed(fmt::format("Python {}: {}", cell.runner, rest));
    if (what == "done") {
      done = true;
    } else if (what == "worker") {
      uint64_t i = 0;
      WorkerResult r;
      std::string_view fields = rest;
      if (!take_number(fields, i) || !take_number(fields, r.value) || !take_number(fields, r.ops) ||
          i >= uint64_t(cell.workers) || seen[i]) {
        throw std::runtime_error(fmt::format("the Python program wrote a bad worker line: '{}'", line));
      }
      fmt::format_to_n(r.message, sizeof r.message - 1, "{}", fields);
      o.results[i] = r;
      seen[i] = true;
    } else if (what == "measure") {
      std::istringstream f(rest);
      std::string name;
      double v;
      if (!(f >> name >> v)) throw std::runtime_error(fmt::format("the Python program wrote a bad measure: '{}'", line));
      set_measure(o, name, v);
      has_wall = has_wall || name == "wall_s";
    } else if (!what.empty()) {
      throw std::runtime_error(fmt::format("the Python program wrote an unknown line: '{}'", line));
    }
  }
  if (!done) {
    const std::string why = last_line(end.err);
    throw std::runtime_error(fmt::format("the Python program ({}) exited with status {} before it was done{}{}",
                                         cell.runner, WEXITSTATUS(end.status), why.empty() ? "" : ": ", why));
  }
  for (size_t i = 0; i < seen.size(); ++i) {
    if (!seen[i]) throw std::runtime_error(fmt::format("the Python program gave no row for worker {}", i));
  }
  if (!has_wall) throw std::runtime_error("the Python program gave no wall_s");
  return o;
}

}  // namespace versus
