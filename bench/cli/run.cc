#include "bench/cli/commands.h"

#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include <fmt/format.h>

#include <benchmark/benchmark.h>

#include "bench/harness/ab.h"
#include "bench/harness/engine.h"
#include "bench/sys/cell_names.h"
#include "bench/sys/limits.h"
#include "bench/sys/placement.h"
#include "bench/sys/process.h"
#include "bench/sys/system_check.h"
#include "bench/harness/resume.h"
#include "bench/harness/env.h"
#include "bench/harness/isolate.h"
#include "bench/harness/matrix.h"
#include "bench/harness/repetition.h"
#include "bench/harness/usage_problems.h"
#include "bench/results/results_files.h"
#include "bench/results/schema.h"
#include "bench/results/summary.h"
#include "bench/sys/whole_writes.h"

namespace fs = std::filesystem;

namespace versus {

namespace {

// Adds the --set overrides to every preset block where some scenario or runner declares the key.
void apply_overrides(MatrixSpec& spec, const std::vector<std::string>& sets, const Catalog& catalog) {
  for (const auto& text : sets) {
    auto [key, values] = parse_set(text);
    bool used = false;
    for (auto& block : spec.blocks) {
      bool declared = false;
      for (const auto& p : cell_params()) declared = declared || p.name == key;
      for (const auto& s : block.scenarios) {
        if (const Scenario* sc = catalog.scenario(s)) {
          for (const auto& p : sc->params()) declared = declared || p.name == key;
        }
      }
      for (const auto& r : block.runners) {
        if (const Runner* rn = catalog.runner(r)) {
          for (const auto& p : rn->params()) declared = declared || p.name == key;
        }
      }
      if (!declared) continue;
      used = true;
      std::erase_if(block.set, [&](const auto& kv) { return kv.first == key; });
      block.set.emplace_back(key, values);
      block.set_where.erase(key);  // the command line's, not the preset's line
    }
    if (!used)
      throw UnknownName(fmt::format(
          "unknown parameter '{}': no scenario or runner of the preset declares it, nor is it one every cell has",
          key));
  }
}

// What `versus run --scenario S` leaves out, a newcomer expects filled in: every runner that can
// drive the scenarios given, and workers 1 and the core count. Returns what it chose, to be said.
std::string fill_defaults(MatrixBlock& block, const Catalog& catalog) {
  std::vector<std::string> chose;
  if (block.runners.empty() && !block.scenarios.empty()) {
    unsigned shapes = 0;
    for (const auto& s : block.scenarios) {
      const Scenario* scenario = catalog.scenario(s);
      if (!scenario) return {};  // reported as unknown; no default is sensible for it
      shapes |= scenario->shape();
    }
    for (const Runner* r : catalog.runners) {
      if (r->shapes() & shapes) block.runners.emplace_back(r->name());
    }
    chose.push_back(fmt::format("--runner {}", join(block.runners, ",")));
  }
  if (block.workers.empty() && !block.scenarios.empty()) {
    block.workers = {1};
    if (const int cores = parse_workers("cores"); cores > 1) block.workers.push_back(cores);
    std::vector<std::string> counts;
    for (int w : block.workers) counts.push_back(std::to_string(w));
    chose.push_back(fmt::format("--workers {}", join(counts, ",")));
  }
  return chose.empty() ? std::string() : fmt::format("versus: not given, taken as: {}", join(chose, " "));
}

// The matrix the command line asks for. Every problem found is kept in `problems`, so that all
// are reported together; `defaults` says what was filled in.
MatrixSpec spec_from(const RunOptions& o, const Catalog& catalog, UsageProblems& problems, std::string& defaults) {
  MatrixSpec spec;
  if (!o.preset.empty()) {
    if (!o.scenarios.empty() || !o.runners.empty() || !o.workers.empty()) {
      problems.add(
          "--preset already gives the scenarios, runners and workers: drop --scenario, --runner and "
          "--workers, or drop --preset (--set, --repetitions, --warmup, --cell-timeout, --min-time, "
          "--interference-limit and --retries may go with a preset)");
    }
    problems.check([&] {
      spec = load_preset(o.preset);
      apply_overrides(spec, o.sets, catalog);
    });
  } else {
    MatrixBlock block;
    block.scenarios = o.scenarios;
    block.runners = o.runners;
    for (const auto& w : o.workers) problems.check([&] { block.workers.push_back(parse_workers(w)); });
    for (const auto& s : o.sets) problems.check([&] { block.set.push_back(parse_set(s)); });
    // Defaults only fill what was left out, not what was given wrong.
    if (o.workers.empty() || !block.workers.empty()) defaults = fill_defaults(block, catalog);
    spec.blocks.push_back(block);
  }
  if (o.repetitions) spec.repetitions = *o.repetitions;
  if (o.warmup) spec.warmup = *o.warmup;
  if (o.interference_limit) spec.interference_limit = *o.interference_limit;
  if (o.retries) spec.retries = *o.retries;
  if (o.min_time) spec.min_time_s = *o.min_time;
  if (o.cell_timeout) {
    if (!std::isfinite(*o.cell_timeout) || *o.cell_timeout <= 0) {
      problems.add(fmt::format("--cell-timeout: '{}' is not accepted; accepted: a finite number of seconds > 0",
                               *o.cell_timeout));
    } else {
      spec.cell_timeout_s = *o.cell_timeout;
    }
  }
  return spec;
}

// --system-check: how long the machine is sampled before the matrix runs.
double system_check_seconds(const RunOptions& o) {
  const double s = o.system_check.value_or(1);
  if (!std::isfinite(s) || s < 0 || s > 10) {
    throw UsageError(fmt::format(
        "--system-check: '{}' is not accepted; accepted: a finite number of seconds from 0 to 10 (0: the load "
        "average, governors and boost only, no sampling of processes)",
        s));
  }
  return s;
}

// Samples the machine before the matrix runs and says so, --quiet or not, when it is noisy: its
// figures will vary more, and whoever reads them should know why. versus and whatever it has
// started are not "other processes".
SystemCheck check_machine(double sample_s) {
  std::vector<pid_t> ours = descendants();
  ours.push_back(getpid());
  SystemCheck check = check_system(Topology::here().cpus(), sample_s, ours);
  if (const std::string warning = noisy_warning(check); !warning.empty()) {
    std::fflush(stdout);  // after what was printed before it, in a log that takes both
    fmt::print(stderr, "{}\n", warning);
  }
  return check;
}

}  // namespace

namespace {

// Hands Google Benchmark its flags; refuses what it does not know.
void init_benchmark(const std::vector<std::string>& args) {
  // Google Benchmark keeps argv[0] for its banner: the strings must outlive the run.
  static std::vector<std::string> storage;
  storage = {"versus"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  benchmark::Initialize(&argc, argv.data());
  if (argc > 1) {
    std::vector<std::string> unknown(argv.begin() + 1, argv.begin() + argc);
    throw UsageError(fmt::format("unknown Google Benchmark flag(s): {}", join(unknown, " ")));
  }
}

// The cells of `matrix` in the shard that --benchmark_filter selects, and so the cells the run
// (or its resumption) runs: resume counts a run complete when each of them is. A filter selecting
// no cell of the whole matrix is refused, before anything is written.
std::vector<Cell> cells_to_run(const std::vector<Cell>& matrix, const std::optional<Shard>& shard,
                               const std::string& filter) {
  if (!matrix.empty() && select_cells(matrix, filter).empty()) {
    throw UsageError(
        fmt::format("--benchmark_filter={} selects none of the {} cells of the matrix; accepted: a POSIX "
                    "extended regular expression found in the name of at least one, such as '{}' (a "
                    "leading '-' selects the cells it does not match)",
                    filter, matrix.size(), benchmark_name(matrix.front())));
  }
  return select_cells(shard ? select_shard(matrix, *shard) : matrix, filter);
}

bool any_matrix_option(const RunOptions& o) {
  return !o.scenarios.empty() || !o.runners.empty() || !o.workers.empty() || !o.sets.empty() || o.repetitions ||
         o.warmup || !o.preset.empty() || !o.out.empty() || o.cell_timeout || o.interference_limit || o.retries ||
         o.min_time || !o.shard.empty() || !o.benchmark_args.empty();
}

// Notes a resumption in env.json, with its own system check, keeping what the first start recorded.
void record_resume(const fs::path& env_path, const std::vector<std::string>& command_line,
                   const nlohmann::json& system_check) {
  nlohmann::json env = nlohmann::json::object();
  if (std::ifstream in(env_path); in) {
    try {
      env = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception&) {}
  }
  const nlohmann::json now = capture_environment(command_line);
  env["resumed"].push_back({{"start_time", now["start_time"]},
                            {"command_line", command_line},
                            {"host", now["host"]},
                            {"system_check", system_check}});
  replace_file(env_path.string(), env.dump(2) + "\n");
}

// A run that wrote rows but not one ok row measured nothing: a script that takes exit status 0
// for "figures to look at" must not get it. Empty when some row is ok (or there was none).
std::string nothing_measured(const std::vector<Record>& rows) {
  std::map<Status, int> by_status;
  for (const Record& r : rows) ++by_status[r.status];
  if (rows.empty() || by_status.contains(Status::kOk)) return {};
  std::vector<std::string> counts;
  for (const auto& [status, n] : by_status) counts.push_back(fmt::format("{} {}", n, status_name(status)));
  return fmt::format(
      "no repetition was measured: the {} rows are {} (the message column of results.csv says why); exit status {}",
      rows.size(), join(counts, ", "), kExitNothingMeasured);
}

}  // namespace

int run_command(const Catalog& catalog, const RunOptions& options, const std::vector<std::string>& command_line) {
  const bool resuming = !options.resume.empty();
  const double system_check_s = system_check_seconds(options);
  if (options.dry_run && (resuming || !options.ab.empty())) {
    throw UsageError("--dry-run plans a new run: it goes with neither --resume nor --ab");
  }
  if (!options.ab.empty()) {
    if (resuming) throw UsageError("--ab and --resume do not go together: an A/B run is run again whole");
    check_ab_binary(options.ab);
  }
  RunPlan plan;
  fs::path out;
  if (resuming) {
    if (any_matrix_option(options)) {
      throw UsageError(
          "--resume OUT runs the matrix recorded in OUT/matrix.json: give no other matrix options "
          "(--quiet and --system-check go with it)");
    }
    out = options.resume;
    plan = load_plan(out.string());
  }
  // Every problem of the command line at once: the matrix's, the shard's, Google Benchmark's flags'.
  UsageProblems problems;
  std::string defaults;
  if (!resuming) {
    plan.spec = spec_from(options, catalog, problems, defaults);
    if (!options.shard.empty()) problems.check([&] { plan.shard = parse_shard(options.shard); });
    plan.benchmark_args = plan.spec.benchmark_args;
    plan.benchmark_args.insert(plan.benchmark_args.end(), options.benchmark_args.begin(), options.benchmark_args.end());
    // Each A/B repetition is an invocation of its own: a size chosen per invocation would differ
    // between the builds and between rounds, and an older build cannot size at all.
    if (!options.ab.empty()) plan.spec.min_time_s = 0;
  }
  std::vector<Cell> matrix;
  problems.check([&] { matrix = expand_matrix(plan.spec, catalog); });
  problems.check([&] { init_benchmark(plan.benchmark_args); });
  problems.throw_if_any();
  if (!defaults.empty()) fmt::print("{}\n", defaults);
  std::vector<Cell> cells = cells_to_run(matrix, plan.shard, benchmark::GetBenchmarkFilter());
  if (options.dry_run) {
    print_dry_run(cells, catalog);
    return 0;
  }

  // Everything asked is valid: from here on the output folder is ours alone until the run ends.
  if (!resuming) out = options.out.empty() ? create_run_folder("results") : fs::path(options.out);
  const OutputFolderLock lock(out);
  const fs::path csv = out / "results.csv";
  std::vector<Record> earlier;
  if (resuming) {
    ResumeState state = prepare_resume(csv.string(), cells);
    if (state.dropped_rows > 0) {
      fmt::print("versus: removed {} rows of cells cut short; they run again whole\n", state.dropped_rows);
    }
    fmt::print("versus: resuming {}: {} of {} cells complete\n", out.string(), cells.size() - state.todo.size(),
               cells.size());
    cells = std::move(state.todo);
    earlier = std::move(state.kept);
  } else if (!options.ab.empty()) {
    for (const char* side : {"old", "new"}) {
      if (fs::exists(out / side / "results.csv")) {
        throw UsageError(fmt::format("{} already holds results ({}/results.csv); choose another --out so nothing is "
                                     "overwritten",
                                     out.string(), side));
      }
    }
  } else if (fs::exists(csv)) {
    throw UsageError(
        fmt::format("{} already holds results (results.csv); choose another --out so nothing is "
                    "overwritten, or --resume {} to complete it",
                    out.string(), out.string()));
  }

  // Only a run with cells to run is checked: a resumption with nothing left says so and ends.
  const nlohmann::json system_check =
      cells.empty() ? nlohmann::json() : system_check_json(check_machine(system_check_s));
  int rows = 0;
  for (const auto& c : cells) rows += c.repetitions;
  if (!options.ab.empty()) {
    install_interrupt_handlers();
    fmt::print("versus: A/B of {} cells, {} repetitions each side, {} against this build; writing {}\n", cells.size(),
               rows, options.ab, out.string());
    std::fflush(stdout);
    try {
      nlohmann::json env = capture_environment(command_line);
      env["system_check"] = system_check;
      const int stopped_by = run_ab(plan, cells, {options.ab, executable_path(), out, options.quiet, env});
      if (stopped_by) {
        fmt::print(stderr, "versus: A/B interrupted; the rows measured so far are in {}/old and {}/new\n",
                   out.string(), out.string());
        return 128 + stopped_by;
      }
    } catch (const std::system_error& e) {
      fmt::print(stderr, "versus: {} (rows written so far are kept in {})\n", e.what(), out.string());
      return 1;
    }
    return 0;
  }
  try {
    if (resuming) {
      record_resume(out / "env.json", command_line, system_check);
    } else {
      nlohmann::json env = capture_environment(command_line);
      env["system_check"] = system_check;
      replace_file((out / "env.json").string(), env.dump(2) + "\n");
      save_plan(out.string(), plan);
    }
    raise_fd_limit();
    install_interrupt_handlers();
    if (const int abandoned = remove_abandoned_cell_names(); abandoned > 0) {
      fmt::print("versus: removed what {} repetition(s) of runs that ended abruptly left in {}\n", abandoned,
                 cell_tmp_root());
    }
    ResultsWriter writer(csv.string());
    EngineResult result;
    if (cells.empty()) {
      // A resumed run that is already complete: nothing for the engine to match.
      fmt::print("versus: nothing left to run: every cell of {} is complete\n", out.string());
    } else {
      fmt::print("versus: {} cells{}, {} repetitions in all; writing {}\n", cells.size(),
                 plan.shard ? " in shard " + plan.shard->str() : "", rows, csv.string());
      std::fflush(stdout);
      result = run_cells(cells, catalog, writer, {!options.quiet, !options.quiet, host_name()});
    }
    earlier.insert(earlier.end(), result.records.begin(), result.records.end());
    print_summary(earlier, catalog, stdout);
    fmt::print("\nresults: {} ({} rows)\nenvironment: {}\n", csv.string(), earlier.size(), (out / "env.json").string());
    if (result.interrupted_by) {
      const char* abbrev = sigabbrev_np(result.interrupted_by);
      fmt::print(stderr,
                 "versus: interrupted by SIG{}: the cell in flight was stopped and its processes killed; {} finished "
                 "rows are in {}; `versus run --resume {}` runs the rest\n",
                 abbrev ? abbrev : "?", earlier.size(), csv.string(), out.string());
      return 128 + result.interrupted_by;
    }
    if (const std::string none = nothing_measured(result.records); !none.empty()) {
      fmt::print(stderr, "versus: {}\n", none);
      return kExitNothingMeasured;
    }
  } catch (const std::system_error& e) {
    fmt::print(stderr, "versus: {} (rows written so far are kept in {})\n", e.what(), csv.string());
    return 1;
  }
  return 0;
}

}  // namespace versus
