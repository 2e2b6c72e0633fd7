// shm: a single-producer single-consumer byte ring in a shared mapping, one per direction. While
// both sides are busy no system call is made: indices are atomics, and the futex is touched only
// when a side has gone to sleep (it says so in a flag first). A cooperative side yields instead.
//
// A writer that found the ring full and goes to sleep on the futex sleeps until half of it is
// free, and only then does the reader wake it (a spinning or cooperative writer goes on at the
// first free byte). On a CPU the two share, every wake-up is a switch, and the woken side runs at
// once: a writer woken for each message read would take turns with a slower reader message by
// message (two switches a message; a reader that checks what it reads is the slower side). With
// the threshold the writer refills half the ring per switch. It cannot wait forever: every byte
// written is read, and the reader takes what there is, so its tail reaches the writer's head,
// past the threshold, before it waits itself. The reader is still woken at the first byte
// written: a writer may stop at any point, and nothing else would wake it.
#include <atomic>
#include <bit>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "bench/sys/shared_mapping.h"
#include "bench/sys/futex.h"
#include "bench/sys/hot_path.h"
#include "bench/sys/peer_cpus.h"
#include "bench/sys/spin_wait.h"
#include "scenarios/ipc/channel.h"

namespace versus::ipc {

namespace {

struct RingState {
  alignas(64) std::atomic<uint64_t> head{0};        // bytes ever written
  alignas(64) std::atomic<uint64_t> tail{0};        // bytes ever read
  alignas(64) std::atomic<uint32_t> data_ready{0};  // futex word: bumped when bytes arrive
  std::atomic<uint32_t> reader_sleeping{0};
  alignas(64) std::atomic<uint32_t> space_ready{0};  // futex word: bumped when bytes leave
  std::atomic<uint32_t> writer_sleeping{0};
  std::atomic<uint64_t> writer_wakes_at{0};  // the tail at which a sleeping writer wants waking
  PeerCpus sides;  // 0 the writer, 1 the reader: no spinning against a peer on the same CPU
};

class Ring {
 public:
  // `state` lives in a shared mapping and outlasts the ring.
  Ring(size_t capacity, int spin_us, RingState& state)
      : capacity_(capacity), spin_ns_(int64_t(spin_us) * 1000), state_(&state), data_(capacity) {}

  void publish_writer() { state_->sides.publish(0); }
  void publish_reader() { state_->sides.publish(1); }
  bool sides_share_one_cpu() const { return state_->sides.share_one_cpu(); }
  int writer_cpu() const { return state_->sides.cpu[0].load(); }

  void write(const std::byte* src, size_t n, WorkerContext& ctx, bool cooperative) {
    RingState& s = *state_;
    auto* buf = static_cast<std::byte*>(data_.data());
    uint64_t head = s.head.load(std::memory_order_relaxed);
    while (n > 0) {
      // What a side last saw never passes what it has done: the writer writes no further than
      // the tail it saw allows, the reader reads no further than the head it saw.
      uint64_t free = capacity_ - (head - writer_.seen);
      if (free < n) {  // only then ask where the reader is: its index lives on its CPU
        writer_.seen = s.tail.load(std::memory_order_acquire);
        free = capacity_ - (head - writer_.seen);
      }
      if (free == 0) {
        const uint64_t half_free = head - capacity_ / 2;
        // Read by the reader only once it sees the sleeping flag, whose seq_cst store publishes
        // this one: no fence here, where a spinning writer passes at every full ring.
        s.writer_wakes_at.store(half_free, std::memory_order_relaxed);
        wait(
            s.space_ready, s.writer_sleeping, [&] { return capacity_ - (head - s.tail.load()) > 0; },
            [&] { return int64_t(s.tail.load() - half_free) >= 0; }, ctx, cooperative);
        continue;
      }
      const size_t chunk = std::min<uint64_t>(n, free);
      const size_t at = head & (capacity_ - 1);
      const size_t first = std::min(chunk, capacity_ - at);
      std::memcpy(buf + at, src, first);
      std::memcpy(buf, src + first, chunk - first);
      head += chunk;
      src += chunk;
      n -= chunk;
      s.head.store(head, std::memory_order_seq_cst);
      if (s.reader_sleeping.load(std::memory_order_seq_cst)) wake(s.data_ready);
    }
  }

  void read(std::byte* dst, size_t n, WorkerContext& ctx, bool cooperative) {
    RingState& s = *state_;
    const auto* buf = static_cast<const std::byte*>(data_.data());
    uint64_t tail = s.tail.load(std::memory_order_relaxed);
    while (n > 0) {
      uint64_t avail = reader_.seen - tail;
      if (avail < n) {
        reader_.seen = s.head.load(std::memory_order_acquire);
        avail = reader_.seen - tail;
      }
      if (avail == 0) {
        const auto arrived = [&] { return s.head.load() - tail > 0; };
        wait(s.data_ready, s.reader_sleeping, arrived, arrived, ctx, cooperative);
        continue;
      }
      const size_t chunk = std::min<uint64_t>(n, avail);
      const size_t at = tail & (capacity_ - 1);
      const size_t first = std::min(chunk, capacity_ - at);
      std::memcpy(dst, buf + at, first);
      std::memcpy(dst + first, buf, chunk - first);
      tail += chunk;
      dst += chunk;
      n -= chunk;
      s.tail.store(tail, std::memory_order_seq_cst);
      if (s.writer_sleeping.load(std::memory_order_seq_cst) && int64_t(tail - s.writer_wakes_at.load()) >= 0) {
        wake(s.space_ready);
      }
    }
  }

 private:
  // Spin a little until `ready`, then sleep on the futex word after saying so, unless `enough`
  // (what the other side wakes a sleeper for) already holds. The flag is set before that last
  // look (both seq_cst), so the other side either sees the flag or we see its progress.
  template <typename Ready, typename Enough>
  void wait(std::atomic<uint32_t>& word, std::atomic<uint32_t>& sleeping, Ready ready, Enough enough,
            WorkerContext& ctx, bool cooperative) const {
    if (cooperative) {
      while (!ready()) ctx.yield();
      return;
    }
    // Spin first (spin_wait.h says why), but not at all when the other side is bound to this CPU:
    // it cannot make progress while we spin.
    if (!state_->sides.share_one_cpu() && spin_until_ready(spin_ns_, ready)) return;
    const uint32_t seen = word.load(std::memory_order_seq_cst);
    sleeping.store(1, std::memory_order_seq_cst);
    if (!enough()) futex_wait(word, seen);
    sleeping.store(0, std::memory_order_seq_cst);
  }

  static void wake(std::atomic<uint32_t>& word) {
    word.fetch_add(1, std::memory_order_seq_cst);
    futex_wake_all(word);
  }

  size_t capacity_;
  int64_t spin_ns_;
  // The other side's index as last read, kept by each side in its own memory: a side reads the
  // shared one again only when what it knows is not enough, so a message does not pull the
  // other side's cache line over each time (a process each, or threads on lines of their own).
  struct alignas(64) SeenIndex {
    uint64_t seen = 0;
  };
  SeenIndex writer_;  // the reader's tail, as the writer last saw it
  SeenIndex reader_;  // the writer's head, as the reader last saw it
  RingState* state_;
  SharedMapping data_;
};

// A channel's two rings, one each way. Their indices and flags share one page: a round trip
// touches both, and each page a side touches costs a page walk after a switch between processes
// (bench/sys/hot_path.h).
struct RingPair {
  RingPair(size_t capacity, int spin_us) : states(2), there(capacity, spin_us, states[0]), back(capacity, spin_us, states[1]) {}
  SharedArray<RingState> states;
  Ring there, back;
};

class ShmEndpoint final : public Endpoint {
 public:
  ShmEndpoint(std::shared_ptr<RingPair> rings, bool producer, bool spins)
      : rings_(std::move(rings)),
        in_(producer ? &rings_->back : &rings_->there),
        out_(producer ? &rings_->there : &rings_->back),
        spins_(spins) {}
  void set_cooperative() override { cooperative_ = true; }
  VERSUS_HOT void send(const std::byte* data, size_t n, WorkerContext& ctx) override { out_->write(data, n, ctx, cooperative_); }
  VERSUS_HOT void recv(std::byte* data, size_t n, WorkerContext& ctx) override { in_->read(data, n, ctx, cooperative_); }
  void publish_binding() override {
    out_->publish_writer();
    in_->publish_reader();
  }
  std::string waiting_note() const override {
    if (!spins_ || !out_->sides_share_one_cpu()) return {};
    return fmt::format("shm: no spinning, both ends are bound to CPU {}", out_->writer_cpu());
  }

 private:
  std::shared_ptr<RingPair> rings_;
  Ring* in_;
  Ring* out_;
  bool spins_;
  bool cooperative_ = false;
};

}  // namespace

Channel make_shm_channel(size_t msg_size, int spin_us) {
  // Room for eight messages, and no less than 256 KiB: the sides run ahead of each other, and
  // on one CPU a full ring's writer sleeps and is woken once per half ring, so the ring's size is
  // in the figure (eight, as kSlots in baseline/bare_channels.cc, the bare ring it is set against).
  const size_t capacity = std::bit_ceil(std::max<size_t>(8 * msg_size, 256 << 10));
  auto rings = std::make_shared<RingPair>(capacity, spin_us);
  return {std::make_unique<ShmEndpoint>(rings, /*producer=*/true, spin_us > 0),
          std::make_unique<ShmEndpoint>(rings, /*producer=*/false, spin_us > 0)};
}

}  // namespace versus::ipc
