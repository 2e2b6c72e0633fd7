// `versus report OUT`: the plots and the HTML report come from the Python scripts in scripts/,
// run under an interpreter that has matplotlib, numpy and pandas (scripts/find_python.sh).
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "bench/cli/commands.h"
#include "bench/sys/child.h"
#include "bench/sys/python_interpreter.h"

#ifndef VERSUS_SOURCE_DIR
#define VERSUS_SOURCE_DIR "."
#endif

namespace versus {

namespace {

// Runs argv (its program a path), waits, returns its exit status (128 + signal when killed).
int run_program(const std::vector<std::string>& args, std::string* output = nullptr) {
  try {
    Child program = Child::exec(args, {.capture_output = output != nullptr});
    const ChildEnd end = program.wait();
    if (end.exec_error != 0) {
      fmt::print(stderr, "versus report: cannot start {}: {}\n", args[0], std::strerror(end.exec_error));
      return kExitCannotExec;
    }
    if (output) *output = program.output();
    return end.how == ChildEnd::How::kExited ? end.code() : 128 + end.code();
  } catch (const std::system_error& e) {  // no pipe, no fork
    fmt::print(stderr, "versus report: cannot start {}: {}\n", args[0], e.code().message());
    return kExitCannotExec;
  }
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
