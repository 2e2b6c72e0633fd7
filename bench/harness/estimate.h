// How long cells take here, before they run: what `versus run --dry-run` prints, and what the
// progress line's estimate starts from until finished cells correct it.
#pragma once

#include "bench/harness/layer.h"

#include <string>

#include "bench/api/cell.h"
#include "bench/api/runner.h"

namespace versus {

struct CellEstimate {
  std::string unsupported;  // why the cell cannot run here ("" when it can)
  double repetition_s = 0;    // one repetition, with what it costs around the work
  double before_first_s = 0;  // the warm-ups, or the probes that size the work, before the first
  double seconds = 0;         // every repetition, warm-up and probe of the cell
};

// The scenario's model of the cell's work (Scenario::expected_seconds), shared over the CPUs the
// workers can use when the scenario splits one total work, slowed as the runner is, plus what a
// repetition costs around its work (an isolated process, and the program of a runner that
// brings one). A cell whose work is sized to --min-time lasts about that, and its probes about a
// third of it. An unsupported cell costs only the asking.
CellEstimate estimate_cell(const Catalog& catalog, const Cell& cell);

}  // namespace versus
