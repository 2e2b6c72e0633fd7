// A/B: two builds of versus measured in one job, cell by cell, so that whatever the machine does
// meanwhile (a neighbour's load, a clock that drifts over minutes) falls on both alike. Each
// repetition of each cell is one invocation of a build (`run --resume` of a one-cell,
// one-repetition matrix), the two builds taking turns, the first of the pair alternating from
// one round to the next. So every repetition compared is a process invocation of its own, and
// the spread `versus compare` sees holds the variation between invocations as well as within.
#pragma once

#include "bench/harness/layer.h"

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/api/cell.h"
#include "bench/harness/resume.h"

namespace versus {

struct AbRun {
  std::string old_binary;     // the build to compare against (a path)
  std::string new_binary;     // this build
  std::filesystem::path out;  // OUT/old and OUT/new are written, each a results folder
  bool quiet = false;
  nlohmann::json environment;  // env.json of both sides: the machine, as this run found it
};

// Throws UsageError when `path` is no executable file.
void check_ab_binary(const std::string& path);

// Runs `cells` of `plan` under both builds, `repetitions` rounds each. Rows are appended as each
// invocation ends; an invocation that fails leaves a failed row naming how. Returns the signal
// that stopped it, or 0.
int run_ab(const RunPlan& plan, const std::vector<Cell>& cells, const AbRun& ab);

}  // namespace versus
