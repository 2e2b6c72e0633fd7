#include "bench/harness/estimate.h"

#include <algorithm>

#include "bench/harness/repetition.h"
#include "bench/sys/placement.h"

namespace versus {

namespace {

// Measured here: a repetition of a cell with next to no work (selftest, work_ms=1) takes about
// 30 ms from the harness's side (fork, placement, measures, the row); a py-* runner's program
// starting its interpreter and pool about 0.4 s more.
constexpr double kRepetitionCost_s = 0.03;
constexpr double kOwnProgramStart_s = 0.4;

}  // namespace

CellEstimate estimate_cell(const Catalog& catalog, const Cell& cell) {
  const Scenario& scenario = *catalog.scenario(cell.scenario);
  const Runner& runner = *catalog.runner(cell.runner);
  CellEstimate e;
  e.unsupported = why_unsupported(scenario, runner, cell);
  if (!e.unsupported.empty()) return e;
  double work = scenario.expected_seconds(cell) * runner.slowdown();
  if (scenario.strong_scaling() && runner.concurrent()) {
    const int cpus = static_cast<int>(Topology::here().cpus().size());
    work /= std::max(1, std::min(cell.workers, cpus));
  }
  e.repetition_s = kRepetitionCost_s + (runner.worker_host() == WorkerHost::kOwnProgram ? kOwnProgramStart_s : 0) + work;
  e.seconds = e.repetition_s * (cell.repetitions + cell.warmup);
  return e;
}

}  // namespace versus
