// The redis scenario's open loop and request shapes under each runner that drives conversations (ctest:
// redis_open_loop.<runner>): the offered rate is kept rather than run flat out, a send is timed
// from its due time so a stalling server's stall shows in the open loop's latency and not in the
// closed loop's, a rate the cell cannot keep says "saturated", and a real redis-server started
// here takes an open loop too. Bounds are generous: the machine is shared.
#include <gtest/gtest.h>

#include <string>

#include "tests/real_redis.h"
#include "tests/redis_cells.h"

namespace versus {
namespace {

class RedisOpenLoopTest : public RedisCellTest {
 protected:
  // An open-loop row whose every reply was checked, at `rate` offered in all.
  static void expect_open_loop_row(const Record& r, double rate, uint64_t requests) {
    ASSERT_EQ(r.status, Status::kOk) << r.message;
    EXPECT_EQ(r.ops.value(), requests);
    EXPECT_EQ(r.result.value(), requests) << "every reply is still checked";
    EXPECT_EQ(r.offered_per_s.value(), rate);
    ASSERT_TRUE(r.late_p99_us.has_value());
    EXPECT_GE(r.late_p99_us.value(), 0.0);
  }
};

// 600 requests at 1500/s take 0.4 s on schedule; flat out a loopback server answers them in a
// few milliseconds. So a loop that ignored the schedule fails the lower bound of wall_s.
TEST_P(RedisOpenLoopTest, KeepsTheOfferedRate) {
  for (const char* arrival : {"constant", "poisson"}) {
    const Record r = run(4, {{"op", "get"},
                             {"keys", "100"},
                             {"requests", "600"},
                             {"rate", "1500"},
                             {"arrival", arrival},
                             {"loop_threads", "2"}});
    expect_open_loop_row(r, 1500, 600);
    // Poisson gaps of 4 connections x 150 requests make the schedule itself some 10% longer or
    // shorter than the mean, and a busy machine (a sanitizer build beside other tests) delays
    // the last sends: a wide band below, the offered schedule's own length above.
    EXPECT_GT(r.wall_s.value(), 0.3) << arrival << ": sent faster than offered";
    EXPECT_GT(r.ops_per_s.value(), 1500 * 0.4) << arrival << ": " << r.message;
    EXPECT_LT(r.ops_per_s.value(), 1500 * 1.3) << arrival;
  }
}

// The embedded server stops 100 ms in every 200. Open loop: requests keep falling due during a
// stall, about half of them, and wait it out, so the p99 counts most of a stall. Closed loop:
// each connection has one request caught per stall, far fewer than 1% of them.
TEST_P(RedisOpenLoopTest, AStallShowsInTheOpenLoopAndHidesInTheClosedOne) {
  const std::map<std::string, std::string> stalling = {
      {"op", "get"}, {"keys", "100"}, {"stall_ms", "100"}, {"stall_every_ms", "200"}, {"loop_threads", "1"}};
  auto with = [&](std::map<std::string, std::string> more) {
    more.insert(stalling.begin(), stalling.end());
    return more;
  };
  const Record open = run(2, with({{"requests", "400"}, {"rate", "500"}}));
  expect_open_loop_row(open, 500, 400);
  EXPECT_GE(open.lat_p99_us.value(), 50e3) << "the stall did not show in the open loop";

  const Record closed = run(2, with({{"requests", "4000"}}));
  ASSERT_EQ(closed.status, Status::kOk) << closed.message;
  EXPECT_FALSE(closed.offered_per_s.has_value());
  EXPECT_FALSE(closed.late_p99_us.has_value());
  EXPECT_LT(closed.lat_p99_us.value(), 100e3) << "the closed loop's p99 counted the stall";
}

// A rate far past what any loopback client keeps: the row stays ok and says so.
TEST_P(RedisOpenLoopTest, ARateTheCellCannotKeepIsSaidToSaturate) {
  const Record r = run(2, {{"op", "set"}, {"requests", "2000"}, {"rate", "50000000"}, {"loop_threads", "1"}});
  expect_open_loop_row(r, 50000000, 2000);
  EXPECT_NE(r.message.find("saturated"), std::string::npos) << r.message;
  EXPECT_GT(r.late_p99_us.value(), 0.0) << "a sender that fell behind must show how late it was";
}

// The request stream's shapes, each reply still checked: SETs among the GETs write a loaded
// key's own value, so a GET after one still knows its answer, whatever the value's size.
TEST_P(RedisOpenLoopTest, ShapedRequestsAreAnsweredRight) {
  for (const char* keys : {"zipf:0.99", "sequential", "uniform"}) {
    const Record r = run(3, {{"op", "get"},
                             {"keys", "300"},
                             {"requests", "1100"},
                             {"key_dist", keys},
                             {"ratio", "1:10"},
                             {"value_size", "8-3000"},
                             {"loop_threads", "2"}});
    ASSERT_EQ(r.status, Status::kOk) << keys << ": " << r.message;
    EXPECT_EQ(r.result.value(), 1100u) << keys;
  }
}

TEST_P(RedisOpenLoopTest, ARealRedisTakesAnOpenLoop) {
  RealRedis redis;
  VERSUS_REQUIRE_REAL_REDIS(redis);
  const Record r = run(3, {{"op", "mixed"}, {"requests", "600"}, {"rate", "2000"}, {"server", redis.endpoint()}});
  expect_open_loop_row(r, 2000, 600);
  EXPECT_GT(r.wall_s.value(), 0.2) << "sent faster than offered";
}

INSTANTIATE_TEST_SUITE_P(Each, RedisOpenLoopTest,
                         ::testing::ValuesIn(runners_and_variants_driving(all_runners(), kConversationShape)),
                         VariantTestName());

}  // namespace
}  // namespace versus
