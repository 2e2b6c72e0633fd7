#include "bench/harness/ab.h"

#include <unistd.h>

#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "bench/harness/engine.h"
#include "bench/harness/isolate.h"
#include "bench/results/csv.h"
#include "bench/results/histogram_files.h"
#include "bench/results/schema.h"
#include "bench/sys/child.h"
#include "bench/sys/whole_writes.h"

namespace fs = std::filesystem;

namespace versus {

namespace {

// One build's side of the comparison: where its rows go.
struct Side {
  const char* role;  // "old" or "new"
  std::string binary;
  std::vector<std::string> extra_args;  // options this build knows that keep an invocation short
  std::unique_ptr<ResultsWriter> writer;
  int rows = 0;
};

// A --benchmark_filter that selects exactly `cell`, as the engine names it.
std::string exact_filter(const Cell& cell) {
  std::string out = "^";
  for (char ch : benchmark_name(cell)) {
    if (std::strchr(".[](){}*+?|^$\\", ch)) out += '\\';
    out += ch;
  }
  return out + "$";
}

// The plan of one invocation: the whole matrix, so the build expands it as it would, narrowed by
// the filter to one cell and one repetition. Interleaving has nothing to interleave there.
RunPlan one_repetition(const RunPlan& plan, const Cell& cell) {
  RunPlan one;
  one.spec = plan.spec;
  one.spec.repetitions = 1;
  for (const auto& arg : plan.benchmark_args) {
    if (!arg.starts_with("--benchmark_filter") && !arg.starts_with("--benchmark_enable_random_interleaving"))
      one.benchmark_args.push_back(arg);
  }
  Cell named = cell;
  named.repetitions = 1;
  one.benchmark_args.push_back("--benchmark_filter=" + exact_filter(named));
  return one;
}

std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  const auto nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

// Runs repetition `round` of `cell` under `side`'s build in `scratch`; its rows, renumbered as the
// round, or one failed row saying what went wrong. Empty when interrupted.
std::vector<Record> invoke(const Side& side, const RunPlan& one, const Cell& cell, int round, const fs::path& scratch) {
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  save_plan(scratch.string(), one);
  std::vector<std::string> argv = {side.binary, "run", "--resume", scratch.string(), "--quiet"};
  argv.insert(argv.end(), side.extra_args.begin(), side.extra_args.end());
  Child program = Child::exec(argv, {.own_group = true,
                                     .capture_output = true,
                                     .output_limit = 8192,
                                     .capture_errors = true,
                                     .errors_limit = 8192});
  const ChildEnd end =
      program.wait({.stop = [] { return interrupt_signal() != 0; }, .wake_fd = interrupt_wake_fd()});
  if (end.how == ChildEnd::How::kStopped) return {};
  std::vector<Record> rows;
  const fs::path csv = scratch / "results.csv";
  if (fs::exists(csv)) {
    try {
      const CsvTable table = read_csv_file(csv.string());
      check_results_header(table, csv.string(), OlderHeader::kAccept);
      for (size_t i = 0; i < table.rows.size(); ++i) rows.push_back(record_from_row(table, i, csv.string()));
    } catch (const std::exception& e) {
      rows.clear();
      Record r = record_for(cell, round);
      r.status = Status::kFailed;
      r.message = fmt::format("the {} build wrote rows versus cannot read: {}", side.role, e.what());
      return {r};
    }
  }
  // A repetition that crashed or failed is a row like any other: its run exits 3, not 0.
  const bool wrote_rows = end.how == ChildEnd::How::kExited && (end.code() == 0 || end.code() == kExitNothingMeasured);
  if (rows.empty() || !wrote_rows) {
    Record r = record_for(cell, round);
    r.status = Status::kFailed;
    const std::string said = last_line(program.errors().empty() ? program.output() : program.errors());
    r.message = fmt::format("the {} build ({}) {}{}", side.role, side.binary, end.describe(),
                            said.empty() ? "" : ": " + said);
    return {r};
  }
  // The invocation's rows are one repetition's attempts, in order; each latency row's side file
  // moves beside the side's results under the repetition's number in the A/B run.
  for (size_t attempt = 0; attempt < rows.size(); ++attempt) {
    Record& r = rows[attempt];
    r.repetition = round;
    try {
      carry_histogram(r, csv, side.writer->path(), histogram_file_name(r, static_cast<int>(attempt)));
    } catch (const std::runtime_error& e) {
      r.message += (r.message.empty() ? "" : "; ") + std::string(e.what());
      r.histogram.clear();
    }
  }
  fs::remove_all(scratch);
  return rows;
}

// The options `binary`'s run command knows, of those that shorten an invocation.
std::vector<std::string> short_invocation_args(const std::string& binary) {
  Child help = Child::exec({binary, "run", "--help"}, {.capture_output = true, .output_limit = 65536});
  help.wait();
  // The machine is checked once, by this run, not before every repetition.
  if (help.output().find("--system-check") != std::string::npos) return {"--system-check", "0"};
  return {};
}

}  // namespace

void check_ab_binary(const std::string& path) {
  if (path.empty() || !fs::is_regular_file(path) || access(path.c_str(), X_OK) != 0) {
    throw UsageError(fmt::format(
        "--ab '{}': not an executable file; accepted: the path of another build of versus (say old/build/versus)",
        path));
  }
}

int run_ab(const RunPlan& plan, const std::vector<Cell>& cells, const AbRun& ab) {
  Side sides[2] = {{"old", ab.old_binary, {}, nullptr, 0}, {"new", ab.new_binary, {}, nullptr, 0}};
  nlohmann::json env = ab.environment;
  for (Side& side : sides) {
    const fs::path dir = ab.out / side.role;
    fs::create_directories(dir);
    side.extra_args = short_invocation_args(side.binary);
    // Both builds run on this machine, interleaved: one description of it serves both.
    env["ab"] = {{"role", side.role}, {"binary", side.binary}};
    replace_file((dir / "env.json").string(), env.dump(2) + "\n");
    side.writer = std::make_unique<ResultsWriter>((dir / "results.csv").string());
  }
  const fs::path scratch = ab.out / ".invocation";
  for (size_t i = 0; i < cells.size(); ++i) {
    const Cell& cell = cells[i];
    const RunPlan one = one_repetition(plan, cell);
    for (int round = 0; round < cell.repetitions; ++round) {
      for (int turn = 0; turn < 2; ++turn) {
        if (interrupt_signal()) return interrupt_signal();
        Side& side = sides[(round + turn) % 2];  // old first in even rounds, new first in odd ones
        const std::vector<Record> rows = invoke(side, one, cell, round, scratch);
        for (const Record& r : rows) side.writer->write(r);
        side.rows += static_cast<int>(rows.size());
      }
    }
    if (!ab.quiet) fmt::print("versus: A/B {}/{} {}\n", i + 1, cells.size(), cell.id());
    std::fflush(stdout);
  }
  fs::remove_all(scratch);
  fmt::print("versus: A/B done: {} rows in {}, {} in {}; judge with: versus compare {} {}\n", sides[0].rows,
             (ab.out / "old").string(), sides[1].rows, (ab.out / "new").string(), (ab.out / "old").string(),
             (ab.out / "new").string());
  return interrupt_signal();
}

}  // namespace versus
