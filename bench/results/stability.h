// Which of a cell's rows its figures come from, and whether those rows agree with each other.
// The summary, `versus compare` and the report (cell_stability in scripts/versus_report/
// stability.py) apply the same rule, written out in reports/SCHEMA.md ("Set aside and
// unstable"); a shared fixture (tests/fixtures/stability) holds both to it.
#pragma once

#include "bench/harness/layer.h"

#include <span>
#include <string>
#include <vector>

#include "bench/api/cell.h"

namespace versus {

// A cell is unstable when its values split into two groups further apart than this ratio (the
// signature of repetitions landing on different CPUs, or of a machine that changed speed
// midway)...
inline constexpr double kBimodalGap = 1.5;
// ...or when their interquartile range exceeds this share of their median.
inline constexpr double kUnstableSpread = 0.10;
// Interference or steal is named as a cause when some row's exceeds this share of its wall time
// and this many seconds: two ticks of /proc/stat's clock, below which it is the clock's rounding.
inline constexpr double kNoticeableShare = 0.05;
inline constexpr double kNoticeableFloor_s = 0.02;
// Fewer values than this are not judged: two cannot show a spread or two groups.
inline constexpr int kFewestJudged = 3;

// Ok and not set aside for interference.
bool is_clean(const Record& r);
// Ok but set aside (`interfered` is set): kept in results.csv, left out of the figures.
bool is_set_aside(const Record& r);

// The rows of one cell its figures come from: its clean rows, or where it has none its set-aside
// ones (better a figure marked unstable than none).
std::vector<const Record*> rows_used(std::span<const Record* const> cell_rows);

struct Stability {
  int set_aside = 0;   // rows set aside for interference
  bool unstable = false;
  std::string reason;  // "two groups 2.10x apart (placement none, migrations)", "spread 14% (...)"
};

// Judges one cell from all its rows (any status).
Stability judge_stability(std::span<const Record* const> cell_rows);

}  // namespace versus
