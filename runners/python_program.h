// One run of the py-* runners' worker program (scripts/versus_py/worker.py) under the Python
// interpreter of bench/sys/python_interpreter.h: the cell goes in as one JSON line on its standard input, its
// worker rows and measures come back as lines on its standard output (the format is documented
// at the top of worker.py). The program runs in a process group of its own, which is killed
// once it is done, so no pool worker outlives the repetition.
#pragma once

#include <map>
#include <string>

#include "bench/api/cell.h"
#include "bench/api/runner.h"

namespace versus {

struct PythonCell {
  std::string runner;  // py-thread, py-process, py-asyncio
  std::string scenario;
  int workers = 1;  // worker rows expected back
  Params params;
  std::map<std::string, std::string> settings;  // what the C++ side prepared (a server's port)
};

// Runs the program on `cell` and returns what it measured, with one WorkerResult per worker
// row and program_measures set. Throws WorkerCrashed when the program or one of its worker
// processes was killed by a signal, std::runtime_error when it failed (its message, or its
// exit status and the last line it wrote on stderr).
RunOutcome run_python_cell(const PythonCell& cell);

}  // namespace versus
