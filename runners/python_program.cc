#include "runners/python_program.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/sys/child.h"
#include "bench/sys/errors.h"
#include "bench/sys/fd.h"
#include "bench/sys/placement.h"
#include "bench/sys/python_interpreter.h"

namespace versus {

namespace {

// The cell goes in over a socket, so that writing it to a program that already ended is an
// EPIPE error (MSG_NOSIGNAL), not a SIGPIPE that kills the repetition.
struct Input {
  UniqueFd ours, theirs;
};

Input make_input() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw_errno("socketpair");
  return Input{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Everything the program wrote on stdout and stderr, and how it ended.
struct Ending {
  std::string out, err;
  int status = 0;
};

Ending run_program(const std::string& input) {
  const PythonInterpreter& py = python_interpreter();
  if (py.path.empty()) throw std::runtime_error(py.problem);
  const std::string script = scripts_folder() + "/versus_py/worker.py";
  Input in = make_input();
  // In a group of its own: ending the program (however this function leaves) ends what is left
  // of its pool workers, a forkserver or a resource tracker too, and reaps them, so none is left
  // running or as a zombie for the harness to count. Only the tail of stderr is kept: its last
  // line is the reason given when the program fails.
  Child program = Child::exec({py.path, "-u", script}, {.own_group = true,
                                                        .capture_output = true,
                                                        .capture_errors = true,
                                                        .errors_limit = size_t{1} << 16,
                                                        .input_fd = in.theirs.get()});
  in.theirs.reset();
  // The cell is small: one send fits the socket's buffer, and the program reads it first.
  const std::string line = input + "\n";
  ssize_t sent;
  while ((sent = send(in.ours.get(), line.data(), line.size(), MSG_NOSIGNAL)) < 0 && errno == EINTR) {}
  in.ours.reset();

  // Until both pipes close, or the program itself has exited and its pipes stay quiet: its
  // workers inherit the pipes, and one stuck beside a dead peer would hold them open.
  const ChildEnd end = program.wait({.linger_ms = 100});
  if (end.exec_error != 0)
    throw std::runtime_error(fmt::format("cannot run {}: {}", py.path, strerror(end.exec_error)));
  if (sent != ssize_t(line.size()) && end.how == ChildEnd::How::kExited && end.code() == 0) {
    throw std::runtime_error("the Python worker program did not take the cell on its standard input");
  }
  return Ending{program.output(), program.errors(), end.status};
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

void set_measure(RunOutcome& o, const std::string& name, double v) {
  if (name == "wall_s") o.wall_s = v;
  else if (name == "cpu_user_s") o.usage.user_s = v;
  else if (name == "cpu_sys_s") o.usage.sys_s = v;
  else if (name == "ctx_voluntary") o.usage.voluntary = int64_t(v);
  else if (name == "ctx_involuntary") o.usage.involuntary = int64_t(v);
  else if (name == "rss_peak_bytes") o.memory.rss_peak_bytes = int64_t(v);
  else if (name == "pss_bytes") o.memory.pss_bytes = int64_t(v);
  else if (name == "bytes") o.program_measures->bytes = uint64_t(v);
  else if (name == "lat_p50_us") o.program_measures->lat_p50_us = v;
  else if (name == "lat_p90_us") o.program_measures->lat_p90_us = v;
  else if (name == "lat_p99_us") o.program_measures->lat_p99_us = v;
  else if (name == "lat_p999_us") o.program_measures->lat_p999_us = v;
  // bytes_per_s and anything else derived is recomputed on this side
}

// The distinct CPUs of a CPU list, ascending.
std::vector<int> distinct_cpus(std::string_view list) {
  std::vector<int> cpus = parse_cpu_list(list);
  std::sort(cpus.begin(), cpus.end());
  return cpus;  // parse_cpu_list gives each CPU once
}

}  // namespace

void check_python_binding(std::string_view unit_cpus, const std::optional<std::string>& bound) {
  if (unit_cpus.empty()) return;
  const std::vector<int> asked = distinct_cpus(unit_cpus);
  if (!bound) {
    throw std::runtime_error(
        fmt::format("the Python program did not say which CPUs its workers ran on; placement asked for {}",
                    format_cpu_list(asked)));
  }
  std::vector<int> found;
  try {
    found = distinct_cpus(*bound);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("the Python program wrote a bad bound line: '{}': {}", *bound, e.what()));
  }
  if (found != asked) {
    throw std::runtime_error(fmt::format("the Python workers ran on CPUs {}, placement asked for {}",
                                         format_cpu_list(found), format_cpu_list(asked)));
  }
}

RunOutcome run_python_cell(const PythonCell& cell) {
  nlohmann::json spec = {{"runner", cell.runner},
                         {"scenario", cell.scenario},
                         {"workers", cell.workers},
                         {"params", cell.params.values()},
                         {"settings", cell.settings}};
  const Ending end = run_program(spec.dump());
  if (WIFSIGNALED(end.status)) {
    throw WorkerCrashed(fmt::format("the Python program ({}) was killed by signal {} ({})", cell.runner,
                                    WTERMSIG(end.status), strsignal(WTERMSIG(end.status))));
  }
  RunOutcome o;
  o.program_measures.emplace();
  o.results.resize(size_t(cell.workers));
  std::vector<bool> seen(size_t(cell.workers), false);
  bool done = false, has_wall = false;
  std::optional<std::string> bound;  // the program's `bound` line, written under a placement only
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
      if (!(f >> name >> v))
        throw std::runtime_error(fmt::format("the Python program wrote a bad measure: '{}'", line));
      set_measure(o, name, v);
      has_wall = has_wall || name == "wall_s";
    } else if (what == "bound") {
      if (bound) throw std::runtime_error(fmt::format("the Python program wrote a second bound line: '{}'", line));
      bound = rest;
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
  const auto unit_cpus = cell.settings.find("unit_cpus");
  check_python_binding(unit_cpus == cell.settings.end() ? "" : unit_cpus->second, bound);
  return o;
}

}  // namespace versus
