#include "scenarios/ipc/message.h"

#include <cstring>
#include <random>

#include <fmt/format.h>

namespace versus::ipc {

namespace {
constexpr uint64_t kSeqMix = 0x9E3779B97F4A7C15ull;  // the first payload word is seq * this
}

uint64_t payload_checksum(const std::byte* payload, size_t n) {
  uint64_t sum = 0;
  const size_t words = n / 8;
  for (size_t i = 0; i < words; ++i) {
    uint64_t w;
    std::memcpy(&w, payload + 8 * i, 8);
    sum += w * (2 * i + 1);
  }
  if (n % 8) {
    uint64_t w = 0;
    std::memcpy(&w, payload + 8 * words, n % 8);
    sum += w * (2 * words + 1);
  }
  return sum;
}

MessageStamp::MessageStamp(size_t msg_size, uint64_t seed) : buf_(msg_size) {
  std::mt19937_64 rng(seed);
  for (size_t i = kHeaderBytes; i < msg_size; ++i) buf_[i] = std::byte(rng());
  std::memset(buf_.data() + kHeaderBytes, 0, 8);
  base_ = payload_checksum(buf_.data() + kHeaderBytes, msg_size - kHeaderBytes);
}

const std::byte* MessageStamp::stamp(uint64_t seq) {
  const uint64_t first = seq * kSeqMix;
  const MessageHeader h{seq, base_ + first};  // the first word's weight is 1
  std::memcpy(buf_.data(), &h, sizeof h);
  std::memcpy(buf_.data() + kHeaderBytes, &first, 8);
  return buf_.data();
}

std::string verify_message(const std::byte* msg, size_t msg_size, uint64_t expected_seq) {
  MessageHeader h;
  std::memcpy(&h, msg, sizeof h);
  if (h.seq != expected_seq) return fmt::format("expected message {}, received message {}", expected_seq, h.seq);
  uint64_t first;
  std::memcpy(&first, msg + kHeaderBytes, 8);
  if (first != h.seq * kSeqMix) return fmt::format("message {}: its payload belongs to another message", h.seq);
  if (payload_checksum(msg + kHeaderBytes, msg_size - kHeaderBytes) != h.checksum) {
    return fmt::format("message {}: checksum mismatch (corrupted payload)", h.seq);
  }
  return {};
}

}  // namespace versus::ipc
