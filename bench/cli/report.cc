// `versus report OUT`: the plots and the HTML report come from the Python scripts in scripts/,
// run under an interpreter that has matplotlib, numpy and pandas (scripts/find_python.sh).
#include <spawn.h>
#include <sys/wait.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/cli/commands.h"
#include "bench/sys/python_interpreter.h"

#ifndef VERSUS_SOURCE_DIR
#define VERSUS_SOURCE_DIR "."
#endif

extern char** environ;

namespace versus {

namespace {

// Runs argv, waits, returns its exit status (128 + signal when killed).
int run_program(const std::vector<std::string>& args, std::string* output = nullptr) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int pipe_fds[2] = {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (output && pipe(pipe_fds) == 0) {
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  }
  pid_t pid;
  const int err = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (pipe_fds[1] >= 0) close(pipe_fds[1]);
  if (err != 0) {
    if (pipe_fds[0] >= 0) close(pipe_fds[0]);
    fmt::print(stderr, "versus report: cannot start {}: {}\n", args[0], std::strerror(err));
    return 127;
  }
  if (output) {
    char buf[4096];
    ssize_t n;
    while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0) output->append(buf, size_t(n));
    close(pipe_fds[0]);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

int report_command(const ReportOptions& options) {
  const std::string scripts = scripts_folder();
  std::string python;
  if (run_program({"/bin/bash", scripts + "/find_python.sh"}, &python) != 0) return 1;  // it said why
  while (!python.empty() && (python.back() == '\n' || python.back() == '\r')) python.pop_back();
  std::vector<std::string> args = {python, scripts + "/report.py", options.results};
  if (!options.compare.empty()) args.insert(args.end(), {"--compare", options.compare});
  if (!options.out.empty()) args.insert(args.end(), {"-o", options.out});
  return run_program(args);
}

}  // namespace versus
