// Two processes talking: round trips and a one-way stream over a pipe, a socketpair, or shared
// memory (a mailbox for round trips, a ring of message slots for the stream) waited for on a
// futex, spinning first only when the peer has a CPU of its own.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "baseline/bare.h"
#include "baseline/bare_common.h"
#include "bench/sys/errors.h"
#include "bench/sys/fd.h"
#include "bench/sys/futex.h"
#include "bench/sys/measure.h"
#include "bench/sys/shared_mapping.h"
#include "scenarios/ipc/message.h"

namespace baseline {
namespace {

// A spin is worth it only when the peer runs elsewhere meanwhile.
bool peer_has_own_cpu(const Cpus& cpus) { return cpus.size() >= 2 && cpus[0] != cpus[1]; }
constexpr int kSpins = 20000;

// A counter one side advances and the other waits on; the waiter sleeps on the futex only after
// saying so, so the side that advances makes a system call only for a sleeper.
struct Signal {
  std::atomic<uint32_t> value{0};
  std::atomic<uint32_t> sleepers{0};

  void advance() {
    value.fetch_add(1);
    if (sleepers.load() != 0) versus::futex_wake_all(value);
  }
  // Returns once value differs from `seen`.
  uint32_t wait_past(uint32_t seen, bool spin) {
    for (int i = 0; spin && i < kSpins; ++i) {
      if (const uint32_t v = value.load(std::memory_order_acquire); v != seen) return v;
      versus::cpu_relax();
    }
    sleepers.fetch_add(1);
    uint32_t v;
    while ((v = value.load()) == seen) versus::futex_wait(value, seen);
    sleepers.fetch_sub(1);
    return v;
  }
};

// A pair of one-way links between the caller (end 0) and the peer (end 1).
struct FdLinks {
  versus::UniqueFd to_peer[2], from_peer[2];  // [0] read end, [1] write end

  explicit FdLinks(std::string_view channel) {
    int a[2], b[2];
    if (channel == "pipe") {
      if (pipe2(a, O_CLOEXEC) < 0) versus::throw_errno("pipe2");
      to_peer[0].reset(a[0]), to_peer[1].reset(a[1]);
      if (pipe2(b, O_CLOEXEC) < 0) versus::throw_errno("pipe2");
      from_peer[0].reset(b[0]), from_peer[1].reset(b[1]);
    } else if (channel == "socketpair") {
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a) < 0) versus::throw_errno("socketpair");
      to_peer[1].reset(a[0]), from_peer[0].reset(dup(a[0]));
      to_peer[0].reset(a[1]), from_peer[1].reset(dup(a[1]));
      if (!from_peer[0] || !from_peer[1]) versus::throw_errno("dup");
    } else {
      throw std::invalid_argument("channel '" + std::string(channel) + "': accepted are pipe, socketpair, shm");
    }
  }
};

struct Mailbox {
  Signal to_peer, from_peer;
};

// A ring of message slots, which follow it in the mapping: the producer fills slot (n mod
// kSlots) and advances `filled`; the consumer empties it and advances `emptied`.
constexpr uint32_t kSlots = 8;
struct alignas(64) Ring {
  Signal filled, emptied;
};

// The reader's pass over each message when it checks: the same message every time, so every
// checksum must equal the first.
class SameMessage {
 public:
  explicit SameMessage(bool enabled) : enabled_(enabled) {}
  // Whether `msg` sums as the first did (always, when not checking).
  bool take(const char* msg, size_t size) {
    if (!enabled_) return true;
    const uint64_t sum = versus::ipc::payload_checksum(reinterpret_cast<const std::byte*>(msg), size);
    if (taken_++ == 0) first_ = sum;
    return sum == first_;
  }

 private:
  bool enabled_;
  uint64_t taken_ = 0;
  uint64_t first_ = 0;
};

double median_us(std::vector<int64_t>& ns) {
  std::nth_element(ns.begin(), ns.begin() + ptrdiff_t(ns.size() / 2), ns.end());
  return double(ns[ns.size() / 2]) / 1e3;
}

}  // namespace

double pingpong_p50_us(const Cpus& cpus, std::string_view channel, size_t size, int round_trips, int warmup) {
  const int total = warmup + round_trips;
  std::vector<int64_t> ns(static_cast<size_t>(round_trips));
  std::vector<char> message(size, 'x');
  if (channel == "shm") {
    const bool spin = peer_has_own_cpu(cpus);
    versus::SharedMapping shared(sizeof(Mailbox) + size);
    auto* box = new (shared.data()) Mailbox;
    char* data = static_cast<char*>(shared.data()) + sizeof(Mailbox);
    Peer peer(cpus, [&] {
      std::vector<char> buf(size);
      for (uint32_t seen = 0; seen < uint32_t(total);) {
        seen = box->to_peer.wait_past(seen, spin);
        // Taken out and put back, as every reader and writer of a message does (versus's peer
        // too): the answer is the same bytes, the first one counted on.
        std::memcpy(buf.data(), data, size);
        buf[0] = char(buf[0] + 1);
        std::memcpy(data, buf.data(), size);
        box->from_peer.advance();
      }
    });
    pin_end(cpus, 0);
    std::vector<char> answer(size);
    for (int i = 0; i < total; ++i) {
      const int64_t t0 = versus::now_ns();
      std::memcpy(data, message.data(), size);
      box->to_peer.advance();
      box->from_peer.wait_past(uint32_t(i), spin);
      std::memcpy(answer.data(), data, size);
      if (i >= warmup) ns[size_t(i - warmup)] = versus::now_ns() - t0;
      if (answer[0] != char(message[0] + 1) || std::memcmp(answer.data() + 1, message.data() + 1, size - 1) != 0) {
        throw std::logic_error("the bare shm answer is wrong");
      }
    }
    peer.finish();
    return median_us(ns);
  }
  FdLinks links(channel);
  Peer peer(cpus, [&] {
    std::vector<char> buf(size);
    for (int i = 0; i < total; ++i) {
      read_all(links.to_peer[0].get(), buf.data(), size, "read");
      send_all(links.from_peer[1].get(), buf.data(), size, "write");
    }
  });
  pin_end(cpus, 0);
  std::vector<char> answer(size);
  for (int i = 0; i < total; ++i) {
    const int64_t t0 = versus::now_ns();
    send_all(links.to_peer[1].get(), message.data(), size, "write");
    read_all(links.from_peer[0].get(), answer.data(), size, "read");
    if (i >= warmup) ns[size_t(i - warmup)] = versus::now_ns() - t0;
  }
  peer.finish();
  if (answer != message) throw std::logic_error("the bare answer differs from the message");
  return median_us(ns);
}

double stream_bytes_per_s(const Cpus& cpus, std::string_view channel, size_t size, size_t bytes, bool check_each) {
  const uint32_t messages = uint32_t(std::max<size_t>(1, bytes / size));
  std::vector<char> message(size, 'y');
  int64_t t0 = 0;
  if (channel == "shm") {
    if (check_each) throw std::invalid_argument("a checking reader is for pipe and socketpair streams, not shm");
    const bool spin = peer_has_own_cpu(cpus);
    versus::SharedMapping shared(sizeof(Ring) + kSlots * size);
    auto* ring = new (shared.data()) Ring;
    char* slots = static_cast<char*>(shared.data()) + sizeof(Ring);
    Peer peer(cpus, [&] {
      std::vector<char> buf(size);
      uint32_t filled = 0;
      for (uint32_t n = 0; n < messages; ++n) {
        while (filled == n) filled = ring->filled.wait_past(filled, spin);
        std::memcpy(buf.data(), slots + (n % kSlots) * size, size);
        ring->emptied.advance();
      }
    });
    pin_end(cpus, 0);
    t0 = versus::now_ns();
    uint32_t emptied = 0;
    for (uint32_t n = 0; n < messages; ++n) {
      while (n - emptied >= kSlots) emptied = ring->emptied.wait_past(emptied, spin);
      std::memcpy(slots + (n % kSlots) * size, message.data(), size);
      ring->filled.advance();
    }
    while (emptied != messages) emptied = ring->emptied.wait_past(emptied, spin);
    const double s = double(versus::now_ns() - t0) / 1e9;
    peer.finish();
    return double(messages) * double(size) / s;
  }
  FdLinks links(channel);
  Peer peer(cpus, [&] {
    std::vector<char> buf(size);
    SameMessage check(check_each);
    bool all_alike = true;
    for (uint32_t n = 0; n < messages; ++n) {
      read_all(links.to_peer[0].get(), buf.data(), size, "read");
      all_alike = check.take(buf.data(), size) && all_alike;
    }
    const char done = all_alike ? 1 : 2;
    send_all(links.from_peer[1].get(), &done, 1, "write");
  });
  pin_end(cpus, 0);
  t0 = versus::now_ns();
  for (uint32_t n = 0; n < messages; ++n) send_all(links.to_peer[1].get(), message.data(), size, "write");
  char done = 0;
  read_all(links.from_peer[0].get(), &done, 1, "read");
  const double s = double(versus::now_ns() - t0) / 1e9;
  peer.finish();
  if (done != 1) throw std::logic_error("the bare stream's reader found a message changed");
  return double(messages) * double(size) / s;
}

}  // namespace baseline
