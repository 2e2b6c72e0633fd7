#include "scenarios/redis/request_parser.h"

#include <algorithm>

#include <fmt/format.h>

namespace versus::redis {

bool parse_int64(std::string_view s, int64_t& out) {
  if (s == "0") {
    out = 0;
    return true;
  }
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  if (s.empty() || s.size() > 19 || s[0] < '1' || s[0] > '9') return false;
  uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + uint64_t(c - '0');  // 19 digits cannot wrap a uint64_t
  }
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (v > limit) return false;
  out = negative ? int64_t(0 - v) : int64_t(v);
  return true;
}

RequestParser::Status RequestParser::parse(std::string_view in) {
  if (kind_ == Kind::kUnknown) {
    if (in.empty()) return Status::kIncomplete;
    kind_ = in[0] == '*' ? Kind::kMultibulk : Kind::kInline;
  }
  return kind_ == Kind::kInline ? parse_inline(in) : parse_multibulk(in);
}

void RequestParser::next() {
  kind_ = Kind::kUnknown;
  pos_ = scan_ = 0;
  args_left_ = bulk_len_ = -1;
  spans_.clear();
  args_.clear();
}

RequestParser::Status RequestParser::parse_inline(std::string_view in) {
  const size_t nl = in.find('\n', scan_);
  if (nl == std::string_view::npos) {
    scan_ = in.size();
    if (in.size() > limits_.max_inline) return fail("Protocol error: too big inline request");
    return Status::kIncomplete;
  }
  std::string_view line = in.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  args_.clear();
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) args_.push_back(line.substr(start, i - start));
  }
  pos_ = nl + 1;
  return Status::kRequest;
}

size_t RequestParser::find_line_end(std::string_view in) {
  const size_t cr = in.find('\r', std::max(scan_, pos_));
  if (cr == std::string_view::npos) scan_ = in.size();
  return cr;
}

RequestParser::Status RequestParser::parse_multibulk(std::string_view in) {
  if (args_left_ < 0) {
    const size_t cr = find_line_end(in);
    if (cr == std::string_view::npos) {
      if (in.size() > limits_.max_inline) return fail("Protocol error: too big mbulk count string");
      return Status::kIncomplete;
    }
    if (cr + 1 >= in.size()) return Status::kIncomplete;
    if (in[cr + 1] != '\n') return fail("Protocol error: expected LF after CR");
    int64_t n = 0;
    if (!parse_int64(in.substr(1, cr - 1), n) || n > limits_.max_args) {
      return fail("Protocol error: invalid multibulk length");
    }
    pos_ = scan_ = cr + 2;
    if (n <= 0) {  // "*0" and "*-1" are requests with nothing to do, as in Redis
      args_.clear();
      return Status::kRequest;
    }
    args_left_ = n;
  }

  while (args_left_ > 0) {
    if (bulk_len_ < 0) {
      if (pos_ >= in.size()) return Status::kIncomplete;
      if (in[pos_] != '$') return fail(fmt::format("Protocol error: expected '$', got '{}'", in[pos_]));
      const size_t cr = find_line_end(in);
      if (cr == std::string_view::npos) {
        if (in.size() - pos_ > limits_.max_inline) return fail("Protocol error: too big bulk count string");
        return Status::kIncomplete;
      }
      if (cr + 1 >= in.size()) return Status::kIncomplete;
      if (in[cr + 1] != '\n') return fail("Protocol error: expected LF after CR");
      int64_t n = 0;
      if (!parse_int64(in.substr(pos_ + 1, cr - pos_ - 1), n) || n < 0 || n > limits_.max_bulk) {
        return fail("Protocol error: invalid bulk length");
      }
      pos_ = scan_ = cr + 2;
      bulk_len_ = n;
    }
    const size_t len = size_t(bulk_len_);
    if (in.size() - pos_ < len + 2) return Status::kIncomplete;
    if (in[pos_ + len] != '\r' || in[pos_ + len + 1] != '\n') {
      return fail("Protocol error: expected CRLF after bulk string");
    }
    spans_.emplace_back(pos_, len);
    pos_ = scan_ = pos_ + len + 2;
    bulk_len_ = -1;
    --args_left_;
  }

  args_.clear();
  for (const auto& [offset, len] : spans_) args_.push_back(in.substr(offset, len));
  return Status::kRequest;
}

RequestParser::Status RequestParser::fail(std::string message) {
  error_ = std::move(message);
  return Status::kProtocolError;
}

}  // namespace versus::redis
