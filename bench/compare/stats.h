// Rank statistics for comparing two samples of repetitions: the Mann-Whitney U test and the
// distribution-free confidence interval of the shift between them (Hodges-Lehmann / Moses), as
// `versus compare` uses them. Nothing here assumes normal timings: repetitions are skewed (a
// slow outlier is common, a fast one is not) and few.
#pragma once

#include "bench/harness/layer.h"

#include <optional>
#include <vector>

namespace versus {

double median(std::vector<double> values);  // 0 for an empty sample
// Upper minus lower quartile (linear interpolation between order statistics); 0 below 2 values.
double interquartile_range(std::vector<double> values);

struct MannWhitney {
  double u = 0;        // pairs (x, y) with y > x, ties counting one half
  double p_value = 1;  // two-sided
  bool exact = false;  // from the exact null distribution, not the normal approximation
};
// Compares `y` against `x`. Exact distribution when neither sample has more than 30 values and
// there are no ties; otherwise the normal approximation with tie and continuity corrections.
MannWhitney mann_whitney(const std::vector<double>& x, const std::vector<double>& y);

// The smallest two-sided p-value any data can give with samples of n and m values (all of one
// above all of the other): when it exceeds alpha, the test can never reject.
double smallest_p_value(int n, int m);

// P(U <= u) under the null hypothesis for samples of n and m values without ties.
double mann_whitney_cdf(int n, int m, int u);

struct ShiftInterval {
  double estimate = 0;  // Hodges-Lehmann: the median of every difference y_j - x_i
  double low = 0, high = 0;
};
// The (1 - alpha) confidence interval of the shift d in "y is distributed as x + d", bounded by
// order statistics of the n*m differences y_j - x_i chosen from the U distribution (so it excludes
// zero exactly when the two-sided test rejects at alpha). nullopt when the samples are too small
// for any interval at that level.
std::optional<ShiftInterval> shift_interval(const std::vector<double>& x, const std::vector<double>& y, double alpha);

}  // namespace versus
