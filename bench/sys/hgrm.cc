#include "bench/sys/hgrm.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <vector>

#include <fmt/format.h>

namespace versus {
namespace {

constexpr int kTicksPerHalfDistance = 5;
// The quantiles results.csv has columns for, as set_latency asks them (99.9 / 100 is not 0.999).
constexpr double kColumnQuantiles[] = {0.5, 0.9, 0.99, 0.999};

// The quantiles of HdrHistogram's reporting levels, up to the one whose rank reaches the last
// value, and the columns'. Each step of a level is 20 / 2^k percent: exact in binary, so the
// levels sum without drift.
std::vector<double> quantiles_for(const LatencyHistogram& h) {
  std::vector<double> levels;
  for (double level = 0;;) {
    levels.push_back(level / 100);
    if (std::ceil(level / 100 * double(h.count())) >= double(h.count()) || level >= 100) break;
    const int halvings = int(std::floor(std::log2(100 / (100 - level))));
    level += 100.0 / (kTicksPerHalfDistance * std::ldexp(1.0, halvings + 1));
  }
  levels.insert(levels.end(), std::begin(kColumnQuantiles), std::end(kColumnQuantiles));
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  return levels;
}

}  // namespace

std::string hgrm_text(const LatencyHistogram& ns) {
  std::string out = fmt::format("{:>12} {:>14} {:>10} {:>14}\n\n", "Value", "Percentile", "TotalCount",
                                "1/(1-Percentile)");
  auto us = [](double v) { return v / 1e3; };
  if (ns.count() > 0) {
    for (double q : quantiles_for(ns)) {
      const uint64_t rank = std::max<uint64_t>(1, uint64_t(std::ceil(q * double(ns.count()))));
      fmt::format_to(std::back_inserter(out), "{:12.3f} {:2.12f} {:10d} {:14.2f}\n", us(double(ns.quantile(q))), q,
                     std::min(rank, ns.count()), 1 / (1 - q));
    }
    // The last line, as HdrHistogram writes it: the maximum at 100%, with no 1/(1-P).
    fmt::format_to(std::back_inserter(out), "{:12.3f} {:2.12f} {:10d}\n", us(double(ns.max())), 1.0, ns.count());
  }
  fmt::format_to(std::back_inserter(out), "#[Mean    = {:12.3f}, StdDeviation   = {:12.3f}]\n", us(ns.mean()),
                 us(ns.stddev()));
  fmt::format_to(std::back_inserter(out), "#[Max     = {:12.3f}, Total count    = {:12d}]\n", us(double(ns.max())),
                 ns.count());
  fmt::format_to(std::back_inserter(out), "#[Buckets = {:12d}, SubBuckets     = {:12d}]\n",
                 64 - LatencyHistogram::kSubBits + 1, 1 << LatencyHistogram::kSubBits);
  return out;
}

}  // namespace versus
