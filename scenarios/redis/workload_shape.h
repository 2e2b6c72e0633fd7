// The shape of the redis scenario's request stream, as memtier_benchmark and redis-benchmark
// users know it: which loaded key a request asks (key_dist), how many SETs go with the GETs
// (ratio), and how big each value is (value_size). Parsed once, for validation and for the run.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace versus::redis {

enum class KeyDist { kUniform, kZipf, kSequential };

struct KeyChoice {
  KeyDist dist = KeyDist::kUniform;
  double zipf_s = 0;  // zipf:S, the exponent, above 0
};
// uniform, sequential or zipf:S; throws UsageError saying what is wrong.
KeyChoice parse_key_dist(std::string_view text);

// SET:GET, say 1:10: in every SET + GET requests, the first SET are SETs. 0:1 reads only.
struct SetGetRatio {
  uint64_t sets = 0;
  uint64_t gets = 1;
  bool is_set(uint64_t request) const { return request % (sets + gets) < sets; }
};
SetGetRatio parse_ratio(std::string_view text);

// A fixed size, or MIN-MAX: each value's size drawn from the range by its number, so it is the
// same whenever that value is written or checked.
struct ValueSizes {
  uint64_t min = 32;
  uint64_t max = 32;
  size_t of(uint64_t value_number) const;
};
ValueSizes parse_value_size(std::string_view text);
inline constexpr uint64_t kMinValueSize = 8, kMaxValueSize = 1 << 20;

// Ranks 1..n drawn with probability proportional to 1 / rank^s, in constant time per draw
// (rejection-inversion, Hörmann and Derflinger 1996): no table of n entries per connection.
class ZipfRanks {
 public:
  ZipfRanks(uint64_t n, double s);
  uint64_t draw(std::mt19937_64& rng) const;

 private:
  double area(double x) const;          // the integral of 1/t^s from 1 to x, shifted: H(x)
  double area_inverse(double y) const;  // H^-1
  double density(double x) const { return std::exp(-s_ * std::log(x)); }

  uint64_t n_;
  double s_;
  double area_first_, area_last_, squeeze_;
};

}  // namespace versus::redis
