// The rank statistics behind `versus compare`, against values worked by hand and textbook tables.
#include <gtest/gtest.h>

#include <cmath>

#include "bench/compare/stats.h"

namespace versus {
namespace {

TEST(Stats, MedianOfOddAndEvenSamples) {
  EXPECT_EQ(median({3, 1, 2}), 2);
  EXPECT_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_EQ(median({7}), 7);
}

TEST(Stats, InterquartileRange) {
  EXPECT_EQ(interquartile_range({1, 2, 3, 4, 5}), 2);  // quartiles 2 and 4
  EXPECT_EQ(interquartile_range({4, 1, 3, 2}), 1.5);   // 1.75 and 3.25
  EXPECT_EQ(interquartile_range({9}), 0);
}

TEST(Stats, NullDistributionOfThreeAgainstThree) {
  // The 20 orderings of two samples of three give U = 0..9 with counts 1 1 2 3 3 3 3 2 1 1.
  const int counts[] = {1, 1, 2, 3, 3, 3, 3, 2, 1, 1};
  int below = 0;
  for (int u = 0; u <= 9; ++u) {
    below += counts[u];
    EXPECT_NEAR(mann_whitney_cdf(3, 3, u), below / 20.0, 1e-12) << "U <= " << u;
  }
  EXPECT_EQ(mann_whitney_cdf(3, 3, -1), 0);
}

TEST(Stats, CriticalValuesMatchTheTable) {
  // Two-sided 0.05 critical values of U (reject when U <= c): 8 for 7 and 7, 23 for 10 and 10,
  // 2 for 5 and 5.
  struct Case {
    int n, m, c;
  } cases[] = {{7, 7, 8}, {10, 10, 23}, {5, 5, 2}, {6, 8, 8}};
  for (const auto& k : cases) {
    EXPECT_LE(mann_whitney_cdf(k.n, k.m, k.c), 0.025) << k.n << " vs " << k.m;
    EXPECT_GT(mann_whitney_cdf(k.n, k.m, k.c + 1), 0.025) << k.n << " vs " << k.m;
  }
}

TEST(Stats, SmallestPossiblePValue) {
  EXPECT_NEAR(smallest_p_value(5, 5), 2.0 / 252, 1e-12);  // 0.0079: 5 vs 5 can reach 0.05
  EXPECT_NEAR(smallest_p_value(3, 3), 0.1, 1e-12);        // 3 vs 3 never can
  EXPECT_NEAR(smallest_p_value(1, 9), 0.2, 1e-12);
  EXPECT_EQ(smallest_p_value(0, 4), 1);
}

TEST(Stats, ExactTestOnSeparatedAndInterleavedSamples) {
  const MannWhitney apart = mann_whitney({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
  EXPECT_TRUE(apart.exact);
  EXPECT_EQ(apart.u, 25);
  EXPECT_NEAR(apart.p_value, 2.0 / 252, 1e-12);

  // y = {2, 4, 6} beats x = {1, 3, 5} in 6 of 9 pairs; P(U >= 6) = P(U <= 3) = 7/20.
  const MannWhitney mixed = mann_whitney({1, 3, 5}, {2, 4, 6});
  EXPECT_EQ(mixed.u, 6);
  EXPECT_NEAR(mixed.p_value, 0.7, 1e-12);
  // The test is symmetric: swapping the samples gives U' = nm - U and the same p.
  const MannWhitney swapped = mann_whitney({2, 4, 6}, {1, 3, 5});
  EXPECT_EQ(swapped.u, 3);
  EXPECT_NEAR(swapped.p_value, 0.7, 1e-12);
}

TEST(Stats, NormalApproximationWithTies) {
  // x = {1, 1, 2, 2}, y = {2, 2, 3, 3}: U = 14, mean 8; tie groups of 2, 4 and 2 give
  // variance 16/12 * (9 - 72/56) = 10.2857; z = (14 - 8 - 0.5) / 3.2071 = 1.7149; p = 0.08636.
  const MannWhitney r = mann_whitney({1, 1, 2, 2}, {2, 2, 3, 3});
  EXPECT_FALSE(r.exact);
  EXPECT_EQ(r.u, 14);
  EXPECT_NEAR(r.p_value, 0.08636, 1e-4);
  EXPECT_EQ(mann_whitney({5, 5, 5}, {5, 5, 5}).p_value, 1) << "all equal: no evidence";
}

TEST(Stats, ShiftIntervalFromOrderStatistics) {
  // y = x + 10 with x = 0..6: the 49 differences run 4..16, triangular around 10. For 7 vs 7 at
  // alpha 0.05 the interval is the 9th smallest to the 9th largest: [7, 13].
  std::vector<double> x, y;
  for (int i = 0; i < 7; ++i) {
    x.push_back(i);
    y.push_back(i + 10);
  }
  const auto s = shift_interval(x, y, 0.05);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->estimate, 10);
  EXPECT_EQ(s->low, 7);
  EXPECT_EQ(s->high, 13);
}

TEST(Stats, NoIntervalWhenTheSamplesAreTooSmall) {
  EXPECT_FALSE(shift_interval({1, 2, 3}, {4, 5, 6}, 0.05)) << "3 vs 3 cannot reach 95%";
  const auto wide = shift_interval({1, 2, 3}, {4, 5, 6}, 0.10);  // P(U <= 0) = 0.05 = alpha/2
  ASSERT_TRUE(wide);
  EXPECT_EQ(wide->low, 1);
  EXPECT_EQ(wide->high, 5);
}

TEST(Stats, LargeSamplesUseTheNormalInterval) {
  // 40 vs 40, y = x + 100: every interval contains the true shift and excludes zero.
  std::vector<double> x, y;
  for (int i = 0; i < 40; ++i) {
    x.push_back(std::sin(i) * 10);
    y.push_back(std::sin(i * 7) * 10 + 100);
  }
  const auto s = shift_interval(x, y, 0.05);
  ASSERT_TRUE(s);
  EXPECT_LT(s->low, 100);
  EXPECT_GT(s->high, 100);
  EXPECT_GT(s->low, 80);
  EXPECT_LT(mann_whitney(x, y).p_value, 1e-10);
}

}  // namespace
}  // namespace versus
