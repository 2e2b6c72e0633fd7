#include "bench/sys/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "bench/sys/hot_path.h"

namespace versus {

namespace {
constexpr uint64_t kLinear = uint64_t{1} << LatencyHistogram::kSubBits;  // 256
constexpr uint64_t kHalf = kLinear / 2;                                  // 128
}  // namespace

// Values below 256 have a bucket each. A larger value with its top bit at position b is shifted
// right by b - 7, which leaves a number in [128, 256): 128 buckets for that power of two.
VERSUS_HOT int LatencyHistogram::bucket_of(uint64_t value) {
  if (value < kLinear) return static_cast<int>(value);
  const int top = 63 - std::countl_zero(value);
  const int shift = top - (kSubBits - 1);
  return static_cast<int>(uint64_t(shift) * kHalf + (value >> shift));
}

uint64_t LatencyHistogram::bucket_low(int bucket) {
  const uint64_t b = uint64_t(bucket);
  if (b < kLinear) return b;
  const uint64_t shift = b / kHalf - 1;
  const uint64_t mantissa = b - shift * kHalf;  // in [128, 256)
  return mantissa << shift;
}

uint64_t LatencyHistogram::bucket_width(int bucket) {
  const uint64_t b = uint64_t(bucket);
  return b < kLinear ? 1 : uint64_t{1} << (b / kHalf - 1);
}

VERSUS_HOT void LatencyHistogram::record(uint64_t value) {
  ++counts_[bucket_of(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

uint64_t LatencyHistogram::quantile(double q) const {
  if (count_ == 0) return 0;
  const uint64_t rank = std::max<uint64_t>(1, uint64_t(std::ceil(std::clamp(q, 0.0, 1.0) * double(count_))));
  if (rank <= 1) return min();
  if (rank >= count_) return max_;  // the extremes are known exactly
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const uint64_t mid = bucket_low(i) + (bucket_width(i) - 1) / 2;
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

namespace {
double midpoint(int bucket) {
  return double(LatencyHistogram::bucket_low(bucket)) + double(LatencyHistogram::bucket_width(bucket) - 1) / 2;
}
}  // namespace

double LatencyHistogram::mean() const {
  if (count_ == 0) return 0;
  double sum = 0;
  for (int i = 0; i < kBuckets; ++i) sum += double(counts_[i]) * midpoint(i);
  return sum / double(count_);
}

double LatencyHistogram::stddev() const {
  if (count_ == 0) return 0;
  const double m = mean();
  double sum = 0;
  for (int i = 0; i < kBuckets; ++i) sum += double(counts_[i]) * (midpoint(i) - m) * (midpoint(i) - m);
  return std::sqrt(sum / double(count_));
}

}  // namespace versus
