// The subcommands behind the command line, callable from tests.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/runner.h"

namespace versus {

struct ListOptions {
  bool all = false;
};
int list_command(const Catalog& catalog, const ListOptions& options);

struct RunOptions {
  std::vector<std::string> scenarios, runners, sets;
  std::vector<int> workers;
  std::optional<int> repetitions;
  std::string preset;
  std::string out;
  std::optional<double> cell_timeout;
  bool quiet = false;
};
// Throws UsageError on bad input before anything is written.
int run_command(const Catalog& catalog, const RunOptions& options, const std::vector<std::string>& command_line);

}  // namespace versus
