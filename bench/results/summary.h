// The table printed after a run: per cell, the median time, the speedup over serial with one
// worker, the parallel efficiency and the memory per worker.
#pragma once

#include "bench/harness/layer.h"

#include <cstdio>
#include <vector>

#include "bench/api/cell.h"
#include "bench/api/runner.h"

namespace versus {

void print_summary(const std::vector<Record>& records, const Catalog& catalog, std::FILE* out);

double median(std::vector<double> values);

}  // namespace versus
