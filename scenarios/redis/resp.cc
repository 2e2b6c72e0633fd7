#include "scenarios/redis/resp.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace versus::redis {
namespace {

// "'x'" for a printable byte, "byte 0x0d" otherwise: an error message stays one readable line.
std::string name_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02x}", u);
}

const char* number_name(char kind) {
  switch (kind) {
    case '$': return "bulk length";
    case '*': return "array length";
    default: return "integer";
  }
}

void append_header(std::string& out, char type, int64_t n) {
  char buf[24];
  buf[0] = type;
  char* end = std::to_chars(buf + 1, buf + sizeof buf - 2, n).ptr;
  *end++ = '\r';
  *end++ = '\n';
  out.append(buf, size_t(end - buf));
}

template <typename Args>
void encode_args(std::string& out, const Args& args) {
  append_header(out, '*', int64_t(args.size()));
  for (const auto& a : args) append_bulk(out, a);
}

void describe_into(std::string& s, const RespValue& v) {
  switch (v.type) {
    case RespType::kSimple: s += '+' + v.str; break;
    case RespType::kError: s += '-' + v.str; break;
    case RespType::kInteger: s += ':' + std::to_string(v.integer); break;
    case RespType::kBulk: s += '"' + v.str + '"'; break;
    case RespType::kNil: s += "(nil)"; break;
    case RespType::kNilArray: s += "(nil array)"; break;
    case RespType::kArray:
      s += '[';
      for (size_t i = 0; i < v.elements.size(); ++i) {
        if (i) s += ", ";
        describe_into(s, v.elements[i]);
      }
      s += ']';
      break;
  }
}

}  // namespace

std::string describe(const RespValue& v) {
  std::string s;
  describe_into(s, v);
  return s;
}

void encode_command(std::string& out, std::initializer_list<std::string_view> args) { encode_args(out, args); }
void encode_command(std::string& out, std::span<const std::string_view> args) { encode_args(out, args); }
void encode_command(std::string& out, std::span<const std::string> args) { encode_args(out, args); }

void append_simple(std::string& out, std::string_view s) {
  out += '+';
  out += s;
  out += "\r\n";
}

void append_error(std::string& out, std::string_view s) {
  out += '-';
  const size_t at = out.size();
  out += s;
  std::replace_if(
      out.begin() + ptrdiff_t(at), out.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  out += "\r\n";
}

void append_integer(std::string& out, int64_t v) { append_header(out, ':', v); }

void append_bulk(std::string& out, std::string_view s) {
  append_header(out, '$', int64_t(s.size()));
  out += s;
  out += "\r\n";
}

void append_nil(std::string& out) { out += "$-1\r\n"; }

void append_array_header(std::string& out, int64_t n) { append_header(out, '*', n); }

void encode_value(std::string& out, const RespValue& v) {
  switch (v.type) {
    case RespType::kSimple: append_simple(out, v.str); break;
    case RespType::kError: append_error(out, v.str); break;
    case RespType::kInteger: append_integer(out, v.integer); break;
    case RespType::kBulk: append_bulk(out, v.str); break;
    case RespType::kNil: append_nil(out); break;
    case RespType::kNilArray: append_array_header(out, -1); break;
    case RespType::kArray:
      append_array_header(out, int64_t(v.elements.size()));
      for (const auto& e : v.elements) encode_value(out, e);
      break;
  }
}

RespParser::RespParser(const RespLimits& limits) : limits_(limits) {}

const RespValue& RespParser::value() const {
  if (state_ != kDone) throw std::logic_error("RespParser::value: no complete reply");
  return root_;
}

RespValue RespParser::take() {
  if (state_ != kDone) throw std::logic_error("RespParser::take: no complete reply");
  RespValue v = std::move(root_);
  root_ = RespValue{};
  state_ = kType;
  return v;
}

void RespParser::reset() {
  state_ = kType;
  current_ = &root_;
  stack_.clear();
  error_.clear();
}

size_t RespParser::feed(std::string_view data) {
  if (state_ == kFailed) throw RespError(error_);
  if (state_ == kDone) {
    state_ = kType;
    current_ = &root_;
  }
  const char* p = data.data();
  const char* const end = p + data.size();
  while (p < end) {
    switch (state_) {
      case kType: start_value(*p++); break;

      case kText: {
        // Up to the CR; a bare LF cannot be part of a simple string or an error.
        const char* q = p;
        while (q < end && *q != '\r' && *q != '\n') ++q;
        if (current_->str.size() + size_t(q - p) > limits_.max_line) {
          fail(fmt::format("RESP: simple string or error longer than {} bytes", limits_.max_line));
        }
        current_->str.append(p, size_t(q - p));
        p = q;
        if (p < end) {
          if (*p == '\n') fail("RESP: LF without CR in a simple string or error");
          ++p;
          state_ = kLineFeed;
        }
        break;
      }

      case kNumber: {
        const char c = *p++;
        if (c >= '0' && c <= '9') {
          // 2^63 is the largest magnitude (of INT64_MIN); 20 digits would overflow the check.
          magnitude_ = magnitude_ * 10 + uint64_t(c - '0');
          if (++digits_ > 19 || magnitude_ > (uint64_t{1} << 63) - (negative_ ? 0 : 1)) {
            fail(fmt::format("RESP: {} out of range", number_name(kind_)));
          }
        } else if (c == '-' && digits_ == 0 && !negative_) {
          negative_ = true;
        } else if (c == '\r' && digits_ > 0) {
          state_ = kLineFeed;
        } else {
          fail(fmt::format("RESP: invalid {}: unexpected {}", number_name(kind_), name_byte(c)));
        }
        break;
      }

      case kLineFeed:
        if (*p++ != '\n') fail(fmt::format("RESP: expected LF after CR, got {}", name_byte(p[-1])));
        end_line();
        break;

      case kBulkData: {
        const size_t n = std::min(size_t(end - p), size_t(bulk_left_));
        current_->str.append(p, n);
        p += n;
        bulk_left_ -= int64_t(n);
        if (bulk_left_ == 0) state_ = kBulkCR;
        break;
      }

      case kBulkCR:
      case kBulkLF: {
        const char want = state_ == kBulkCR ? '\r' : '\n';
        if (*p != want) fail(fmt::format("RESP: bulk string data not followed by CRLF: got {}", name_byte(*p)));
        ++p;
        if (state_ == kBulkCR) {
          state_ = kBulkLF;
        } else {
          end_value();
        }
        break;
      }

      case kDone: return size_t(p - data.data());

      case kFailed: throw RespError(error_);
    }
    if (state_ == kDone) break;
  }
  return size_t(p - data.data());
}

void RespParser::start_value(char type) {
  RespValue& v = *current_;
  v.integer = 0;
  v.str.clear();  // keeps its capacity for the next reply
  kind_ = type;
  switch (type) {
    case '+':
    case '-':
      v.type = type == '+' ? RespType::kSimple : RespType::kError;
      v.elements.clear();
      state_ = kText;
      break;
    case ':':
    case '$':
    case '*':
      negative_ = false;
      digits_ = 0;
      magnitude_ = 0;
      state_ = kNumber;
      break;
    default: fail(fmt::format("RESP: unknown reply type {} (expected one of + - : $ *)", name_byte(type)));
  }
}

void RespParser::end_line() {
  RespValue& v = *current_;
  if (kind_ == '+' || kind_ == '-') return end_value();

  const int64_t n = negative_ ? int64_t(0 - magnitude_) : int64_t(magnitude_);
  if (kind_ == ':') {
    v.type = RespType::kInteger;
    v.integer = n;
    v.elements.clear();
    return end_value();
  }
  if (n < -1) fail(fmt::format("RESP: negative {} {}", number_name(kind_), n));

  if (kind_ == '$') {
    v.elements.clear();
    if (n == -1) {
      v.type = RespType::kNil;
      return end_value();
    }
    if (n > limits_.max_bulk) fail(fmt::format("RESP: bulk length {} over the limit of {}", n, limits_.max_bulk));
    v.type = RespType::kBulk;
    // Grow toward a large payload in steps rather than trusting its length all at once.
    v.str.reserve(size_t(std::min<int64_t>(n, 1 << 20)));
    bulk_left_ = n;
    state_ = n == 0 ? kBulkCR : kBulkData;
    return;
  }

  // '*'
  if (n == -1) {
    v.type = RespType::kNilArray;
    v.elements.clear();
    return end_value();
  }
  if (n > limits_.max_elements) {
    fail(fmt::format("RESP: array length {} over the limit of {}", n, limits_.max_elements));
  }
  v.type = RespType::kArray;
  if (n == 0) {
    v.elements.clear();
    return end_value();
  }
  if (stack_.size() >= limits_.max_depth) {
    fail(fmt::format("RESP: arrays nested deeper than {}", limits_.max_depth));
  }
  v.elements.resize(size_t(n));  // same-shaped replies keep their elements' buffers
  stack_.push_back({&v, 0});
  current_ = &v.elements[0];
  state_ = kType;
}

void RespParser::end_value() {
  while (!stack_.empty()) {
    Frame& f = stack_.back();
    if (++f.next < f.array->elements.size()) {
      current_ = &f.array->elements[f.next];
      state_ = kType;
      return;
    }
    stack_.pop_back();
  }
  current_ = &root_;
  state_ = kDone;
}

void RespParser::fail(std::string message) {
  state_ = kFailed;
  stack_.clear();
  current_ = &root_;
  error_ = std::move(message);
  throw RespError(error_);
}

}  // namespace versus::redis
