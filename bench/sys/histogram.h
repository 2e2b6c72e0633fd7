// A latency histogram in the HdrHistogram manner: log-linear buckets, exact below 256 ns, and
// above that 128 buckets per power of two, so any recorded value is reported within 1/128
// (0.8%) of itself. Fixed in size and trivially copyable: one per worker can live in a shared
// mapping, and histograms merge by adding their counts.
#pragma once

#include <array>
#include <cstdint>

namespace versus {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 8;  // 2^8 = 256 linear values, then 128 buckets per doubling
  static constexpr int kBuckets = (64 - kSubBits + 1) * (1 << (kSubBits - 1)) + (1 << (kSubBits - 1));

  void record(uint64_t value);
  void merge(const LatencyHistogram& other);
  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  // The value at quantile q in [0, 1] (0.5: median, 0.999: p99.9): the midpoint of the bucket
  // holding the ceil(q * count)-th smallest value, clamped to [min, max]; the smallest and the
  // largest value exactly. 0 when empty.
  uint64_t quantile(double q) const;
  // Mean and standard deviation, each value taken as its bucket's midpoint. 0 when empty.
  double mean() const;
  double stddev() const;

  // Bucket arithmetic, exposed for tests.
  static int bucket_of(uint64_t value);
  static uint64_t bucket_low(int bucket);
  static uint64_t bucket_width(int bucket);

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace versus
