// Running both halves of the self-check: each bare measurement in a process of its own (as
// versus runs each repetition), and versus itself, once, over every cell, from a preset written
// for the occasion. Figures are medians over the repetitions.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "baseline/comparisons.h"
#include "bench/sys/placement.h"

namespace baseline {

// One comparison at one placement: the figures and where they came from.
struct Line {
  const Comparison* comparison = nullptr;
  versus::Placement placement;
  Cpus cpus;                                   // the bare ends' CPUs, as versus plans the cell's units
  std::optional<double> versus_figure, bare;   // medians; empty when nothing was measured
  int versus_n = 0, bare_n = 0;                // repetitions behind each
  std::string versus_cpus;                     // as the versus rows say
  std::string note;                            // why a figure is missing, or what differed
};

// The lines for every comparison at every placement, CPUs planned, nothing measured yet.
std::vector<Line> plan_lines(const std::vector<Comparison>& comparisons,
                             const std::vector<versus::Placement>& placements);

// Measures every line's bare figure `repetitions` times, interleaved (repetition r of every line
// before r + 1 of any), so the machine's changes fall on every line alike.
void measure_bare(std::vector<Line>& lines, int repetitions);

// Runs `versus run` over every line's cell into `out` (which must not hold results yet) and
// fills the lines' versus figures from its results.csv. Throws std::runtime_error with versus's
// last words when it does not run.
void measure_versus(std::vector<Line>& lines, const std::string& versus, const std::filesystem::path& out,
                    int repetitions);

}  // namespace baseline
