// The redis scenario's request stream shapes (scenarios/redis/workload_shape.h): the Zipf draw
// gives the most frequent keys the share the law gives them, a SET:GET ratio mixes exactly that
// many SETs, value ranges stay in range and are the same for one value every time, and bad
// values are refused naming what is wrong.
#include <gtest/gtest.h>

#include <cmath>

#include "bench/api/params.h"
#include "scenarios/redis/workload_shape.h"

namespace versus::redis {
namespace {

double harmonic(uint64_t n, double s) {
  double sum = 0;
  for (uint64_t k = 1; k <= n; ++k) sum += 1 / std::pow(double(k), s);
  return sum;
}

TEST(ZipfRanks, TheTopOnePercentOfKeysGetsTheLawsShare) {
  for (double s : {0.99, 1.0, 1.5}) {
    const uint64_t keys = 10000, draws = 1000000;
    ZipfRanks zipf(keys, s);
    std::mt19937_64 rng(7);
    uint64_t top = 0, first = 0;
    for (uint64_t i = 0; i < draws; ++i) {
      const uint64_t rank = zipf.draw(rng);
      ASSERT_GE(rank, 1u);
      ASSERT_LE(rank, keys);
      top += rank <= keys / 100;
      first += rank == 1;
    }
    const double law = harmonic(keys / 100, s) / harmonic(keys, s);
    EXPECT_NEAR(double(top) / draws, law, 0.1 * law) << "s=" << s;
    const double law_first = 1 / harmonic(keys, s);
    EXPECT_NEAR(double(first) / draws, law_first, 0.1 * law_first) << "s=" << s;
  }
}

TEST(SetGetRatio, OneToTenMixesOneSetPerTenGets) {
  const SetGetRatio r = parse_ratio("1:10");
  uint64_t sets = 0;
  const uint64_t requests = 110000;
  for (uint64_t j = 0; j < requests; ++j) sets += r.is_set(j);
  EXPECT_EQ(sets * 10, requests - sets);
  EXPECT_FALSE(parse_ratio("0:1").is_set(0));
  EXPECT_TRUE(parse_ratio("1:0").is_set(5));
}

TEST(ValueSizes, ARangeStaysInItAndIsTheSameForOneValue) {
  const ValueSizes v = parse_value_size("16-4K");
  EXPECT_EQ(v.min, 16u);
  EXPECT_EQ(v.max, 4096u);
  size_t smallest = SIZE_MAX, largest = 0;
  for (uint64_t i = 0; i < 10000; ++i) {
    ASSERT_EQ(v.of(i), v.of(i));
    smallest = std::min(smallest, v.of(i));
    largest = std::max(largest, v.of(i));
  }
  EXPECT_GE(smallest, 16u);
  EXPECT_LE(largest, 4096u);
  EXPECT_LT(smallest, 100u) << "the range is not covered";
  EXPECT_GT(largest, 4000u) << "the range is not covered";
  EXPECT_EQ(parse_value_size("64").of(3), 64u);
}

TEST(WorkloadShape, BadValuesAreRefusedSayingWhy) {
  EXPECT_THROW(parse_key_dist("zipf:abc"), UsageError);
  EXPECT_THROW(parse_key_dist("zipf:0"), UsageError);
  EXPECT_THROW(parse_key_dist("gauss"), UsageError);
  EXPECT_EQ(parse_key_dist("zipf:0.99").zipf_s, 0.99);
  EXPECT_THROW(parse_ratio("1:0:3"), UsageError);
  EXPECT_THROW(parse_ratio("0:0"), UsageError);
  EXPECT_THROW(parse_ratio("1"), UsageError);
  EXPECT_THROW(parse_value_size("64-16"), UsageError);
  EXPECT_THROW(parse_value_size("4"), UsageError);
  EXPECT_THROW(parse_value_size("2M"), UsageError);
  try {
    parse_ratio("1:0:3");
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("'1:0:3'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace versus::redis
