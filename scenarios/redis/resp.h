// RESP2, the Redis serialisation protocol, from the client's side: requests are arrays of bulk
// strings (encode_command), replies are any of the five RESP2 types, parsed incrementally by
// RespParser. The reply encoders (append_*) serve the embedded server and the tests.
//
// RespParser sits on a benchmark's hot path, so it never rescans: it is a byte-level state
// machine that consumes everything it is given (keeping partial lines and payloads in the value
// being built), and it reuses the strings and arrays of the previous reply for the next one.
// Whatever byte boundaries the data arrives in, the values are the same.
//
// Untrusted lengths are bounded (RespLimits): a bulk string over max_bulk, an array over
// max_elements, arrays nested deeper than max_depth, or a simple line over max_line are
// protocol errors, thrown as RespError with a message naming what was wrong.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace versus::redis {

enum class RespType : uint8_t {
  kSimple,    // +OK
  kError,     // -ERR message
  kInteger,   // :42
  kBulk,      // $5 hello
  kNil,       // $-1
  kArray,     // *2 ...
  kNilArray,  // *-1
};

struct RespValue {
  RespType type = RespType::kNil;
  int64_t integer = 0;              // kInteger
  std::string str;                  // kSimple, kError (without the '-'), kBulk
  std::vector<RespValue> elements;  // kArray

  bool operator==(const RespValue&) const = default;
};

// For test failures and logs: +OK, -ERR x, :1, "bulk", (nil), [a, b], (nil array).
std::string describe(const RespValue& v);

// Requests: appends one RESP array of bulk strings to `out`.
void encode_command(std::string& out, std::initializer_list<std::string_view> args);
void encode_command(std::string& out, std::span<const std::string_view> args);
void encode_command(std::string& out, std::span<const std::string> args);

// Replies. append_error takes the text after '-' ("ERR no such key"); CR and LF in it become
// spaces, since they would end the line.
void append_simple(std::string& out, std::string_view s);
void append_error(std::string& out, std::string_view s);
void append_integer(std::string& out, int64_t v);
void append_bulk(std::string& out, std::string_view s);
void append_nil(std::string& out);
void append_array_header(std::string& out, int64_t n);  // -1: the nil array
void encode_value(std::string& out, const RespValue& v);

struct RespLimits {
  int64_t max_bulk = int64_t{512} << 20;  // Redis's proto-max-bulk-len
  int64_t max_elements = int64_t{1} << 20;
  size_t max_depth = 32;       // arrays inside arrays
  size_t max_line = 64 << 10;  // a simple string or error
};

class RespError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RespParser {
 public:
  explicit RespParser(const RespLimits& limits = {});

  // Parses from `data` until one reply is complete or the data runs out, and returns how many
  // bytes it consumed: all of them, unless a reply completed before the end (the rest belongs to
  // the next reply: feed it again). Called when a reply is ready, it first drops that reply and
  // starts the next. Throws RespError on malformed input; from then on every feed throws the
  // same error until reset().
  size_t feed(std::string_view data);

  bool ready() const { return state_ == kDone; }
  // The complete reply; valid until the next feed() or reset().
  const RespValue& value() const;
  // Moves the complete reply out (its buffers are then not reused) and starts the next.
  RespValue take();
  // Forgets any partial reply and a previous error.
  void reset();

 private:
  enum State : uint8_t { kType, kText, kNumber, kLineFeed, kBulkData, kBulkCR, kBulkLF, kDone, kFailed };
  struct Frame {
    RespValue* array;
    size_t next;  // index of the element being parsed
  };

  void start_value(char type);
  void end_line();
  void end_value();
  [[noreturn]] void fail(std::string message);

  RespLimits limits_;
  State state_ = kType;
  char kind_ = 0;          // the type byte of the line being read
  bool negative_ = false;  // kNumber
  int digits_ = 0;
  uint64_t magnitude_ = 0;
  int64_t bulk_left_ = 0;  // kBulkData
  RespValue root_;
  RespValue* current_ = &root_;
  std::vector<Frame> stack_;  // open arrays, outermost first
  std::string error_;
};

}  // namespace versus::redis
