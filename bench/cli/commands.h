// The subcommands behind the command line, callable from tests.
#pragma once

#include "bench/harness/layer.h"

#include <optional>
#include <string>
#include <vector>

#include "bench/api/runner.h"
#include "bench/harness/engine.h"

namespace versus {

struct ListOptions {
  bool all = false;
};
int list_command(const Catalog& catalog, const ListOptions& options);

struct RunOptions {
  std::vector<std::string> scenarios, runners, sets, workers;
  std::optional<int> repetitions;
  std::optional<int> warmup;
  std::string preset;
  std::string out;
  std::optional<double> cell_timeout;
  std::optional<double> interference_limit;
  std::optional<int> retries;
  std::optional<double> min_time;
  std::string shard;   // "K/N"
  std::string resume;  // an output folder to complete
  std::string ab;      // another build of versus to measure beside this one, cell by cell
  bool quiet = false;
  bool dry_run = false;  // print the cells and the time they should take; run and write nothing
  // Seconds the machine is sampled before the matrix runs (default 1). Not part of the matrix:
  // a resumption samples again, for as long as its own command line says.
  std::optional<double> system_check;
  std::vector<std::string> benchmark_args;  // --benchmark_* flags, for Google Benchmark
};
// Throws UsageError on bad input before anything is written. Returns 0, kExitNothingMeasured
// (bench/harness/engine.h),
// 1 when results cannot be written, or 128 + the signal that stopped the run.
int run_command(const Catalog& catalog, const RunOptions& options, const std::vector<std::string>& command_line);

// The cells `cells` as a dry run shows them: each with its estimate or why it cannot run here,
// then the time by scenario and in all.
void print_dry_run(const std::vector<Cell>& cells, const Catalog& catalog);

struct MergeOptions {
  std::vector<std::string> inputs;
  std::string out;
  bool allow_different_matrices = false;  // join inputs whose matrix.json records other matrices
};
int merge_command(const MergeOptions& options);

struct CompareOptions {
  std::string baseline, current;  // results.csv files or folders holding one
  std::string threshold = "5%";
  double alpha = 0.01;
  double noise_floor = 1;
  std::string format = "console";
  std::vector<std::string> measures;  // default: wall_s
  std::string normalize;              // a reference cell id, or empty
  bool ignore_env = false;
  std::string markdown;  // also write the Markdown report here
};
// bench/compare/compare.h has the decision rule. 0: nothing regressed, 1: something did.
int compare_command(const CompareOptions& options);

struct ReportOptions {
  std::string results;  // a results folder
  std::string compare;  // another, to set beside it
  std::string out;      // where report.html goes (default: the results folder)
};
// Runs scripts/report.py under a Python that has matplotlib, numpy and pandas; its exit status.
int report_command(const ReportOptions& options);

}  // namespace versus
