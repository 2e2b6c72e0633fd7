// A latency histogram as HdrHistogram writes its percentile distribution (the .hgrm text its
// plotters and other tools read): a header, one line per percentile level, and a footer with the
// mean, standard deviation, maximum and count. Values are written in microseconds.
#pragma once

#include <string>

#include "bench/sys/histogram.h"

namespace versus {

// The levels are HdrHistogram's (5 ticks per halving of the distance to 100%), plus the
// quantiles of the lat_* columns (0.5, 0.9, 0.99, 0.999), so each column's value is a line of the
// file. `ns` holds nanoseconds.
std::string hgrm_text(const LatencyHistogram& ns);

}  // namespace versus
