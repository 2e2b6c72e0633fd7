#include "bench/harness/estimate.h"

#include <algorithm>

#include "bench/harness/repetition.h"
#include "bench/harness/work_sizing.h"
#include "bench/sys/placement.h"

namespace versus {

namespace {

// Measured here: a repetition of a cell with next to no work (selftest, work_ms=1) takes about
// 30 ms from the harness's side (fork, placement, measures, the row); a py-* runner's program
// starting its interpreter and pool about 0.4 s more.
constexpr double kRepetitionCost_s = 0.03;
constexpr double kOwnProgramStart_s = 0.4;
// The probes that size a cell's work: one aimed at a fifth of --min-time, sometimes a second.
constexpr double kProbeShare = 0.35;

}  // namespace

CellEstimate estimate_cell(const Catalog& catalog, const Cell& cell) {
  const Scenario& scenario = *catalog.scenario(cell.scenario);
  const Runner& runner = *catalog.runner(cell.runner);
  CellEstimate e;
  // A load given as a share of the cell's peak cannot be run before the run has measured the
  // peak: asked beforehand, the cell is as supported as its peak will be.
  Cell asked = cell;
  if (asked.peak_ops_per_s <= 0 && scenario.peak_twin(cell)) asked.peak_ops_per_s = 1;
  e.unsupported = why_unsupported(scenario, runner, asked);
  if (!e.unsupported.empty()) return e;
  const double around = kRepetitionCost_s + (runner.worker_host() == WorkerHost::kOwnProgram ? kOwnProgramStart_s : 0);
  if (!cell.sized_param.empty()) {
    e.repetition_s = around + WorkSizer::expected_repetition_s(catalog, cell);
    e.before_first_s = std::max(1, cell.warmup) * (around + kProbeShare * cell.min_time_s);
  } else {
    double work = scenario.expected_seconds(cell) * runner.slowdown();
    if (scenario.strong_scaling()) work /= usable_cpus(scenario, runner, cell);
    e.repetition_s = around + work;
    e.before_first_s = cell.warmup * e.repetition_s;
  }
  e.seconds = e.repetition_s * cell.repetitions + e.before_first_s;
  return e;
}

}  // namespace versus
