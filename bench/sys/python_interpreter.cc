#include "bench/sys/python_interpreter.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>

#include <fmt/format.h>

namespace versus {

namespace {

// Runs `python` on a one-line probe and returns what it printed ("" if it could not run).
std::string probe(const std::string& python) {
  const std::string command = fmt::format(
      "'{}' -c 'import sys; print(\"%d.%d.%d\" % sys.version_info[:3], "
      "int(getattr(sys, \"_is_gil_enabled\", lambda: True)()), end=\" \")\n"
      "try:\n import redis; print(1)\nexcept Exception: print(0)' 2>/dev/null",
      python);
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return {};
  std::string out;
  char buf[256];
  while (size_t n = fread(buf, 1, sizeof buf, pipe.get())) out.append(buf, n);
  return out;
}

PythonInterpreter find() {
  PythonInterpreter py;
  std::string tried;
  for (const char* candidate : {static_cast<const char*>(std::getenv("VERSUS_PYTHON")), "/usr/bin/python3"}) {
    if (!candidate || !*candidate) continue;
    tried += tried.empty() ? candidate : fmt::format(", {}", candidate);
    if (access(candidate, X_OK) != 0) continue;
    std::istringstream fields(probe(candidate));
    int gil = 1, redis = 0;
    if (fields >> py.version >> gil >> redis) {
      py.path = candidate;
      py.gil = gil != 0;
      py.has_redis = redis != 0;
      return py;
    }
  }
  py.problem = fmt::format(
      "no Python 3 runs here (tried {}); scripts/setup.sh installs Debian's python3, or set "
      "VERSUS_PYTHON",
      tried);
  return py;
}

}  // namespace

const PythonInterpreter& python_interpreter() {
  static const PythonInterpreter py = find();
  return py;
}

std::string scripts_folder() {
  if (const char* env = std::getenv("VERSUS_SCRIPTS"); env && *env) return env;
  return std::string(VERSUS_SOURCE_DIR) + "/scripts";
}

}  // namespace versus
