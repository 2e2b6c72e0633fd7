// The server's side of RESP: requests, as clients send them. A request is an array of bulk
// strings ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") or, as real Redis also accepts, an inline command:
// one line of words separated by spaces or tabs ("PING\r\n"; no quoting).
//
// The parser works on the connection's input buffer, which only grows at its end until a request
// is complete. It remembers how far it got, so bytes arriving one at a time are not rescanned,
// and it keeps arguments as offsets so the buffer may move when it grows.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace versus::redis {

struct RequestLimits {
  int64_t max_bulk = int64_t{64} << 20;  // Redis allows 512 MiB; a benchmark needs far less
  int64_t max_args = int64_t{1} << 20;   // Redis's limit too
  size_t max_inline = 64 << 10;          // an inline command, or a "*N" / "$N" header line
};

class RequestParser {
 public:
  enum class Status {
    kIncomplete,     // needs more bytes: call again when `in` has grown
    kRequest,        // args() holds the request (maybe none: an empty line or "*0")
    kProtocolError,  // error() says what; the connection cannot be resynchronised
  };

  explicit RequestParser(const RequestLimits& limits = {}) : limits_(limits) {}

  // Parses the request at the front of `in`. `in` must hold the same bytes as at the previous
  // call, plus maybe more at the end, until kRequest; then the caller drops consumed() bytes
  // from its front and calls next().
  Status parse(std::string_view in);
  // After kRequest: views into the `in` of that call.
  const std::vector<std::string_view>& args() const { return args_; }
  size_t consumed() const { return pos_; }
  // Ready for the next request.
  void next();
  // After kProtocolError: "Protocol error: invalid bulk length", as Redis words it.
  const std::string& error() const { return error_; }

 private:
  Status parse_inline(std::string_view in);
  Status parse_multibulk(std::string_view in);
  // Finds the end of the header line starting at pos_: the CR's index, or npos when the line is
  // incomplete (then scan_ remembers how far it looked).
  size_t find_line_end(std::string_view in);
  Status fail(std::string message);

  RequestLimits limits_;
  enum class Kind : uint8_t { kUnknown, kInline, kMultibulk } kind_ = Kind::kUnknown;
  size_t pos_ = 0;                                // where parsing resumes; after kRequest, the request's length
  size_t scan_ = 0;                               // where the search for the header's CR resumes
  int64_t args_left_ = -1;                        // -1 until the "*N" header is read
  int64_t bulk_len_ = -1;                         // -1 until the "$N" header of the next argument is read
  std::vector<std::pair<size_t, size_t>> spans_;  // offset and length of each argument read
  std::vector<std::string_view> args_;
  std::string error_;
};

// Redis's string2ll: an optional '-', digits without leading zeros, no overflow.
bool parse_int64(std::string_view s, int64_t& out);

}  // namespace versus::redis
