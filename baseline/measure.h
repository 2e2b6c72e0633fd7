// Running both halves of the self-check: each bare measurement in a process of its own (as
// versus runs each repetition), and versus itself over each cell, from a preset written for the
// occasion. Figures are medians over the repetitions; a ratio is the median of each turn's.
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
  std::optional<double> ratio;                 // the median of each turn's versus / bare
  int versus_n = 0, bare_n = 0;                // repetitions behind each
  std::string versus_cpus;                     // as the versus rows say; a note when they differ
  std::string note;                            // why a figure is missing, or where the two ran apart
};

// The lines for every comparison at every placement, CPUs planned, nothing measured yet.
std::vector<Line> plan_lines(const std::vector<Comparison>& comparisons,
                             const std::vector<versus::Placement>& placements);

// Measures every line `repetitions` times, bare and through versus in turns: in each turn, cell
// by cell, one bare measurement of each line reading the cell and one `versus run` of the cell
// (one repetition, into OUT/rep-N/cell-K), one right after the other and first one then the
// other, so that each pair sees the machine at one moment. Throws std::runtime_error with
// versus's last words when it does not run.
void measure(std::vector<Line>& lines, const std::string& versus, const std::filesystem::path& out,
             int repetitions);

}  // namespace baseline
