// The embedded Redis server's commands, through a socket as clients see them: Redis's exact
// replies and errors, expiry, SCAN's cursor, framing errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "scenarios/redis/server.h"
#include "tests/redis_test_client.h"

namespace versus::redis {
namespace {

using namespace std::chrono_literals;

class RedisServerTest : public ::testing::Test {
 protected:
  void SetUp() override { server_.start({}); }
  EmbeddedServer server_;
};

TEST_F(RedisServerTest, PingGetSetDelAndTheirErrors) {
  TestClient c(server_.port());
  EXPECT_EQ(c.call({"PING"}), simple("PONG"));
  EXPECT_EQ(c.call({"ping", "hello"}), bulk("hello"));
  EXPECT_EQ(c.call({"PING", "a", "b"}), error("ERR wrong number of arguments for 'ping' command"));

  EXPECT_EQ(c.call({"GET", "k"}), nil());
  EXPECT_EQ(c.call({"SET", "k", "v"}), kOk);
  EXPECT_EQ(c.call({"get", "k"}), bulk("v"));
  EXPECT_EQ(c.call({"SeT", "k", std::string(1000, 'x')}), kOk);
  EXPECT_EQ(c.call({"GET", "k"}), bulk(std::string(1000, 'x')));
  EXPECT_EQ(c.call({"SET", "empty", ""}), kOk);
  EXPECT_EQ(c.call({"GET", "empty"}), bulk(""));
  EXPECT_EQ(c.call({"SET", "k", "1", "NX"}), nil());
  EXPECT_EQ(c.call({"SET", "new", "1", "XX"}), nil());
  EXPECT_EQ(c.call({"SET", "new", "1", "NX"}), kOk);

  EXPECT_EQ(c.call({"DEL", "k"}), integer(1));
  EXPECT_EQ(c.call({"DEL", "k"}), integer(0));
  for (const char* k : {"a", "b", "c"}) EXPECT_EQ(c.call({"SET", k, k}), kOk);
  EXPECT_EQ(c.call({"DEL", "a", "b", "c", "d", "a"}), integer(3));

  EXPECT_EQ(c.call({"GET"}), error("ERR wrong number of arguments for 'get' command"));
  EXPECT_EQ(c.call({"GET", "a", "b"}), error("ERR wrong number of arguments for 'get' command"));
  EXPECT_EQ(c.call({"SET", "k"}), error("ERR wrong number of arguments for 'set' command"));
  EXPECT_EQ(c.call({"DEL"}), error("ERR wrong number of arguments for 'del' command"));
  EXPECT_EQ(c.call({"SET", "k", "v", "BOGUS"}), error("ERR syntax error"));
  EXPECT_EQ(c.call({"SET", "k", "v", "EX"}), error("ERR syntax error"));
  EXPECT_EQ(c.call({"SET", "k", "v", "EX", "ten"}), error("ERR value is not an integer or out of range"));
  EXPECT_EQ(c.call({"SET", "k", "v", "EX", "0"}), error("ERR invalid expire time in 'set' command"));
  EXPECT_EQ(c.call({"SET", "k", "v", "EX", "9223372036854775807"}), error("ERR invalid expire time in 'set' command"));
  EXPECT_EQ(c.call({"FOO", "a", "b"}), error("ERR unknown command 'FOO', with args beginning with: 'a' 'b' "));
  EXPECT_EQ(c.call({"FOO"}), error("ERR unknown command 'FOO', with args beginning with: "));
  EXPECT_EQ(c.call({"BAD\r\nNAME"}), error("ERR unknown command 'BAD  NAME', with args beginning with: "));
  EXPECT_EQ(c.call({"PING"}), simple("PONG"));  // still in step after every error
}

TEST_F(RedisServerTest, ExpiryTtlAndExpire) {
  TestClient c(server_.port());
  EXPECT_EQ(c.call({"TTL", "missing"}), integer(-2));
  EXPECT_EQ(c.call({"SET", "forever", "v"}), kOk);
  EXPECT_EQ(c.call({"TTL", "forever"}), integer(-1));

  EXPECT_EQ(c.call({"SET", "k", "v", "EX", "100"}), kOk);
  const int64_t ttl = c.call({"TTL", "k"}).integer;
  EXPECT_TRUE(ttl >= 99 && ttl <= 100) << ttl;
  EXPECT_EQ(c.call({"EXPIRE", "k", "50"}), integer(1));
  const int64_t ttl2 = c.call({"TTL", "k"}).integer;
  EXPECT_TRUE(ttl2 >= 49 && ttl2 <= 50) << ttl2;
  EXPECT_EQ(c.call({"SET", "k", "again"}), kOk);  // SET forgets the expiry
  EXPECT_EQ(c.call({"TTL", "k"}), integer(-1));
  EXPECT_EQ(c.call({"EXPIRE", "missing", "10"}), integer(0));
  EXPECT_EQ(c.call({"EXPIRE", "k", "soon"}), error("ERR value is not an integer or out of range"));
  EXPECT_EQ(c.call({"EXPIRE", "k"}), error("ERR wrong number of arguments for 'expire' command"));
  EXPECT_EQ(c.call({"EXPIRE", "k", "-1"}), integer(1));  // a time past deletes the key
  EXPECT_EQ(c.call({"GET", "k"}), nil());

  // 600 ms: still there three calls later on a machine that stalls a test for a while.
  EXPECT_EQ(c.call({"SET", "short", "v", "PX", "600"}), kOk);
  EXPECT_EQ(c.call({"SET", "short2", "v"}), kOk);
  EXPECT_EQ(c.call({"EXPIRE", "short2", "1"}), integer(1));
  EXPECT_EQ(c.call({"DBSIZE"}), integer(3));
  EXPECT_EQ(c.call({"GET", "short"}), bulk("v"));
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(c.call({"DBSIZE"}), integer(1));  // expired keys are not counted
  EXPECT_EQ(c.call({"GET", "short"}), nil());
  EXPECT_EQ(c.call({"TTL", "short2"}), integer(-2));
}

TEST_F(RedisServerTest, DbsizeFlushallAndInfo) {
  TestClient c(server_.port());
  EXPECT_EQ(c.call({"DBSIZE"}), integer(0));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(c.call({"SET", fmt::format("k{}", i), "v"}), kOk);
  EXPECT_EQ(c.call({"EXPIRE", "k0", "100"}), integer(1));
  EXPECT_EQ(c.call({"DBSIZE"}), integer(5));
  EXPECT_EQ(c.call({"DBSIZE", "x"}), error("ERR wrong number of arguments for 'dbsize' command"));

  const RespValue info = c.call({"INFO"});
  ASSERT_EQ(info.type, RespType::kBulk);
  EXPECT_TRUE(info.str.starts_with("# Server\r\nredis_version:")) << info.str;
  EXPECT_NE(info.str.find(fmt::format("\r\nprocess_id:{}\r\n", server_.pid())), std::string::npos) << info.str;
  EXPECT_NE(info.str.find(fmt::format("\r\ntcp_port:{}\r\n", server_.port())), std::string::npos);
  EXPECT_NE(info.str.find("\r\nconnected_clients:1\r\n"), std::string::npos) << info.str;
  EXPECT_NE(info.str.find("\r\nused_memory:"), std::string::npos);
  EXPECT_NE(info.str.find("\r\n# Keyspace\r\ndb0:keys=5,expires=1,avg_ttl=0\r\n"), std::string::npos) << info.str;

  EXPECT_EQ(c.call({"FLUSHALL"}), kOk);
  EXPECT_EQ(c.call({"DBSIZE"}), integer(0));
  EXPECT_EQ(c.call({"GET", "k1"}), nil());
  EXPECT_EQ(c.call({"INFO", "keyspace"}).str.find("db0:"), std::string::npos);
  EXPECT_EQ(c.call({"FLUSHALL", "SYNC"}), kOk);
  EXPECT_EQ(c.call({"FLUSHALL", "NOW"}), error("ERR syntax error"));
}

// Every key a full SCAN returns, checking each comes once.
std::multiset<std::string> full_scan(TestClient& c, std::initializer_list<std::string_view> options, int& calls) {
  std::multiset<std::string> seen;
  std::string cursor = "0";
  calls = 0;
  do {
    std::vector<std::string_view> args{"SCAN", cursor};
    args.insert(args.end(), options);
    std::string wire;
    encode_command(wire, std::span<const std::string_view>(args));
    c.send_raw(wire);
    const RespValue r = c.read_reply();
    if (r.type != RespType::kArray || r.elements.size() != 2) throw std::runtime_error("SCAN: " + describe(r));
    cursor = r.elements[0].str;
    for (const auto& k : r.elements[1].elements) seen.insert(k.str);
    ++calls;
  } while (cursor != "0" && calls < 100000);
  return seen;
}

TEST_F(RedisServerTest, ScanReturnsEveryKeyExactlyOnce) {
  TestClient c(server_.port());
  std::string wire;
  std::multiset<std::string> want, users;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = (i % 3 ? "user:" : "other:") + std::to_string(i);
    encode_command(wire, {"SET", key, "v"});
    want.insert(key);
    if (i % 3) users.insert(key);
  }
  c.send_raw(wire);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(c.read_reply(), kOk);

  int calls = 0;
  EXPECT_EQ(full_scan(c, {"COUNT", "7"}, calls), want);
  EXPECT_GE(calls, 1000 / 7);
  EXPECT_EQ(full_scan(c, {"MATCH", "user:*", "COUNT", "7"}, calls), users);
  EXPECT_EQ(full_scan(c, {}, calls), want);  // COUNT 10 by default
  EXPECT_EQ(full_scan(c, {"MATCH", "us?r:[1-2]*", "COUNT", "1000"}, calls).size(),
            size_t(std::count_if(users.begin(), users.end(),
                                 [](const std::string& k) { return k[5] == '1' || k[5] == '2'; })));

  // Deleting keys leaves free slots behind; those that stay are still seen once each.
  for (int i = 0; i < 1000; i += 2) {
    const std::string key = (i % 3 ? "user:" : "other:") + std::to_string(i);
    ASSERT_EQ(c.call({"DEL", key}), integer(1));
    want.erase(key);
  }
  EXPECT_EQ(full_scan(c, {"COUNT", "7"}, calls), want);

  EXPECT_EQ(c.call({"SCAN", "abc"}), error("ERR invalid cursor"));
  EXPECT_EQ(c.call({"SCAN", "18446744073709551616"}), error("ERR invalid cursor"));
  EXPECT_EQ(c.call({"SCAN", "-1"}), array({bulk("0"), array({})}));  // strtoul's wrap, as in Redis
  EXPECT_EQ(c.call({"SCAN", "0", "COUNT", "0"}), error("ERR syntax error"));
  EXPECT_EQ(c.call({"SCAN", "0", "COUNT", "x"}), error("ERR value is not an integer or out of range"));
  EXPECT_EQ(c.call({"SCAN", "0", "MATCH"}), error("ERR syntax error"));
  EXPECT_EQ(c.call({"SCAN", "99999999", "COUNT", "5"}), array({bulk("0"), array({})}));
  EXPECT_EQ(c.call({"FLUSHALL"}), kOk);
  EXPECT_EQ(c.call({"SCAN", "0"}), array({bulk("0"), array({})}));
}

TEST_F(RedisServerTest, QuitCommandConfigAndInlineCommands) {
  TestClient c(server_.port());
  EXPECT_EQ(c.call({"COMMAND"}), array({}));
  EXPECT_EQ(c.call({"COMMAND", "DOCS"}), array({}));
  EXPECT_EQ(c.call({"CONFIG", "GET", "save"}), array({bulk("save"), bulk("")}));
  EXPECT_EQ(c.call({"CONFIG", "GET", "appendonly"}), array({bulk("appendonly"), bulk("no")}));
  EXPECT_EQ(c.call({"CONFIG", "GET", "maxmemory"}), array({}));
  EXPECT_EQ(c.call({"CONFIG", "GET", "*"}).elements.size(), 4u);
  EXPECT_EQ(c.call({"CONFIG", "SET", "save", ""}), error("ERR unknown subcommand 'SET'. Try CONFIG HELP."));
  EXPECT_EQ(c.call({"CONFIG", "GET"}), error("ERR wrong number of arguments for 'config|get' command"));

  c.send_raw("PING\r\nSET a  b\r\nGET a\n\r\nping hi\r\n");
  EXPECT_EQ(c.read_reply(), simple("PONG"));
  EXPECT_EQ(c.read_reply(), kOk);
  EXPECT_EQ(c.read_reply(), bulk("b"));
  EXPECT_EQ(c.read_reply(), bulk("hi"));

  c.send_raw("QUIT\r\nPING\r\n");  // what follows QUIT is not answered
  EXPECT_EQ(c.read_reply(), kOk);
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(RedisServerTest, ProtocolErrorsAreAnsweredThenTheConnectionCloses) {
  const struct {
    std::string wire;
    std::string error;
  } cases[] = {
      {"*1\r\n$x\r\n", "ERR Protocol error: invalid bulk length"},
      {"*1\r\n$67108865\r\n", "ERR Protocol error: invalid bulk length"},  // over 64 MiB
      {"*abc\r\n", "ERR Protocol error: invalid multibulk length"},
      {"*1048577\r\n", "ERR Protocol error: invalid multibulk length"},
      {"*1\r\nPING\r\n", "ERR Protocol error: expected '$', got 'P'"},
      {std::string(70000, 'A'), "ERR Protocol error: too big inline request"},
  };
  for (const auto& k : cases) {
    TestClient c(server_.port());
    c.send_raw("PING\r\n" + k.wire);
    EXPECT_EQ(c.read_reply(), simple("PONG"));
    EXPECT_EQ(c.read_reply(), error(k.error)) << k.wire.substr(0, 20);
    EXPECT_TRUE(c.closed_by_server());
  }
  TestClient after(server_.port());
  EXPECT_EQ(after.call({"PING"}), simple("PONG"));
}

}  // namespace
}  // namespace versus::redis
