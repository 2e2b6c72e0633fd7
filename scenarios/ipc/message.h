// What travels on a channel: a header with the message's sequence number and the checksum of
// its payload, then the payload. The consumer checks both, so a lost, doubled, reordered or
// corrupted message is seen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace versus::ipc {

struct MessageHeader {
  uint64_t seq;
  uint64_t checksum;
};
constexpr size_t kHeaderBytes = sizeof(MessageHeader);

// A Fletcher-style sum of the payload's 64-bit words, modulo 2^64, in L lanes (word i in lane
// i mod L, the tail zero-padded to a whole block of L): per lane the sum of its words and the
// sum of those running sums. Linear in every word, each with an odd weight, so a change inside
// any one word always shows; each position with a weight of its own, so two words swapped show
// too (but for words whose difference times that of their weights is 0 modulo 2^64). Only
// additions, in four vectors: it reads the payload faster than memcpy copies it, but it is
// still a second pass over every message, which a bare stream does not make. L is 16 where the
// CPU has AVX2, else 8: the sum is the same for every process on one machine, which is all a
// message's check needs.
uint64_t payload_checksum(const std::byte* payload, size_t n);

// The two builds payload_checksum chooses between, once, by what the CPU has: AVX2 (sixteen
// lanes) or plain x86-64 (eight lanes, in SSE2 registers). Apart for the tests, which check each.
namespace checksum_forms {
bool cpu_has_avx2();
uint64_t avx2(const std::byte* payload, size_t n);
uint64_t plain(const std::byte* payload, size_t n);
}  // namespace checksum_forms

// A producer's message buffer: a fixed random payload whose first word varies with the sequence
// number, so that each message differs and its checksum is known without re-reading it.
class MessageStamp {
 public:
  explicit MessageStamp(size_t msg_size, uint64_t seed);
  // Writes header and first payload word for message `seq`; returns the buffer.
  const std::byte* stamp(uint64_t seq);
  std::byte* data() { return buf_.data(); }
  size_t size() const { return buf_.size(); }

 private:
  std::vector<std::byte> buf_;
  uint64_t base_ = 0;          // checksum of the payload with its first word zero
  uint64_t first_weight_ = 0;  // the first word's weight in the checksum
};

// Checks a received message against the expected sequence number; "" when right, otherwise what
// is wrong.
std::string verify_message(const std::byte* msg, size_t msg_size, uint64_t expected_seq);

}  // namespace versus::ipc
