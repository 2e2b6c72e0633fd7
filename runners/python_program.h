// One run of the py-* runners' worker program (scripts/versus_py/worker.py) under the Python
// interpreter of bench/sys/python_interpreter.h: the cell goes in as one JSON line on its standard input, its
// worker rows and measures come back as lines on its standard output (the format is documented
// at the top of worker.py). The program runs in a process group of its own, which is killed
// once it is done, so no pool worker outlives the repetition.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "bench/api/cell.h"
#include "bench/api/runner.h"

namespace versus {

struct PythonCell {
  std::string runner;  // py-thread, py-process, py-asyncio
  std::string scenario;
  int workers = 1;  // worker rows expected back
  Params params;
  // What the C++ side prepared: a server's port (and the password to it: this goes in on
  // standard input, never on the command line), and unit_cpus, each unit's CPU under the
  // cell's placement ("0,1"; "" or absent under none), which the program's workers bind to.
  std::map<std::string, std::string> settings;
};

// Runs the program on `cell` and returns what it measured, with one WorkerResult per worker
// row and program_measures set. Throws WorkerCrashed when the program or one of its worker
// processes was killed by a signal, std::runtime_error when it failed (its message, or its
// exit status and the last line it wrote on stderr) or when its workers were not found on the
// CPUs settings["unit_cpus"] names (check_python_binding).
RunOutcome run_python_cell(const PythonCell& cell);

// Holds where the program found its workers once bound (`bound`: the CPU list of its `bound`
// line; nullopt when it wrote none) to the placement's plan (`unit_cpus`, one CPU per unit, ""
// under none, where nothing is checked): the two must name exactly the same CPUs, or a number
// measured elsewhere than asked would stand in the row. Throws std::runtime_error naming both.
void check_python_binding(std::string_view unit_cpus, const std::optional<std::string>& bound);

}  // namespace versus
