#include "scenarios/redis/workload_shape.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "bench/api/params.h"

namespace versus::redis {
namespace {

bool whole_number(std::string_view text, uint64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

// log1p(x) / x and expm1(x) / x, which stay exact as x nears 0 (s near 1).
double log1p_over(double x) { return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x)); }
double expm1_over(double x) { return std::abs(x) > 1e-8 ? std::expm1(x) / x : 1 + x * 0.5 * (1 + x / 3 * (1 + 0.25 * x)); }

uint64_t spread(uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

KeyChoice parse_key_dist(std::string_view text) {
  if (text == "uniform") return {};
  if (text == "sequential") return {KeyDist::kSequential, 0};
  if (text.starts_with("zipf:")) {
    const std::string_view s = text.substr(5);
    double exponent = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), exponent);
    if (!s.empty() && ec == std::errc() && end == s.data() + s.size() && std::isfinite(exponent) && exponent > 0 &&
        exponent <= 10) {
      return {KeyDist::kZipf, exponent};
    }
    throw UsageError(fmt::format("'{}': the Zipf exponent must be a number above 0 and at most 10", text));
  }
  throw UsageError(fmt::format("'{}' is no key distribution", text));
}

SetGetRatio parse_ratio(std::string_view text) {
  const size_t colon = text.find(':');
  SetGetRatio r;
  if (colon == std::string_view::npos || !whole_number(text.substr(0, colon), r.sets) ||
      !whole_number(text.substr(colon + 1), r.gets) || r.sets + r.gets == 0 || r.sets > 1000000 ||
      r.gets > 1000000) {
    throw UsageError(fmt::format("'{}' is no SET:GET ratio of two whole numbers up to 1000000, not both 0", text));
  }
  return r;
}

size_t ValueSizes::of(uint64_t value_number) const {
  return size_t(min + (max == min ? 0 : spread(value_number ^ 0x5a5a5a5a) % (max - min + 1)));
}

ValueSizes parse_value_size(std::string_view text) {
  ValueSizes v;
  const size_t dash = text.find('-');
  try {
    v.min = uint64_t(parse_size(text.substr(0, dash)));
    v.max = dash == std::string_view::npos ? v.min : uint64_t(parse_size(text.substr(dash + 1)));
  } catch (const UsageError&) {
    throw UsageError(fmt::format("'{}' is no size (say 32, 4K) or MIN-MAX range of sizes", text));
  }
  if (v.min < kMinValueSize || v.max > kMaxValueSize || v.min > v.max) {
    throw UsageError(fmt::format("'{}': sizes from {} B to {} B, MIN no larger than MAX", text, kMinValueSize,
                                 format_size(kMaxValueSize)));
  }
  return v;
}

// H(x) = (x^(1-s) - 1) / (1 - s), the integral of the density up to x (log x when s = 1); the
// draws come from the area between H(1.5) - 1 and H(n + 0.5), mapped back through H^-1 and
// rounded to a rank, and accepted unless they fall in the sliver where the step function of
// the ranks and the density differ.
ZipfRanks::ZipfRanks(uint64_t n, double s) : n_(n), s_(s) {
  area_first_ = area(1.5) - 1;
  area_last_ = area(double(n) + 0.5);
  squeeze_ = 2 - area_inverse(area(2.5) - density(2));
}

double ZipfRanks::area(double x) const {
  const double log_x = std::log(x);
  return expm1_over((1 - s_) * log_x) * log_x;
}

double ZipfRanks::area_inverse(double y) const {
  const double t = std::max(y * (1 - s_), -1.0);
  return std::exp(log1p_over(t) * y);
}

uint64_t ZipfRanks::draw(std::mt19937_64& rng) const {
  std::uniform_real_distribution<double> unit(0, 1);
  for (;;) {
    const double y = area_last_ + unit(rng) * (area_first_ - area_last_);
    const double x = area_inverse(y);
    const uint64_t k = std::clamp<uint64_t>(uint64_t(std::max(x + 0.5, 1.0)), 1, n_);
    if (double(k) - x <= squeeze_ || y >= area(double(k) + 0.5) - density(double(k))) return k;
  }
}

}  // namespace versus::redis
