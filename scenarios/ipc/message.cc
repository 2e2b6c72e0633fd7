#include "scenarios/ipc/message.h"

#include <algorithm>
#include <cstring>
#include <random>

#include <fmt/format.h>

namespace versus::ipc {

namespace {
constexpr uint64_t kSeqMix = 0x9E3779B97F4A7C15ull;  // the first payload word is seq * this
using TwoLanes = uint64_t __attribute__((vector_size(16)));
constexpr size_t kBlock = 2 * sizeof(TwoLanes);  // four words, one per lane
}  // namespace

uint64_t payload_checksum(const std::byte* payload, size_t n) {
  TwoLanes sum_a{0, 0}, sum_b{0, 0}, running_a{0, 0}, running_b{0, 0};
  auto add_block = [&](const std::byte* block) {
    TwoLanes a, b;
    std::memcpy(&a, block, sizeof a);
    std::memcpy(&b, block + sizeof a, sizeof b);
    sum_a += a;
    sum_b += b;
    running_a += sum_a;
    running_b += sum_b;
  };
  size_t at = 0;
  for (; at + kBlock <= n; at += kBlock) add_block(payload + at);
  if (at < n) {
    std::byte last[kBlock] = {};
    std::memcpy(last, payload + at, n - at);
    add_block(last);
  }
  // A word in lane L, k blocks from the end, weighs c_L + 8k with c = 1, 3, 5, 7: odd, and no
  // two positions alike (c_L < 8), so no two words can trade places unseen.
  return sum_a[0] + 3 * sum_a[1] + 5 * sum_b[0] + 7 * sum_b[1] +
         8 * (running_a[0] + running_a[1] + running_b[0] + running_b[1]);
}

MessageStamp::MessageStamp(size_t msg_size, uint64_t seed) : buf_(msg_size) {
  std::mt19937_64 rng(seed);
  for (size_t i = kHeaderBytes; i < msg_size; ++i) buf_[i] = std::byte(rng());
  std::memset(buf_.data() + kHeaderBytes, 0, 8);
  base_ = payload_checksum(buf_.data() + kHeaderBytes, msg_size - kHeaderBytes);
  // The checksum is linear in each word: the first word's weight is the checksum of a payload
  // holding 1 there and nothing else.
  std::vector<std::byte> unit(msg_size - kHeaderBytes);
  const uint64_t one = 1;
  std::memcpy(unit.data(), &one, std::min(unit.size(), sizeof one));
  first_weight_ = payload_checksum(unit.data(), unit.size());
}

const std::byte* MessageStamp::stamp(uint64_t seq) {
  const uint64_t first = seq * kSeqMix;
  const MessageHeader h{seq, base_ + first * first_weight_};
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
