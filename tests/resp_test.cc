// RESP2: the client's reply parser under every byte boundary, its errors, and requests encoded
// by the client and parsed by the server's request parser.
#include <gtest/gtest.h>

#include <random>

#include "scenarios/redis/request_parser.h"
#include "scenarios/redis/resp.h"
#include "tests/redis_test_client.h"

namespace versus::redis {
namespace {

using namespace std::string_literals;

struct Sample {
  std::string wire;
  RespValue value;
};

std::vector<Sample> samples() {
  return {
      {"+OK\r\n", simple("OK")},
      {"+\r\n", simple("")},
      {"-ERR unknown command 'FOO'\r\n", error("ERR unknown command 'FOO'")},
      {":0\r\n", integer(0)},
      {":-42\r\n", integer(-42)},
      {":9223372036854775807\r\n", integer(INT64_MAX)},
      {":-9223372036854775808\r\n", integer(INT64_MIN)},
      {"$5\r\nhello\r\n", bulk("hello")},
      {"$0\r\n\r\n", bulk("")},
      {"$12\r\nwith\r\nCRLF\0!\r\n"s, bulk(std::string("with\r\nCRLF\0!", 12))},
      {"$-1\r\n", nil()},
      {"*0\r\n", array({})},
      {"*-1\r\n", nil_array()},
      {"*3\r\n:1\r\n$3\r\nabc\r\n*2\r\n+x\r\n$-1\r\n", array({integer(1), bulk("abc"), array({simple("x"), nil()})})},
      {"*2\r\n*1\r\n*0\r\n*-1\r\n", array({array({array({})}), nil_array()})},
      {"*2\r\n$1\r\n0\r\n*3\r\n$2\r\nk1\r\n$2\r\nk2\r\n$0\r\n\r\n",
       array({bulk("0"), array({bulk("k1"), bulk("k2"), bulk("")})})},
  };
}

// Feeds `pieces` in order and returns every complete reply.
std::vector<RespValue> parse_pieces(RespParser& parser, const std::vector<std::string_view>& pieces) {
  std::vector<RespValue> out;
  for (std::string_view piece : pieces) {
    while (!piece.empty()) {
      piece.remove_prefix(parser.feed(piece));
      if (parser.ready()) out.push_back(parser.value());
    }
  }
  return out;
}

std::vector<RespValue> parse_split(std::string_view wire, size_t at) {
  RespParser parser;
  return parse_pieces(parser, {wire.substr(0, at), wire.substr(at)});
}

std::vector<RespValue> parse_bytewise(std::string_view wire) {
  std::vector<std::string_view> pieces;
  for (size_t i = 0; i < wire.size(); ++i) pieces.push_back(wire.substr(i, 1));
  RespParser parser;
  return parse_pieces(parser, pieces);
}

TEST(RespParser, EveryTypeWholeSplitAtEveryPointAndByteByByte) {
  for (const auto& s : samples()) {
    const std::vector<RespValue> want{s.value};
    for (size_t at = 0; at <= s.wire.size(); ++at) {
      EXPECT_EQ(parse_split(s.wire, at), want) << describe(s.value) << " split at " << at;
    }
    EXPECT_EQ(parse_bytewise(s.wire), want) << describe(s.value);
  }
}

TEST(RespParser, PipelineOfMixedRepliesGivesTheSameValuesWhateverTheBoundaries) {
  std::string wire;
  std::vector<RespValue> want;
  for (const auto& s : samples()) {
    wire += s.wire;
    want.push_back(s.value);
  }
  for (size_t at = 0; at <= wire.size(); ++at) ASSERT_EQ(parse_split(wire, at), want) << "split at " << at;
  EXPECT_EQ(parse_bytewise(wire), want);

  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::string_view> pieces;
    for (size_t i = 0; i < wire.size();) {
      const size_t n = std::uniform_int_distribution<size_t>(1, 9)(rng);
      pieces.push_back(std::string_view(wire).substr(i, n));
      i += n;
    }
    RespParser parser;
    ASSERT_EQ(parse_pieces(parser, pieces), want) << "round " << round;
  }
}

TEST(RespParser, FeedStopsAfterEachReplyAndReusesItsBuffers) {
  RespParser parser;
  const std::string two = "*2\r\n$3\r\nabc\r\n:1\r\n*1\r\n:5\r\n";
  size_t used = parser.feed(two);
  ASSERT_TRUE(parser.ready());
  EXPECT_EQ(used, 17u);
  EXPECT_EQ(parser.value(), array({bulk("abc"), integer(1)}));
  used += parser.feed(std::string_view(two).substr(used));
  ASSERT_TRUE(parser.ready());
  EXPECT_EQ(used, two.size());
  // Nothing of the longer reply before it is left in the shorter one.
  EXPECT_EQ(parser.value(), array({integer(5)}));

  EXPECT_EQ(parser.feed("+OK\r\n"), 5u);
  EXPECT_EQ(parser.take(), simple("OK"));
  EXPECT_FALSE(parser.ready());
  EXPECT_EQ(parser.feed("$2\r\nhi\r\n"), 8u);
  EXPECT_EQ(parser.value(), bulk("hi"));
}

// A parser that rescanned what it already holds would take hours here (its ctest timeout fails it).
TEST(RespParser, LargeValuesTricklingInByteByByte) {
  std::string wire;
  encode_value(wire, bulk(std::string(1 << 20, 'v')));
  encode_value(wire, simple(std::string(60000, 's')));
  RespParser parser;
  std::vector<RespValue> got;
  for (const char ch : wire) {
    EXPECT_EQ(parser.feed(std::string_view(&ch, 1)), 1u);
    if (parser.ready()) got.push_back(parser.take());
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].str.size(), size_t{1} << 20);
  EXPECT_EQ(got[1], simple(std::string(60000, 's')));
}

TEST(RespParser, MalformedInputIsRejectedWithAMessageNamingTheFault) {
  RespLimits small;
  small.max_bulk = 100;
  small.max_elements = 10;
  small.max_depth = 3;
  small.max_line = 16;
  const struct {
    std::string wire;
    std::string says;
  } cases[] = {
      {"?x\r\n", "unknown reply type '?'"},
      {"\r\n", "unknown reply type byte 0x0d"},
      {"$abc\r\n", "invalid bulk length: unexpected 'a'"},
      {"*1x\r\n", "invalid array length: unexpected 'x'"},
      {":12a\r\n", "invalid integer: unexpected 'a'"},
      {":\r\n", "invalid integer: unexpected byte 0x0d"},
      {"$\r\n", "invalid bulk length"},
      {":--1\r\n", "invalid integer: unexpected '-'"},
      {":99999999999999999999\r\n", "integer out of range"},
      {":9223372036854775808\r\n", "integer out of range"},
      {"$5\r\nhelloXY", "not followed by CRLF: got 'X'"},
      {"$5\r\nhello\rX", "not followed by CRLF: got 'X'"},
      {"+OK\rX", "expected LF after CR, got 'X'"},
      {"+OK\n", "LF without CR"},
      {":1\r\r", "expected LF after CR, got byte 0x0d"},
      {"$-2\r\n", "negative bulk length -2"},
      {"*-5\r\n", "negative array length -5"},
      {"$101\r\n", "bulk length 101 over the limit of 100"},
      {"*11\r\n", "array length 11 over the limit of 10"},
      {"*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", "arrays nested deeper than 3"},
      {"+0123456789abcdefg\r\n", "longer than 16 bytes"},
  };
  for (const auto& c : cases) {
    for (const bool bytewise : {false, true}) {
      RespParser parser(small);
      std::string message;
      try {
        if (bytewise) {
          for (const char ch : c.wire) parser.feed(std::string_view(&ch, 1));
        } else {
          parser.feed(c.wire);
        }
      } catch (const RespError& e) {
        message = e.what();
      }
      EXPECT_NE(message.find(c.says), std::string::npos) << c.wire << " gave: '" << message << "'";
      EXPECT_TRUE(message.starts_with("RESP: ")) << message;
      // The error stays until reset().
      EXPECT_THROW(parser.feed("+OK\r\n"), RespError);
      parser.reset();
      EXPECT_EQ(parser.feed("+OK\r\n"), 5u);
      EXPECT_EQ(parser.value(), simple("OK"));
    }
  }
}

TEST(RespParser, DefaultLimitsAreRedisOwn) {
  RespParser parser;
  EXPECT_THROW(parser.feed("$536870913\r\n"), RespError);
  parser.reset();
  EXPECT_EQ(parser.feed("$536870912\r\n"), 12u);  // accepted; the payload would follow
  parser.reset();
  EXPECT_THROW(parser.feed("*1048577\r\n"), RespError);
  parser.reset();
  std::string deep;
  for (int i = 0; i < 32; ++i) deep += "*1\r\n";
  EXPECT_EQ(parser.feed(deep + ":1\r\n"), deep.size() + 4);
  EXPECT_TRUE(parser.ready());
  parser.reset();
  EXPECT_THROW(parser.feed("*1\r\n" + deep), RespError);
}

TEST(RespEncode, RepliesRoundTripThroughTheParser) {
  for (const auto& s : samples()) {
    std::string wire;
    encode_value(wire, s.value);
    EXPECT_EQ(wire, s.wire);
  }
  std::string wire;
  append_error(wire, "ERR two\r\nlines");
  EXPECT_EQ(wire, "-ERR two  lines\r\n");
}

// Parses `wire` with the server's parser, fed in `pieces`; returns the requests' arguments.
std::vector<std::vector<std::string>> parse_requests(std::string_view wire, size_t piece) {
  RequestParser parser;
  std::string buffer;  // grows as a connection's input does, dropped from the front per request
  std::vector<std::vector<std::string>> out;
  for (size_t i = 0; i < wire.size(); i += piece) {
    buffer += wire.substr(i, piece);
    for (;;) {
      const auto status = parser.parse(buffer);
      if (status == RequestParser::Status::kIncomplete) break;
      if (status == RequestParser::Status::kProtocolError) throw std::runtime_error(parser.error());
      out.emplace_back(parser.args().begin(), parser.args().end());
      buffer.erase(0, parser.consumed());
      parser.next();
    }
  }
  return out;
}

TEST(RespEncode, CommandsRoundTripThroughTheServerParserWhateverTheBoundaries) {
  const std::vector<std::string> strings{"SET", "key:1", std::string("bin\0\r\n*$", 8), ""};
  const std::vector<std::string_view> views{"GET", "key:1"};
  std::string wire;
  encode_command(wire, {"PING"});
  encode_command(wire, std::span<const std::string>(strings));
  encode_command(wire, std::span<const std::string_view>(views));
  wire += "PING hello  world\r\nDBSIZE\n\r\n*0\r\n";
  EXPECT_TRUE(wire.starts_with("*1\r\n$4\r\nPING\r\n*4\r\n$3\r\nSET\r\n$5\r\nkey:1\r\n$8\r\nbin"));

  const std::vector<std::vector<std::string>> want{
      {"PING"}, strings, {"GET", "key:1"}, {"PING", "hello", "world"}, {"DBSIZE"}, {}, {}};
  for (size_t piece = 1; piece <= wire.size(); ++piece) {
    ASSERT_EQ(parse_requests(wire, piece), want) << "pieces of " << piece;
  }
}

TEST(RequestParser, FramingErrorsAreWordedAsRedisWordsThem) {
  RequestLimits limits;
  limits.max_bulk = 100;
  limits.max_args = 10;
  limits.max_inline = 64;
  const struct {
    std::string wire;
    std::string error;
  } cases[] = {
      {"*x\r\n", "Protocol error: invalid multibulk length"},
      {"*11\r\n", "Protocol error: invalid multibulk length"},
      {"*1\r\nGET\r\n", "Protocol error: expected '$', got 'G'"},
      {"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$101\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$1x\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$3\r\nGETXX", "Protocol error: expected CRLF after bulk string"},
      {"*1\rX", "Protocol error: expected LF after CR"},
      {"*" + std::string(70, '1'), "Protocol error: too big mbulk count string"},
      {"*1\r\n$" + std::string(70, '1'), "Protocol error: too big bulk count string"},
      {std::string(70, 'a'), "Protocol error: too big inline request"},
  };
  for (const auto& c : cases) {
    for (const size_t piece : {c.wire.size(), size_t{1}}) {
      RequestParser parser(limits);
      std::string buffer;
      RequestParser::Status status = RequestParser::Status::kIncomplete;
      for (size_t i = 0; i < c.wire.size() && status == RequestParser::Status::kIncomplete; i += piece) {
        buffer += c.wire.substr(i, piece);
        status = parser.parse(buffer);
      }
      EXPECT_EQ(status, RequestParser::Status::kProtocolError) << c.wire;
      EXPECT_EQ(parser.error(), c.error) << c.wire;
    }
  }
}

TEST(RequestParser, Integers) {
  int64_t v = 1;
  EXPECT_TRUE(parse_int64("0", v) && v == 0);
  EXPECT_TRUE(parse_int64("-9223372036854775808", v) && v == INT64_MIN);
  EXPECT_TRUE(parse_int64("9223372036854775807", v) && v == INT64_MAX);
  for (const char* bad :
       {"", "-", "-0", "01", "+1", " 1", "1 ", "9223372036854775808", "1e3", "99999999999999999999"}) {
    EXPECT_FALSE(parse_int64(bad, v)) << bad;
  }
}

}  // namespace
}  // namespace versus::redis
