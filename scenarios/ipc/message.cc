#include "scenarios/ipc/message.h"

#include <algorithm>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "bench/sys/hot_path.h"

namespace versus::ipc {

namespace {
constexpr uint64_t kSeqMix = 0x9E3779B97F4A7C15ull;  // the first payload word is seq * this
using FourLanes = uint64_t __attribute__((vector_size(32)));
constexpr size_t kVectors = 4;
constexpr size_t kLanes = kVectors * 4;
constexpr size_t kBlock = kLanes * sizeof(uint64_t);  // sixteen words, one per lane

// Named vectors, not arrays, so that they stay in registers; four chains of additions that do
// not wait on each other. Over a 64 KiB payload in L2 here: 133 GB/s built for AVX2, against 79
// for the two-lane SSE2 form this replaced, whose time was most of what separated versus's pipe
// and shm streams from a bare reader that checks nothing.
struct Sums {
  FourLanes sum0{}, sum1{}, sum2{}, sum3{};
  FourLanes running0{}, running1{}, running2{}, running3{};

  [[gnu::always_inline]] void add_block(const std::byte* block) {
    FourLanes w0, w1, w2, w3;
    std::memcpy(&w0, block, sizeof w0);
    std::memcpy(&w1, block + 32, sizeof w1);
    std::memcpy(&w2, block + 64, sizeof w2);
    std::memcpy(&w3, block + 96, sizeof w3);
    sum0 += w0;
    sum1 += w1;
    sum2 += w2;
    sum3 += w3;
    running0 += sum0;
    running1 += sum1;
    running2 += sum2;
    running3 += sum3;
  }
};

// Inlined into each build below, which compiles it for its own instruction set.
[[gnu::always_inline]] inline uint64_t checksum_of(const std::byte* payload, size_t n) {
  Sums s;
  size_t at = 0;
  for (; at + kBlock <= n; at += kBlock) s.add_block(payload + at);
  if (at < n) {
    std::byte last[kBlock] = {};
    std::memcpy(last, payload + at, n - at);
    s.add_block(last);
  }
  // A word in lane L, k blocks from the end, weighs c_L + 32(k + 1) with c = 1, 3, ..., 31: odd,
  // and no two positions alike (c_L < 32), so no two words can trade places unseen.
  const FourLanes running = s.running0 + s.running1 + s.running2 + s.running3;
  const FourLanes* sums[kVectors] = {&s.sum0, &s.sum1, &s.sum2, &s.sum3};
  uint64_t total = kLanes * 2 * (running[0] + running[1] + running[2] + running[3]);
  uint64_t weight = 1;
  for (const FourLanes* v : sums) {
    for (size_t lane = 0; lane < 4; ++lane, weight += 2) total += weight * (*v)[lane];
  }
  return total;
}
}  // namespace

namespace checksum_forms {
bool cpu_has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}
VERSUS_HOT [[gnu::target("avx2")]] uint64_t avx2(const std::byte* payload, size_t n) { return checksum_of(payload, n); }
VERSUS_HOT uint64_t plain(const std::byte* payload, size_t n) { return checksum_of(payload, n); }
}  // namespace checksum_forms

// Chosen by a test at the first call rather than by the dynamic linker (GCC's target_clones, an
// ifunc): an ifunc's resolver runs before the thread sanitizer's runtime is ready, and crashes it.
VERSUS_HOT uint64_t payload_checksum(const std::byte* payload, size_t n) {
  static const bool avx2 = checksum_forms::cpu_has_avx2();
  return avx2 ? checksum_forms::avx2(payload, n) : checksum_forms::plain(payload, n);
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

VERSUS_HOT const std::byte* MessageStamp::stamp(uint64_t seq) {
  const uint64_t first = seq * kSeqMix;
  const MessageHeader h{seq, base_ + first * first_weight_};
  std::memcpy(buf_.data(), &h, sizeof h);
  std::memcpy(buf_.data() + kHeaderBytes, &first, 8);
  return buf_.data();
}

VERSUS_HOT std::string verify_message(const std::byte* msg, size_t msg_size, uint64_t expected_seq) {
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
