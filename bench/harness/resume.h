// What a run was asked (OUT/matrix.json), and picking a stopped run up where it stopped.
#pragma once

#include "bench/harness/layer.h"

#include <optional>
#include <string>
#include <vector>

#include "bench/api/cell.h"
#include "bench/harness/matrix.h"

namespace versus {

struct RunPlan {
  MatrixSpec spec;
  std::optional<Shard> shard;
  std::vector<std::string> benchmark_args;  // Google Benchmark's flags given to `run`
};

void save_plan(const std::string& out_dir, const RunPlan& plan);
// Throws UsageError when OUT holds no readable matrix.json.
RunPlan load_plan(const std::string& out_dir);

struct ResumeState {
  std::vector<Cell> todo;    // cells not complete, in matrix order
  std::vector<Record> kept;  // rows of complete cells, as they are in the file
  int dropped_rows = 0;      // rows of incomplete cells (and a torn last line), removed
};

// Reads `csv_path` (absent: nothing done yet). A cell is complete when each of its repetitions
// has a row; rows of cells cut short are removed from the file (rewritten whole, then renamed
// over it) so that, run again, they do not count twice. Throws UsageError on a malformed file.
ResumeState prepare_resume(const std::string& csv_path, const std::vector<Cell>& cells);

}  // namespace versus
