// The benchmark engine: every cell becomes one Google Benchmark benchmark (manual time, one
// iteration per repetition, `repetitions` repetitions), so --benchmark_filter, interleaving and
// the console report work as Google Benchmark users expect. Each repetition runs isolated
// (bench/harness/repetition.h); a reporter writes our CSV rows as Google Benchmark reports the runs.
#pragma once

#include "bench/harness/layer.h"

#include <string>
#include <vector>

#include "bench/api/cell.h"
#include "bench/api/runner.h"
#include "bench/results/schema.h"

namespace versus {

struct EngineOptions {
  bool console = true;   // Google Benchmark's console table
  bool progress = true;  // where the run is, on stderr
  std::string host;     // the `host` column
};

struct EngineResult {
  std::vector<Record> records;  // every row written, in order
  int interrupted_by = 0;       // the signal that stopped the run, or 0
};

// Registers `cells` with Google Benchmark (benchmark::Initialize must have run), runs those the
// --benchmark_filter selects, and appends their rows to `writer`.
EngineResult run_cells(const std::vector<Cell>& cells, const Catalog& catalog, ResultsWriter& writer,
                       const EngineOptions& options);

}  // namespace versus
