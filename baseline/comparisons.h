// What the self-check sets side by side: each entry names a versus cell (scenario, runner,
// parameters), how to read its figure from a results.csv row, and the bare function that
// measures the same primitive. One table, in comparisons.cc; the driver (main.cc) only runs it.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "baseline/bare.h"
#include "bench/api/cell.h"

namespace baseline {

struct Comparison {
  std::string what;  // "pipe ping-pong 64 B, fork, p50"
  std::string unit;  // "µs", "ns", "GB/s"
  bool higher_is_better = false;

  // The versus cell: one worker count, one value per parameter (canonical spelling, as
  // results.csv writes it); the placement is added by the driver.
  std::string scenario, runner;
  int workers = 1;
  std::vector<std::pair<std::string, std::string>> set;
  // The figure of one ok row, in `unit`.
  std::function<double(const versus::Record&)> versus_figure;

  // What the placement binds, as versus plans it: units and the ends per pair.
  int units = 1, group = 1;
  // One bare measurement on these CPUs (one per unit), in `unit`.
  std::function<double(const Cpus&)> bare;
};

// Every comparison, with its work multiplied by `scale` (1: the figures quoted in the README;
// tests use a small fraction). Throws std::invalid_argument for a scale not above 0.
std::vector<Comparison> comparisons(double scale);

}  // namespace baseline
