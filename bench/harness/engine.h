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
  std::string host;      // the `host` column
};

// Exit status of `versus run` when it wrote rows but none is ok (every repetition crashed,
// failed, timed out, was invalid or unsupported): the rows are kept, but nothing was measured.
inline constexpr int kExitNothingMeasured = 3;

struct EngineResult {
  std::vector<Record> records;  // every row written, in order
  int interrupted_by = 0;       // the signal that stopped the run, or 0
};

// Registers `cells` with Google Benchmark (benchmark::Initialize must have run), runs them all
// (select_cells has applied --benchmark_filter), and appends their rows to `writer`.
EngineResult run_cells(const std::vector<Cell>& cells, const Catalog& catalog, ResultsWriter& writer,
                       const EngineOptions& options);

// The cells Google Benchmark's --benchmark_filter `filter` selects, as Google Benchmark selects
// benchmarks: a POSIX extended regular expression searched for in the name it knows each cell
// by (benchmark_name); a leading '-' selects those it does not match; empty selects all. Throws
// UsageError when `filter` is not a regular expression.
std::vector<Cell> select_cells(const std::vector<Cell>& cells, const std::string& filter);

// The name Google Benchmark gives the benchmark of `cell` as run_cells registers it, say
// "cpu/fork/workers:2/count=300000;kernel=primes/iterations:1/repeats:5/manual_time".
std::string benchmark_name(const Cell& cell);

}  // namespace versus
