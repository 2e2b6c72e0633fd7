// tests/real_redis.h, the helper the real-Redis tests start their server with.
#include <gtest/gtest.h>

#include <string>

#include "real_redis.h"

namespace versus {
namespace {

// The test's own helper: a server already answering on the port it tries first (another test's,
// under ctest -j) is not taken for the one it started; it starts again elsewhere.
TEST(RealRedisHelper, AServerAlreadyOnThePortIsNotTakenForItsOwn) {
  RealRedis first;
  VERSUS_REQUIRE_REAL_REDIS(first);
  RealRedis second("", {}, first.port());
  VERSUS_REQUIRE_REAL_REDIS(second);
  EXPECT_NE(second.port(), first.port());
  EXPECT_NE(second.pid(), first.pid());
  const std::string info = second.client().command({"INFO", "server"}).str;
  EXPECT_NE(info.find("\nprocess_id:" + std::to_string(second.pid()) + "\r"), std::string::npos) << info;
}

}  // namespace
}  // namespace versus
