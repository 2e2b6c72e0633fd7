// The ipc message check (scenarios/ipc/message.h): the payload checksum sees any change inside one
// word and a word moved, and a stamped message verifies while a changed one does not.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "scenarios/ipc/message.h"

namespace versus::ipc {
namespace {

// Payload sizes around the checksum's blocks of eight words (SSE2) and sixteen (AVX2), and a
// large one.
const size_t kSizes[] = {1, 7, 8, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 255, 4099, 65536};

// Random bytes: no two words alike, so a word moved is a change.
std::vector<std::byte> payload_of(size_t n) {
  std::mt19937_64 rng(n);
  std::vector<std::byte> p(n);
  for (auto& b : p) b = std::byte(rng());
  return p;
}

// Each build of the sum this CPU can run: every one must see what the check is for.
using Checksum = uint64_t (*)(const std::byte*, size_t);
std::vector<std::pair<std::string, Checksum>> builds_here() {
  std::vector<std::pair<std::string, Checksum>> builds{{"plain", &checksum_forms::plain}};
  if (checksum_forms::cpu_has_avx2()) builds.emplace_back("avx2", &checksum_forms::avx2);
  return builds;
}

TEST(PayloadChecksum, ChangingAnyOneByteChangesIt) {
  for (const auto& [build, checksum] : builds_here()) {
    for (const size_t n : kSizes) {
      std::vector<std::byte> p = payload_of(n);
      const uint64_t right = checksum(p.data(), n);
      // Every byte of the small payloads; every 97th of the large ones.
      for (size_t at = 0; at < n; at += n > 4099 ? 97 : 1) {
        for (const uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
          p[at] ^= std::byte(flip);
          EXPECT_NE(checksum(p.data(), n), right) << build << ", size " << n << ", byte " << at << ", flip " << int(flip);
          p[at] ^= std::byte(flip);
        }
      }
      EXPECT_EQ(checksum(p.data(), n), right) << build << ": the same bytes, the same checksum";
    }
  }
}

TEST(PayloadChecksum, AWordMovedChangesIt) {
  for (const auto& [build, checksum] : builds_here()) {
    const size_t n = 4096;
    const std::vector<std::byte> p = payload_of(n);
    const uint64_t right = checksum(p.data(), n);
    for (const size_t from : {size_t{0}, size_t{1}, size_t{5}, size_t{200}}) {
      for (const size_t to : {size_t{2}, size_t{4}, size_t{8}, size_t{511}}) {
        if (from == to) continue;
        std::vector<std::byte> swapped = p;
        std::memcpy(swapped.data() + 8 * from, p.data() + 8 * to, 8);
        std::memcpy(swapped.data() + 8 * to, p.data() + 8 * from, 8);
        EXPECT_NE(checksum(swapped.data(), n), right) << build << ": words " << from << " and " << to << " swapped";
      }
    }
    // Every two words of a payload of 64 traded: each position weighs its own.
    const size_t words = 64;
    const std::vector<std::byte> small = payload_of(8 * words);
    const uint64_t small_right = checksum(small.data(), small.size());
    int same = 0;
    for (size_t i = 0; i < words; ++i) {
      for (size_t j = i + 1; j < words; ++j) {
        std::vector<std::byte> swapped = small;
        std::memcpy(swapped.data() + 8 * i, small.data() + 8 * j, 8);
        std::memcpy(swapped.data() + 8 * j, small.data() + 8 * i, 8);
        same += checksum(swapped.data(), swapped.size()) == small_right;
      }
    }
    EXPECT_EQ(same, 0) << build << ": pairs of words traded unseen";
    // The second half first: a ring that wrapped at the wrong place.
    std::vector<std::byte> rotated(n);
    std::memcpy(rotated.data(), p.data() + n / 2, n / 2);
    std::memcpy(rotated.data() + n / 2, p.data(), n / 2);
    EXPECT_NE(checksum(rotated.data(), n), right) << build;
  }
}

// The producer's stamp and the consumer's check both call payload_checksum: it is the widest
// build this CPU runs.
TEST(PayloadChecksum, UsesTheWidestBuildThisCpuRuns) {
  const auto [build, widest] = builds_here().back();
  for (const size_t n : kSizes) {
    const std::vector<std::byte> p = payload_of(n);
    EXPECT_EQ(payload_checksum(p.data(), n), widest(p.data(), n)) << build << ", size " << n;
  }
}

TEST(MessageStamp, StampedMessagesVerifyAndAChangedOneDoesNot) {
  for (const size_t size : {size_t{24}, size_t{64}, size_t{4099}, size_t{65536}}) {
    MessageStamp stamp(size, 42);
    for (const uint64_t seq : {uint64_t{0}, uint64_t{1}, uint64_t{977}, uint64_t{1} << 40}) {
      std::vector<std::byte> msg(stamp.stamp(seq), stamp.stamp(seq) + size);
      EXPECT_EQ(verify_message(msg.data(), size, seq), "") << "size " << size << ", message " << seq;
      EXPECT_NE(verify_message(msg.data(), size, seq + 1), "") << "another message's number";
      // The last byte: past the first payload word (which says whose message it is) where there is room.
      msg[size - 1] ^= std::byte{0x10};
      const std::string said = verify_message(msg.data(), size, seq);
      EXPECT_NE(said.find(size > kHeaderBytes + 8 ? "checksum mismatch" : "belongs to another message"),
                std::string::npos)
          << "size " << size << ", message " << seq << ": " << said;
    }
  }
}

}  // namespace
}  // namespace versus::ipc
