// versus: the command line. `list` shows what can be measured; `run` measures a matrix; `compare`
// judges one run against another.
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "bench/cli/commands.h"
#include "bench/harness/repetition.h"
#include "bench/sys/process.h"
#include "runners/registry.h"
#include "scenarios/registry.h"

namespace {

// Each repetition runs in a fresh process: versus-repetition from beside this program (smaller:
// bench/cli/repetition_main.cc says why that matters), else this program's own `repetition`
// command. Either way the file as it was when the harness started, even if it is rebuilt during
// the run: this program through /proc/self/exe, versus-repetition through a descriptor opened
// now and inherited by each repetition's process until its exec.
std::vector<std::string> repetition_command() {
  const std::string self = versus::executable_path();
  if (!self.empty()) {
    const std::string beside = (std::filesystem::path(self).parent_path() / "versus-repetition").string();
    if (const int fd = open(beside.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
      if (access(beside.c_str(), X_OK) == 0) return {fmt::format("/proc/self/fd/{}", fd)};
      close(fd);
    }
  }
  return {"/proc/self/exe", "repetition"};
}

}  // namespace

int main(int argc, char** argv) {
  using namespace versus;
  const Catalog catalog{all_scenarios(), all_runners(), repetition_command()};

  // Google Benchmark's own flags (--benchmark_filter=...) go to it; the rest to our parser.
  std::vector<char*> ours{argv[0]}, theirs{argv[0]};
  for (int i = 1; i < argc; ++i) {
    (std::string_view(argv[i]).starts_with("--benchmark_") ? theirs : ours).push_back(argv[i]);
  }
  std::vector<std::string> command_line(argv, argv + argc);

  CLI::App app{"versus: processes, threads and fibers; blocking IO, select, poll, epoll and io_uring, measured"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "help for every command");

  ListOptions list;
  auto* list_cmd = app.add_subcommand("list", "scenarios, runners, their parameters and which pairs run");
  list_cmd->add_flag("--all", list.all, "include internal scenarios (selftest)");

  RunOptions run;
  auto* run_cmd = app.add_subcommand("run", "measure a matrix of cells and write OUT/results.csv and OUT/env.json");
  run_cmd->add_option("--scenario", run.scenarios, "scenarios, comma-separated")->delimiter(',');
  run_cmd->add_option("--runner", run.runners, "runners, comma-separated")->delimiter(',');
  run_cmd->add_option("--workers", run.workers, "worker counts, comma-separated")->delimiter(',');
  run_cmd->add_option("--set", run.sets, "key=v1,v2: a scenario or runner parameter and its values (repeatable)");
  run_cmd->add_option("--repetitions", run.repetitions, "measured repetitions per cell (default 5; a preset may say)");
  run_cmd->add_option("--warmup", run.warmup,
                      "repetitions run and discarded before each cell's first measured one (default 0; a preset may "
                      "say; work sized by --min-time counts its probes among them)");
  run_cmd->add_option("--preset", run.preset, "a preset name (reports/presets/NAME.toml) or a .toml file");
  run_cmd->add_option("--out", run.out, "output folder (default results/run-DATE-TIME)");
  run_cmd->add_option("--cell-timeout", run.cell_timeout,
                      "time limit in seconds for each repetition (default: scaled by the cell's work)");
  run_cmd->add_option("--interference-limit", run.interference_limit,
                      "set a repetition aside and run it again when something else took more than this share of "
                      "its CPUs' time (default 0.05; a preset may say)");
  run_cmd->add_option("--retries", run.retries,
                      "times a repetition set aside for interference is run again (default 2; a preset may say)");
  run_cmd->add_option("--min-time", run.min_time,
                      "seconds a repetition should last here: work-size parameters left at their defaults are sized "
                      "to it (default 0.25; 0 runs the defaults as they are; a preset may say)");
  run_cmd->add_option("--shard", run.shard, "K/N: run only the K-th of N deterministic parts of the matrix");
  run_cmd->add_option("--resume", run.resume, "OUT: run the cells of OUT's matrix not yet complete in OUT/results.csv");
  run_cmd->add_option("--ab", run.ab,
                      "OLD: measure the matrix under the build OLD and under this one, taking turns cell by cell "
                      "and repetition by repetition; writes OUT/old and OUT/new for versus compare");
  run_cmd->add_flag("--quiet", run.quiet, "no console table, no progress; the summary still prints");
  run_cmd->add_flag("--dry-run", run.dry_run,
                    "print the cells, which cannot run here and why, and how long each should take here; run "
                    "nothing, write nothing");
  run_cmd->add_option("--system-check", run.system_check,
                      "seconds to sample other processes' CPU use before the matrix runs, warning when the machine "
                      "is noisy (default 1; 0 to 10; 0 still checks the load average, governors and boost)");

  MergeOptions merge;
  auto* merge_cmd = app.add_subcommand("merge", "join results (shards of one matrix) into one folder");
  merge_cmd->add_option("inputs", merge.inputs, "results.csv files or folders holding one")->required();
  merge_cmd->add_option("-o,--out", merge.out, "output folder")->required();
  merge_cmd->add_flag("--allow-different-matrices", merge.allow_different_matrices,
                      "join results whose recorded matrices (matrix.json) differ, which merge refuses otherwise");

  CompareOptions compare;
  auto* compare_cmd = app.add_subcommand("compare", "compare two runs cell by cell; exit 1 when a cell regressed");
  compare_cmd->add_option("baseline", compare.baseline, "the baseline: a results.csv or a folder holding one")
      ->required();
  compare_cmd->add_option("current", compare.current, "the run to judge: a results.csv or a folder holding one")
      ->required();
  compare_cmd->add_option("--threshold", compare.threshold, "smallest change that counts, as 5% or 0.05 (default 5%)");
  compare_cmd->add_option("--alpha", compare.alpha, "1 - confidence of the interval of each change (default 0.01)");
  compare_cmd->add_option(
      "--noise-floor", compare.noise_floor,
      "times the cell's interquartile range a change must also clear (default 1; 0: the threshold alone)");
  compare_cmd->add_option("--format", compare.format, "console, markdown or json (default console)");
  compare_cmd->add_option("--measures", compare.measures, "columns to compare, comma-separated (default wall_s)")
      ->delimiter(',');
  compare_cmd->add_option("--normalize", compare.normalize,
                          "a cell id: divide each run's times by that cell's median time");
  compare_cmd->add_flag("--ignore-env", compare.ignore_env, "judge even when the CPU model or core count differ");
  compare_cmd->add_option("--markdown", compare.markdown,
                          "also write the Markdown report to this file (a CI job summary)");

  ReportOptions report;
  auto* report_cmd =
      app.add_subcommand("report", "plots and a self-contained HTML report (OUT/report.html) from a results folder");
  report_cmd->add_option("results", report.results, "a results folder (results.csv, env.json)")->required();
  report_cmd->add_option("--compare", report.compare, "another results folder to set beside it");
  report_cmd->add_option("-o,--out", report.out,
                         "folder for report.html, report.md and plots/ (default: the results folder)");

  // Not for people: the harness starts it to run one repetition (bench/harness/repetition.h)
  // where versus-repetition is not beside this program.
  std::string repetition_cell, repetition_number;
  auto* repetition_cmd = app.add_subcommand("repetition", "");
  repetition_cmd->group("");
  repetition_cmd->add_option("cell", repetition_cell)->required();
  repetition_cmd->add_option("number", repetition_number)->required();

  try {
    app.parse(static_cast<int>(ours.size()), ours.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "versus: {}\nRun 'versus --help' or 'versus run --help' for the accepted options.\n", e.what());
    return 2;
  }

  try {
    if (*repetition_cmd) return repetition_process_main(catalog, repetition_cell, repetition_number);
    if (*list_cmd) return list_command(catalog, list);
    if (*merge_cmd) return merge_command(merge);
    if (*report_cmd) return report_command(report);
    if (*compare_cmd) return compare_command(compare);
    run.benchmark_args.assign(theirs.begin() + 1, theirs.end());
    return run_command(catalog, run, command_line);
  } catch (const UsageError& e) {
    fmt::print(stderr, "versus: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "versus: error: {}\n", e.what());
    return 1;
  }
}
