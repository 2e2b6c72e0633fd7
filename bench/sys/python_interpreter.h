// The Python interpreter the py-* runners run their worker program under (scripts/versus_py),
// found once per process: $VERSUS_PYTHON if set, else Debian's /usr/bin/python3 (the python3
// first on PATH may be a separate interpreter without Debian's packages).
#pragma once

#include <string>

namespace versus {

struct PythonInterpreter {
  std::string path;        // empty when none runs here
  std::string version;     // "3.11.2"
  bool gil = true;         // false only on a free-threaded build with the GIL off
  bool has_redis = false;  // redis-py (Debian's python3-redis) imports
  std::string problem;     // when path is empty: what was tried and what to install
};

const PythonInterpreter& python_interpreter();

// Where the scripts live: $VERSUS_SCRIPTS, else the source tree's scripts/ folder.
std::string scripts_folder();

}  // namespace versus
