#include <gtest/gtest.h>

#include "bench/api/params.h"

namespace versus {
namespace {

TEST(ParseSize, UnitsArePowersOf1024) {
  EXPECT_EQ(parse_size("4096"), 4096);
  EXPECT_EQ(parse_size("64B"), 64);
  EXPECT_EQ(parse_size("64K"), 64 * 1024);
  EXPECT_EQ(parse_size("1MiB"), 1 << 20);
  EXPECT_EQ(parse_size("2g"), int64_t{2} << 30);
  EXPECT_THROW(parse_size("1T"), UsageError);
  EXPECT_THROW(parse_size("K"), UsageError);
  EXPECT_THROW(parse_size(""), UsageError);
}

TEST(ParseInteger, RejectsTrailingText) {
  EXPECT_EQ(parse_integer("-12", "x"), -12);
  EXPECT_THROW(parse_integer("12a", "x"), UsageError);
  EXPECT_THROW(parse_integer("", "x"), UsageError);
}

TEST(ParamSpec, ValidateNamesValueAndWhatIsAccepted) {
  const ParamSpec kernel = choice_param("kernel", {"primes", "membw"}, "");
  EXPECT_EQ(kernel.validate("membw"), "");
  EXPECT_EQ(kernel.validate("fft"), "parameter 'kernel': 'fft' is not accepted; accepted: one of primes, membw");
  const ParamSpec count = int_param("count", 10, 1, 1000, "");
  EXPECT_EQ(count.validate("1000"), "");
  EXPECT_EQ(count.validate("0"), "parameter 'count': '0' is not accepted; accepted: an integer from 1 to 1000");
  EXPECT_NE(count.validate("ten"), "");
  const ParamSpec size = size_param("msg_size", 64, 64, 1 << 20, "");
  EXPECT_EQ(size.validate("1M"), "");
  EXPECT_EQ(size.validate("2M"), "parameter 'msg_size': '2M' is not accepted; accepted: a size from 64 B to 1 MiB");
  EXPECT_EQ(size.canonical("1K"), "1024");
}

TEST(Params, CanonicalIsSortedAndRoundTrips) {
  Params p;
  p.set("split", "static");
  p.set("count", "5");
  p.set("kernel", "primes");
  EXPECT_EQ(p.canonical(), "count=5;kernel=primes;split=static");
  EXPECT_EQ(Params::parse_canonical(p.canonical()), p);
  EXPECT_EQ(p.integer("count"), 5);
  EXPECT_THROW(Params::parse_canonical("a=1;b"), UsageError);
}

}  // namespace
}  // namespace versus
