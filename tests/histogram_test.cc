#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "bench/sys/histogram.h"

namespace versus {
namespace {

TEST(LatencyHistogram, BucketsTileTheRangeWithoutGaps) {
  uint64_t next = 0;
  for (int b = 0; b < LatencyHistogram::kBuckets; ++b) {
    ASSERT_EQ(LatencyHistogram::bucket_low(b), next) << "bucket " << b;
    next += LatencyHistogram::bucket_width(b);
    if (next == 0) break;  // wrapped past 2^64: the last bucket ends the range
  }
  for (uint64_t v : {uint64_t{0}, uint64_t{255}, uint64_t{256}, uint64_t{1000}, uint64_t{123456789}, UINT64_MAX}) {
    const int b = LatencyHistogram::bucket_of(v);
    EXPECT_LE(LatencyHistogram::bucket_low(b), v);
    EXPECT_LT(v - LatencyHistogram::bucket_low(b), LatencyHistogram::bucket_width(b));
  }
}

TEST(LatencyHistogram, RelativeErrorUnderOnePercent) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t v = rng() >> (rng() % 60);
    LatencyHistogram h;
    h.record(v);
    h.record(v);
    const double got = double(h.quantile(0.5));
    EXPECT_LE(std::abs(got - double(v)), 0.01 * double(v) + 0.5) << v;
  }
}

TEST(LatencyHistogram, QuantilesOfAKnownDistribution) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 10000; ++v) h.record(v * 1000);  // 1 us .. 10 ms, uniform
  EXPECT_EQ(h.count(), 10000u);
  EXPECT_NEAR(double(h.quantile(0.5)), 5000e3, 5000e3 * 0.01);
  EXPECT_NEAR(double(h.quantile(0.9)), 9000e3, 9000e3 * 0.01);
  EXPECT_NEAR(double(h.quantile(0.99)), 9900e3, 9900e3 * 0.01);
  EXPECT_NEAR(double(h.quantile(0.999)), 9990e3, 9990e3 * 0.01);
  EXPECT_EQ(h.quantile(0), h.min());
  EXPECT_EQ(h.quantile(1), 10000000u);
  EXPECT_EQ(h.min(), 1000u);
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(11);
  LatencyHistogram a, b, all;
  for (int i = 0; i < 20000; ++i) {
    const uint64_t v = rng() % 5000000;
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  for (double q : {0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0}) EXPECT_EQ(a.quantile(q), all.quantile(q)) << q;
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
}

TEST(LatencyHistogram, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.quantile(0.5), 0u);
  EXPECT_EQ(h.min(), 0u);
}

}  // namespace
}  // namespace versus
