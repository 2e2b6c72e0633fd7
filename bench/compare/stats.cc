#include "bench/compare/stats.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace versus {

namespace {

constexpr int kExactLimit = 30;

// How many of the C(n+m, n) orderings of two tie-free samples give each value of U: the
// coefficients of the Gaussian binomial [n+m choose n]_q, built up as the product over i = 1..n of
// (1 - q^(m+i)) / (1 - q^i). Every partial product is itself a polynomial, so each division is
// exact, and the counts stay positive.
std::vector<long double> u_counts(int n, int m) {
  std::vector<long double> poly(static_cast<size_t>(n) * m + 1, 0.0L);
  poly[0] = 1;
  size_t degree = 0;
  for (int i = 1; i <= n; ++i) {
    const size_t up = static_cast<size_t>(m) + i;
    degree += m;
    for (size_t k = degree; k >= up; --k) {  // times (1 - q^(m+i))
      poly[k] -= poly[k - up];
      if (k == up) break;
    }
    for (size_t k = i; k <= degree; ++k) poly[k] += poly[k - i];  // divided by (1 - q^i)
  }
  return poly;
}

double normal_upper_tail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

// z with P(Z > z) = tail, by bisection: accurate enough for any alpha a user gives.
double normal_quantile_upper(double tail) {
  double lo = -40, hi = 40;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (normal_upper_tail(mid) > tail ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

}  // namespace

double median(std::vector<double> values) {
  const size_t n = values.size();
  if (n == 0) return 0;
  std::nth_element(values.begin(), values.begin() + n / 2, values.end());
  const double upper = values[n / 2];
  if (n % 2) return upper;
  return (upper + *std::max_element(values.begin(), values.begin() + n / 2)) / 2;
}

double interquartile_range(std::vector<double> values) {
  if (values.size() < 2) return 0;
  std::sort(values.begin(), values.end());
  auto quantile = [&](double q) {
    const double at = q * (values.size() - 1);
    const size_t below = static_cast<size_t>(at);
    const double frac = at - below;
    return below + 1 < values.size() ? values[below] * (1 - frac) + values[below + 1] * frac : values[below];
  };
  return quantile(0.75) - quantile(0.25);
}

double mann_whitney_cdf(int n, int m, int u) {
  if (u < 0) return 0;
  const auto counts = u_counts(n, m);
  long double total = 0, below = 0;
  for (size_t k = 0; k < counts.size(); ++k) {
    total += counts[k];
    if (static_cast<int>(k) <= u) below += counts[k];
  }
  return static_cast<double>(below / total);
}

double smallest_p_value(int n, int m) {
  if (n == 0 || m == 0) return 1;
  // 2 / C(n+m, n), computed as a product to stay in range.
  double inverse = 1;
  for (int i = 1; i <= n; ++i) inverse *= static_cast<double>(i) / (m + i);
  return std::min(1.0, 2 * inverse);
}

MannWhitney mann_whitney(const std::vector<double>& x, const std::vector<double>& y) {
  const int n = static_cast<int>(x.size()), m = static_cast<int>(y.size());
  MannWhitney r;
  if (n == 0 || m == 0) return r;
  for (double a : x) {
    for (double b : y) r.u += b > a ? 1.0 : b == a ? 0.5 : 0.0;
  }
  std::map<double, int> tie_groups;
  for (double v : x) ++tie_groups[v];
  for (double v : y) ++tie_groups[v];
  const bool ties = tie_groups.size() < static_cast<size_t>(n + m);
  const double mean = double(n) * m / 2;
  if (!ties && n <= kExactLimit && m <= kExactLimit) {
    r.exact = true;
    const int u = static_cast<int>(r.u);
    const double lower = mann_whitney_cdf(n, m, u);
    const double upper = 1 - mann_whitney_cdf(n, m, u - 1);
    r.p_value = std::min(1.0, 2 * std::min(lower, upper));
    return r;
  }
  const double total = n + m;
  double tie_term = 0;
  for (const auto& [value, count] : tie_groups) tie_term += double(count) * count * count - count;
  const double variance = double(n) * m / 12 * ((total + 1) - tie_term / (total * (total - 1)));
  if (variance <= 0) return r;  // every value equal: no evidence either way
  const double distance = std::max(0.0, std::abs(r.u - mean) - 0.5);
  r.p_value = std::min(1.0, 2 * normal_upper_tail(distance / std::sqrt(variance)));
  return r;
}

std::optional<ShiftInterval> shift_interval(const std::vector<double>& x, const std::vector<double>& y, double alpha) {
  const int n = static_cast<int>(x.size()), m = static_cast<int>(y.size());
  if (n == 0 || m == 0) return std::nullopt;
  std::vector<double> d;
  d.reserve(static_cast<size_t>(n) * m);
  for (double a : x) {
    for (double b : y) d.push_back(b - a);
  }
  std::sort(d.begin(), d.end());
  const int total = n * m;
  // The interval is [d_(k), d_(total+1-k)] (1-based) with the largest k such that
  // P(U <= k-1) <= alpha/2: its coverage is then at least 1 - alpha.
  int k = 0;
  if (n <= kExactLimit && m <= kExactLimit) {
    const auto counts = u_counts(n, m);
    long double all = 0;
    for (auto c : counts) all += c;
    long double below = 0;
    for (int j = 0; j < total; ++j) {
      below += counts[j];
      if (below / all > alpha / 2) break;
      k = j + 1;
    }
  } else {
    const double sigma = std::sqrt(double(n) * m * (n + m + 1) / 12);
    k = static_cast<int>(std::floor(total / 2.0 - normal_quantile_upper(alpha / 2) * sigma + 0.5));
  }
  if (k < 1) return std::nullopt;
  ShiftInterval s;
  s.estimate = median(d);
  s.low = d[k - 1];
  s.high = d[total - k];
  return s;
}

}  // namespace versus
