// mux: many descriptors, few active, as in libevent's bench. `fds` pairs (socketpairs or pipes);
// each round writes one byte on `active` distinct pairs spread over the set, and each byte, once
// read, goes on `chain` more hops to other pairs. The runner must notice every readable
// descriptor among them all: seed 003's case for epoll over select and poll, and against a thread
// per connection. Every byte written is read exactly once, or the repetition is `invalid`.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "bench/sys/limits.h"
#include "bench/api/multiplex.h"
#include "scenarios/registry.h"
#include "bench/sys/errors.h"

namespace versus {
namespace {

const ParamSpec kParams[] = {
    int_param("fds", 1000, 2, 1000000, "descriptor pairs; the runner waits on one end of each"),
    int_param("active", 10, 1, 100000, "pairs written to at the start of each round (at most fds)"),
    int_param("chain", 0, 0, 100, "hops each event makes on to other pairs after its first read"),
    int_param("rounds", 2000, 1, 100000000, "rounds in the measured phase"),
    choice_param("pair", {"socketpair", "pipe"}, "what a pair is: an AF_UNIX stream socketpair, or a pipe"),
};

struct MuxConfig {
  int fds, active, chain, rounds;
  bool pipes;
};

MuxConfig config_of(const Cell& cell) {
  const Params& p = cell.params;
  return {int(p.integer("fds")), int(p.integer("active")), int(p.integer("chain")), int(p.integer("rounds")),
          p.str("pair") == "pipe"};
}

class MuxWork final : public MultiplexWork {
 public:
  explicit MuxWork(const MuxConfig& c)
      : c_(c), ends_(size_t(2 * c.fds), -1), written_(size_t(c.fds)), read_(size_t(c.fds)) {
    for (int i = 0; i < c.fds; ++i) {
      int fds[2];
      const int rc = c.pipes ? pipe2(fds, O_CLOEXEC) : socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
      if (rc < 0) {
        close_all();
        throw_errno(fmt::format("{} (pair {} of {})", c.pipes ? "pipe2" : "socketpair", i, c.fds));
      }
      ends_[size_t(2 * i)] = fds[0];
      ends_[size_t(2 * i + 1)] = fds[1];
    }
  }
  ~MuxWork() override { close_all(); }

  int descriptors() const override { return c_.fds; }
  int read_fd(int i) const override { return ends_[size_t(2 * i)]; }
  int write_fd(int i) const override { return ends_[size_t(2 * i + 1)]; }
  int rounds() const override { return c_.rounds; }
  uint64_t events_per_round() const override { return uint64_t(c_.active) * uint64_t(c_.chain + 1); }
  uint64_t chains_per_round() const override { return uint64_t(c_.active); }

  // `active` distinct pairs, evenly spaced from an offset that moves each round, so that over
  // the rounds every part of the set is written to.
  void start_round(int r) override {
    const uint64_t stride = uint64_t(c_.fds) / uint64_t(c_.active);
    const uint64_t offset = (uint64_t(r) * 2654435761u) % uint64_t(c_.fds);
    const uint8_t hops = uint8_t(c_.chain);
    for (int k = 0; k < c_.active; ++k) {
      const int i = int((offset + uint64_t(k) * stride) % uint64_t(c_.fds));
      written_[size_t(i)].fetch_add(1, std::memory_order_relaxed);
      ssize_t n;
      do {
        n = write(write_fd(i), &hops, 1);
      } while (n < 0 && errno == EINTR);
      if (n != 1) throw_errno("write");
    }
  }

  int consumed(int i, uint8_t byte) override {
    read_[size_t(i)].fetch_add(1, std::memory_order_relaxed);
    if (byte > c_.chain) {
      bad_bytes_.fetch_add(1, std::memory_order_relaxed);
      return -1;
    }
    if (byte == 0) return -1;
    // The next hop: another pair, chosen from where the event is and how far it has to go.
    const int next = int((uint64_t(i) * 40503u + uint64_t(byte) * 7919u + 1) % uint64_t(c_.fds));
    const int to = next == i ? (i + 1) % c_.fds : next;
    written_[size_t(to)].fetch_add(1, std::memory_order_relaxed);
    return to;
  }

  std::string check(std::span<const WorkerResult>) const override {
    if (const uint64_t bad = bad_bytes_.load(); bad > 0) return fmt::format("{} bytes read were never written", bad);
    uint64_t total = 0;
    for (int i = 0; i < c_.fds; ++i) {
      const uint64_t w = written_[size_t(i)].load(), r = read_[size_t(i)].load();
      if (w != r) return fmt::format("pair {}: {} events written, {} read", i, w, r);
      total += r;
    }
    const uint64_t expected = uint64_t(c_.rounds) * events_per_round();
    if (total != expected) return fmt::format("{} events consumed, expected {}", total, expected);
    return {};
  }

  uint64_t answer(std::span<const WorkerResult>) const override {
    uint64_t total = 0;
    for (const auto& r : read_) total += r.load();
    return total;
  }

 private:
  void close_all() {
    for (int& fd : ends_) {
      if (fd >= 0) close(fd);
      fd = -1;
    }
  }

  MuxConfig c_;
  std::vector<int> ends_;  // pair i: 2i is read, 2i+1 written
  std::vector<std::atomic<uint64_t>> written_, read_;
  std::atomic<uint64_t> bad_bytes_{0};
};

class MuxScenario final : public Scenario {
 public:
  std::string_view name() const override { return "mux"; }
  std::string_view summary() const override {
    return "many descriptors, few active: the cost of noticing each ready one, from 10 to 100,000 descriptors";
  }
  Shape shape() const override { return kMultiplexShape; }
  std::span<const ParamSpec> params() const override { return kParams; }
  int64_t watched_descriptors(const Cell& cell) const override { return cell.params.integer("fds"); }

  std::string_view work_param(const Cell& cell) const override {
    (void)cell;
    return "rounds";
  }
  double expected_seconds(const Cell& cell) const override {
    const MuxConfig c = config_of(cell);
    // Generous: a select or poll scan of every descriptor each wait, per event.
    const double per_event = 2e-6 + double(c.fds) * 5e-9;
    return double(c.rounds) * double(c.active) * double(c.chain + 1) * per_event + double(c.fds) * 20e-6;
  }

  std::string unsupported(const Cell& cell) const override {
    const MuxConfig c = config_of(cell);
    if (cell.workers != 1) return "mux: the descriptors are set by fds; workers must be 1";
    if (c.active > c.fds) return fmt::format("active={} is more than fds={}", c.active, c.fds);
    const int64_t need = 2 * int64_t(c.fds) + 64;
    if (const int64_t limit = fd_limit(); need > limit) {
      return fmt::format(
          "fds={} needs about {} descriptors; RLIMIT_NOFILE allows {} (versus raises it to the hard limit)", c.fds,
          need, limit);
    }
    return {};
  }

  std::unique_ptr<MultiplexWork> make_multiplex(const Cell& cell) const override {
    return std::make_unique<MuxWork>(config_of(cell));
  }
};

}  // namespace

const Scenario* mux_scenario() {
  static const MuxScenario scenario;
  return &scenario;
}

}  // namespace versus
