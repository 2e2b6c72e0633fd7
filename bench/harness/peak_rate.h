// Rates relative to the peak (redis rate=P%): a cell whose load is a share of its closed-loop
// twin's rate (Scenario::peak_twin) gets that rate from the twin's clean rows in this run, or,
// where the run has none yet, from repetitions of the twin measured first, which are not rows.
#pragma once

#include "bench/harness/layer.h"

#include <functional>
#include <span>
#include <string>

#include "bench/api/cell.h"

namespace versus {

struct PeakRate {
  double ops_per_s = 0;  // 0: could not be had, `how` says why
  std::string how;       // for the rows' message: where the rate came from
};

// The median ops_per_s of `twin`'s clean rows in `rows`; where there are none, of `repetitions`
// runs of `measure(twin, repetition)`.
PeakRate peak_rate_of(const Cell& twin, std::span<const Record> rows, int repetitions,
                      const std::function<Record(const Cell&, int)>& measure);

}  // namespace versus
