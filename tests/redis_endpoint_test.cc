// The redis scenario's server parameter, parsed: each form, the password's sources, refusals.
#include <gtest/gtest.h>

#include "bench/api/params.h"
#include "scenarios/redis/endpoint.h"

namespace versus::redis {
namespace {

std::string refusal(std::string_view server, const char* auth_env = nullptr) {
  try {
    parse_redis_endpoint(server, auth_env);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(RedisEndpoint, EmbeddedAndHostPortCarryNoPassword) {
  EXPECT_TRUE(parse_redis_endpoint("embedded", "env").embedded);
  const RedisEndpoint e = parse_redis_endpoint("db.example:6380", "env");
  EXPECT_FALSE(e.embedded);
  EXPECT_EQ(e.where(), "db.example:6380");
  EXPECT_EQ(e.password, "") << "HOST:PORT never authenticates, REDISCLI_AUTH or not";
}

TEST(RedisEndpoint, UrlsGiveHostPortUserAndPassword) {
  RedisEndpoint e = parse_redis_endpoint("redis://db.example", nullptr);
  EXPECT_EQ(e.where(), "db.example:6379");
  EXPECT_EQ(e.user, "");
  EXPECT_EQ(e.password, "");
  e = parse_redis_endpoint("redis://:pw@127.0.0.1:7000", nullptr);
  EXPECT_EQ(e.where(), "127.0.0.1:7000");
  EXPECT_EQ(e.user, "");
  EXPECT_EQ(e.password, "pw");
  // The password runs from the first ':' to the last '@'; %XX escapes are decoded.
  e = parse_redis_endpoint("redis://alice:a:b@c%3Bd%2c@[::1]:7001", "env");
  EXPECT_EQ(e.user, "alice");
  EXPECT_EQ(e.password, "a:b@c;d,");
  EXPECT_EQ(e.host, "::1");
  EXPECT_EQ(e.where(), "[::1]:7001");
}

TEST(RedisEndpoint, AUrlWithoutPasswordTakesREDISCLI_AUTH) {
  EXPECT_EQ(parse_redis_endpoint("redis://h", "from-env").password, "from-env");
  const RedisEndpoint alice = parse_redis_endpoint("redis://alice@h", "alice-pw");
  EXPECT_EQ(alice.user, "alice");
  EXPECT_EQ(alice.password, "alice-pw");
  EXPECT_EQ(parse_redis_endpoint("redis://:in-url@h", "from-env").password, "in-url");
  EXPECT_NE(refusal("redis://alice@h").find("the user 'alice' without a password, and REDISCLI_AUTH"),
            std::string::npos)
      << refusal("redis://alice@h");
  EXPECT_NE(refusal("redis://alice@h", "").find("is empty"), std::string::npos);
}

TEST(RedisEndpoint, RefusalsSayWhatIsWrong) {
  EXPECT_EQ(refusal("rediss://h"), "rediss:// is Redis over TLS: TLS is not built into versus");
  EXPECT_EQ(refusal("redis://h:65536"), "the port of a redis:// URL must be a number from 1 to 65535");
  EXPECT_EQ(refusal("redis://h:"), "the port of a redis:// URL must be a number from 1 to 65535");
  EXPECT_EQ(refusal("redis://:pw@"), "a redis:// URL has no host");
  EXPECT_EQ(refusal("redis://h/1").rfind("a redis:// URL with a path", 0), 0u);
  EXPECT_EQ(refusal("redis://:a;b@h").rfind("the password in a redis:// URL holds ';'", 0), 0u);
  EXPECT_EQ(refusal("redis://:a%4@h"), "the password in a redis:// URL has a '%' not followed by two hex digits");
  EXPECT_EQ(refusal("redis://[::1"), "a redis:// URL's '[' before an IPv6 address has no ']'");
  EXPECT_EQ(refusal("tcp://h:1"), "the only URL scheme accepted is redis://");
  EXPECT_EQ(refusal("pw@h:1"), "a user or password needs a redis:// URL");
  EXPECT_EQ(refusal("h"), "the value is not embedded, HOST:PORT (a port from 1 to 65535) or a redis:// URL");
}

}  // namespace
}  // namespace versus::redis
