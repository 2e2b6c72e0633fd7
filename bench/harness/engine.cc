#include "bench/harness/engine.h"

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <regex>

#include <fmt/format.h>

#include <iostream>

#include "bench/harness/isolate.h"
#include "bench/harness/peak_rate.h"
#include "bench/harness/estimate.h"
#include "bench/harness/progress.h"
#include "bench/harness/repetition.h"
#include "bench/harness/work_sizing.h"
#include "bench/results/histogram_files.h"

namespace versus {

namespace {

// What the engine knows of one cell while Google Benchmark runs it.
struct CellState {
  const Cell* cell = nullptr;
  int next_repetition = 0;
  std::vector<Record> pending;  // measured, not yet reported
  std::string stopped;          // set once a repetition crashed or hung: the rest are not run
  Status stopped_status = Status::kOk;
  bool interrupted = false;
  bool first_not_ok = false;  // repetition 0 was not ok: Google Benchmark is shown no ok one after it
  int number = 0;             // 1-based, in the order cells start
  int ok = 0;
  double repetition_estimate_s = 0;  // what the model expects of one repetition
  double before_first_s = 0;         // and of the warm-ups or probes before the first
  std::optional<Cell> sized;         // the cell as it runs, once its work is sized
  std::string sizing_note;           // why its work could not be sized, for each of its rows
  // A cell whose load is a share of its peak (Scenario::peak_twin): itself with the peak set, and
  // where the peak came from, for its rows' message.
  std::optional<Cell> with_peak;
  std::string peak_note;
};

class Engine {
 public:
  Engine(const Catalog& catalog, const std::vector<Cell>& cells, ResultsWriter& writer, const EngineOptions& options,
         double estimated_s)
      : catalog_(catalog),
        writer_(writer),
        options_(options),
        progress_(static_cast<int>(cells.size()), estimated_s, options.progress),
        sizer_(catalog, cells) {}

  Progress& progress() { return progress_; }

  void add(const Cell& cell, const CellEstimate& estimate) {
    auto state = std::make_unique<CellState>();
    state->cell = &cell;
    state->repetition_estimate_s = estimate.repetition_s;
    state->before_first_s = estimate.before_first_s;
    CellState* s = state.get();
    by_name_[cell.id()] = s;
    states_.push_back(std::move(state));
    // benchmark_name() spells the name these options give the benchmark.
    benchmark::RegisterBenchmark(cell.id().c_str(), [this, s](benchmark::State& st) { run_one(*s, st); })
        ->Iterations(1)
        ->Repetitions(cell.repetitions)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  }

  // Writes the rows of the cell Google Benchmark has just reported. A cell cut short by an
  // interrupt writes nothing: it will be run again whole.
  void report(const std::string& name) {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return;
    CellState& s = *it->second;
    if (s.interrupted) {
      s.pending.clear();
      return;
    }
    if (s.pending.empty()) return;
    for (Record& r : s.pending) {
      writer_.write(r);
      result_.records.push_back(std::move(r));
    }
    s.pending.clear();
    progress_.cell_finished(display_name(name), s.number, s.ok, s.cell->repetitions);
  }

  // The console shows a cell without the parameters left at their defaults.
  std::string display_name(const std::string& name) const {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return name;
    const Cell& c = *it->second->cell;
    std::vector<std::string> changed;
    auto keep_changed = [&](std::span<const ParamSpec> specs) {
      for (const auto& p : specs) {
        const std::string& v = c.params.str(p.name);
        if (v != p.canonical(p.default_value)) changed.push_back(p.name + "=" + v);
      }
    };
    for (const auto& table : param_tables(*catalog_.scenario(c.scenario), *catalog_.runner(c.runner))) {
      keep_changed(table);
    }
    std::sort(changed.begin(), changed.end());
    std::string shown = fmt::format("{}/{}/workers:{}", c.scenario, c.runner, c.workers);
    return changed.empty() ? shown : shown + "/" + join(changed, ";");
  }

  bool interrupted_cell(const std::string& name) const {
    auto it = by_name_.find(name);
    return it != by_name_.end() && it->second->interrupted;
  }

  EngineResult finish() {
    for (auto& s : states_) report(s->cell->id());  // anything Google Benchmark did not report
    result_.interrupted_by = interrupt_signal();
    return std::move(result_);
  }

 private:
  void run_one(CellState& s, benchmark::State& st) {
    const int repetition = s.next_repetition++;
    if (interrupt_signal() || s.interrupted) {
      s.interrupted = true;
      conclude(st, 0, "interrupted");
      return;
    }
    if (s.number == 0) {
      s.number = ++cells_started_;
      find_peak(s);
    }
    progress_.repetition_started(display_name(s.cell->id()), s.number, repetition, s.cell->repetitions);
    Record r;
    if (!s.stopped.empty()) {
      r = record_for(s.sized ? *s.sized : *s.cell, repetition);
      r.host = options_.host;
      r.status = s.stopped_status;
      r.message = "not run: " + s.stopped;
    } else {
      r = measure(s, repetition, /*warm_up=*/true, /*attempt=*/0);
      // Every attempt keeps its row: one set aside is a measurement of a busy machine, and says so.
      for (int retry = 1; r.interfered && retry <= s.cell->retries && !interrupt_signal(); ++retry) {
        note(r, fmt::format("set aside: {:.0f}% of its CPUs' time went to something else; run again ({} of {})",
                            *r.interfered * 100, retry, s.cell->retries));
        s.pending.push_back(r);
        r = measure(s, repetition, /*warm_up=*/false, retry);
      }
      if (r.interfered) {
        note(r, fmt::format("set aside: {:.0f}% of its CPUs' time went to something else{}", *r.interfered * 100,
                            s.cell->retries > 0 ? ", in every attempt" : ""));
      }
    }
    if (interrupt_signal()) {
      s.interrupted = true;
      conclude(st, 0, "interrupted");
      return;
    }
    if (s.stopped.empty() && (r.status == Status::kCrashed || r.status == Status::kTimeout)) {
      s.stopped = fmt::format("repetition {} ended {}", repetition, status_name(r.status));
      s.stopped_status = r.status;
    }
    s.pending.push_back(r);
    // The warm-ups or probes run before repetition 0, and count with it.
    progress_.repetition_done(s.repetition_estimate_s + (repetition == 0 ? s.before_first_s : 0));
    if (r.status != Status::kOk) {
      if (repetition == 0) s.first_not_ok = true;
      conclude(st, 0, fmt::format("{}: {}", status_name(r.status), r.message));
      return;
    }
    ++s.ok;
    if (s.first_not_ok) {
      // Google Benchmark 1.7 takes the statistics to compute from a cell's first run, which an
      // errored run lacks: with two or more ok runs after it, it would crash. The row is kept
      // as it is; only the console's table leaves it out.
      conclude(st, *r.wall_s, "ok, but left out of this table's statistics: repetition 0 was not ok");
      return;
    }
    conclude(st, *r.wall_s, "");
    st.counters["ops_per_s"] = benchmark::Counter(r.ops_per_s.value_or(0));
    st.counters["cpu_util"] = benchmark::Counter((*r.cpu_user_s + *r.cpu_sys_s) / std::max(*r.wall_s, 1e-9));
    st.counters["pss_MiB"] = benchmark::Counter(double(r.pss_bytes.value_or(0)) / (1 << 20));
  }

  // For a cell whose load is a share of its peak: the peak, from the rows of this run so far or
  // measured now. The rows of repetitions measured here are not written: they are no cell of
  // the matrix, only the yardstick of this one, and its rows say so.
  void find_peak(CellState& s) {
    const std::optional<Params> twin_params = catalog_.scenario(s.cell->scenario)->peak_twin(*s.cell);
    if (!twin_params) return;
    Cell twin = *s.cell;
    twin.params = *twin_params;
    // Measured once for every share of it (a sweep of rates is of one peak).
    auto [known, fresh] = peaks_.try_emplace(twin.id());
    if (fresh) {
      std::vector<Record> so_far = result_.records;
      for (const auto& state : states_) so_far.insert(so_far.end(), state->pending.begin(), state->pending.end());
      known->second = peak_rate_of(twin, so_far, s.cell->repetitions, [&](const Cell& c, int repetition) {
        return execute_repetition(catalog_, c, repetition);
      });
    }
    const PeakRate& peak = known->second;
    s.with_peak = *s.cell;
    s.with_peak->peak_ops_per_s = peak.ops_per_s;
    s.peak_note = "the rate is a share " + peak.how;
  }

  // Sizes the cell's work when it asks for it (the probes warm up as warm-ups do), runs the
  // warm-ups left and then the measured repetition. Whatever goes wrong becomes the row's status:
  // nothing thrown here may leave Google Benchmark's loop unfinished.
  Record measure(CellState& s, int repetition, bool warm_up, int attempt) {
    const Cell& cell = s.with_peak ? *s.with_peak : *s.cell;
    try {
      int probes = 0;
      if (!s.sized) {
        WorkSizer::Sized sized =
            sizer_.size(cell, [this](const Cell& c) { return execute_repetition(catalog_, c, 0); });
        s.sized = std::move(sized.cell);
        s.sizing_note = std::move(sized.note);
        probes = sized.probes;
      }
      // Warm-up runs the very same isolated repetition, so whatever a first run pays (page cache,
      // the CPU's clock ramping up, lazily bound symbols) is paid outside the measured ones.
      for (int w = probes; warm_up && repetition == 0 && w < cell.warmup && !interrupt_signal(); ++w) {
        (void)execute_repetition(catalog_, *s.sized, 0);
      }
      Record r = execute_repetition(catalog_, *s.sized, repetition);
      r.host = options_.host;
      keep_side_file(r, attempt);
      if (!s.sizing_note.empty()) note(r, s.sizing_note);
      if (!s.peak_note.empty()) note(r, s.peak_note);
      return r;
    } catch (const std::exception& e) {
      Record r = record_for(s.sized ? *s.sized : cell, repetition);
      r.host = options_.host;
      r.status = Status::kFailed;
      r.message = fmt::format("the harness could not run the repetition: {}", e.what());
      return r;
    }
  }

  // An ok row's latency histogram goes to its side file; a row that is not ok keeps none.
  void keep_side_file(Record& r, int attempt) {
    if (r.status != Status::kOk) r.histogram_text.clear();
    try {
      keep_histogram(r, attempt, writer_.path());
    } catch (const std::exception& e) {
      note(r, fmt::format("its latency histogram could not be kept: {}", e.what()));
      r.histogram_text.clear();
    }
  }

  static void note(Record& r, const std::string& what) { r.message += (r.message.empty() ? "" : "; ") + what; }

  // Hands Google Benchmark one repetition. Its ComputeStats, aggregating a cell's repetitions,
  // aborts the whole process unless every run reports the same iteration count, errored ones
  // included, and a run skipped before its loop reports none: so every repetition, whatever its
  // fate, runs the loop exactly once and only then is marked an error.
  static void conclude(benchmark::State& st, double seconds, const std::string& error) {
    for (auto _ : st) st.SetIterationTime(std::max(seconds, 1e-9));
    if (!error.empty()) st.SkipWithError(error.c_str());
  }

  const Catalog& catalog_;
  ResultsWriter& writer_;
  std::map<std::string, PeakRate> peaks_;  // by the closed-loop twin's id
  EngineOptions options_;
  std::vector<std::unique_ptr<CellState>> states_;
  std::map<std::string, CellState*> by_name_;
  EngineResult result_;
  Progress progress_;
  WorkSizer sizer_;
  int cells_started_ = 0;
};

// Google Benchmark's console table for people, and our rows, written as each cell is reported.
class TeeReporter final : public benchmark::BenchmarkReporter {
 public:
  TeeReporter(Engine& engine, bool console, size_t name_width)
      : engine_(engine),
        console_(console),
        name_width_(name_width),
        console_reporter_(isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_Defaults
                                                : benchmark::ConsoleReporter::OO_Tabular) {}

  bool ReportContext(const Context& context) override {
    if (!console_) return true;
    Context shown = context;
    shown.name_field_width = name_width_;  // the short names, not the registered ones
    return console_reporter_.ReportContext(shown);
  }

  void ReportRuns(const std::vector<Run>& runs) override {
    std::vector<Run> shown;
    for (const Run& run : runs) {
      const std::string name = run.run_name.function_name;
      if (engine_.interrupted_cell(name)) continue;
      if (run.run_type == Run::RT_Iteration) engine_.report(name);
      shown.push_back(run);
      shown.back().run_name.function_name = engine_.display_name(name);
      shown.back().run_name.repetitions.clear();
      shown.back().run_name.time_type.clear();
      shown.back().run_name.iterations.clear();
    }
    if (console_ && !shown.empty()) {
      engine_.progress().clear();
      console_reporter_.ReportRuns(shown);
      std::cout.flush();
      engine_.progress().redraw();
    }
  }

  void Finalize() override {
    if (console_) console_reporter_.Finalize();
  }

 private:
  Engine& engine_;
  bool console_;
  size_t name_width_;
  benchmark::ConsoleReporter console_reporter_;
};

}  // namespace

EngineResult run_cells(const std::vector<Cell>& cells, const Catalog& catalog, ResultsWriter& writer,
                       const EngineOptions& options) {
  std::vector<CellEstimate> estimates;
  double estimated_s = 0;
  for (const Cell& c : cells) {
    estimates.push_back(estimate_cell(catalog, c));
    estimated_s += estimates.back().seconds;
  }
  Engine engine(catalog, cells, writer, options, estimated_s);
  for (size_t i = 0; i < cells.size(); ++i) engine.add(cells[i], estimates[i]);
  size_t width = 10;
  for (const Cell& c : cells) width = std::max(width, engine.display_name(c.id()).size() + 7);  // + "_median"
  TeeReporter reporter(engine, options.console, width);
  benchmark::RunSpecifiedBenchmarks(&reporter, ".");  // the cells given are those to run
  benchmark::ClearRegisteredBenchmarks();
  engine.progress().clear();
  return engine.finish();
}

std::string benchmark_name(const Cell& cell) {
  return fmt::format("{}/iterations:1/repeats:{}/manual_time", cell.id(), cell.repetitions);
}

std::vector<Cell> select_cells(const std::vector<Cell>& cells, const std::string& filter) {
  if (filter.empty() || filter == "all") return cells;
  const bool negative = filter.front() == '-';
  std::regex re;
  try {
    re = std::regex(negative ? filter.substr(1) : filter, std::regex_constants::extended);
  } catch (const std::regex_error& e) {
    throw UsageError(
        fmt::format("--benchmark_filter={}: not a regular expression ({}); accepted: a POSIX extended "
                    "regular expression, with a leading '-' to exclude what it matches",
                    filter, e.what()));
  }
  std::vector<Cell> out;
  for (const Cell& c : cells) {
    if (std::regex_search(benchmark_name(c), re) != negative) out.push_back(c);
  }
  return out;
}

}  // namespace versus
