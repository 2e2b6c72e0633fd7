// switch: two workers hand a token back and forth; each hand-over wakes the other side. The
// runner makes them processes, threads or fibers; `via` says what carries the wake-up, `wait`
// whether the waiting side sleeps at once or spins first. Where the two run is the cell's
// placement (bench/sys/placement.h): same for the cost of a switch on one CPU, spread for a
// wake-up that crosses CPUs.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "bench/sys/futex.h"
#include "bench/sys/measure.h"
#include "bench/sys/peer_cpus.h"
#include "bench/sys/shared_mapping.h"
#include "bench/sys/spin_wait.h"
#include "scenarios/registry.h"
#include "bench/sys/errors.h"

namespace versus {
namespace {

const ParamSpec kParams[] = {
    choice_param("via", {"futex", "pipe", "eventfd", "condvar"},
                 "what wakes the other side: a futex word in shared memory, a one-byte pipe write, an eventfd, or "
                 "a process-shared condition variable (fibers always switch by yielding)"),
    int_param("handovers", 20000, 2, int64_t{1} << 32, "hand-overs per pair per repetition (even)"),
    choice_param("wait", {"block", "spin"},
                 "block: sleep in the kernel at once; spin: spin up to spin_us first (not when the peer is bound to "
                 "the waiter's own CPU, where it could not run meanwhile)"),
    int_param("spin_us", 50, 0, 1000000, "wait=spin: microseconds spent spinning before sleeping"),
};

// One pair's token and what carries it. Shared by both sides (a shared mapping and descriptors
// made before the peers exist).
struct Baton {
  std::atomic<uint32_t> turn{0};  // 0: the producer holds the token; 1: the consumer
  uint64_t passes = 0;            // incremented by whoever holds the token: checks every hand-over
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  PeerCpus sides;  // where each side is bound: no spinning against a peer on the same CPU
};

struct Config {
  std::string via;
  bool spin;
  int64_t spin_ns;
  uint64_t handovers;
};

class SwitchWork final : public TaskWork {
 public:
  SwitchWork(const Config& c, int pairs) : c_(c), batons_(pairs), fds_(size_t(pairs) * 4, -1) {
    for (int p = 0; p < pairs; ++p) {
      Baton& b = batons_[p];
      pthread_mutexattr_t ma;
      pthread_mutexattr_init(&ma);
      pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
      pthread_mutex_init(&b.mutex, &ma);
      pthread_condattr_t ca;
      pthread_condattr_init(&ca);
      pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
      pthread_cond_init(&b.cond, &ca);
      // fds_[4p + side*2]: the read end side waits on, fds_[4p + side*2 + 1]: the write end that wakes side.
      for (int side = 0; side < 2; ++side) {
        int* f = &fds_[size_t(4 * p + 2 * side)];
        if (c.via == "pipe") {
          int pf[2];
          if (pipe2(pf, O_CLOEXEC | O_NONBLOCK) < 0) throw_errno("pipe2");
          f[0] = pf[0];
          f[1] = pf[1];
        } else if (c.via == "eventfd") {
          f[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
          if (f[0] < 0) throw_errno("eventfd");
          f[1] = dup(f[0]);
        }
      }
    }
  }

  ~SwitchWork() override {
    for (int fd : fds_) {
      if (fd >= 0) close(fd);
    }
  }

  void prepare(WorkerContext& ctx) override {
    if (!ctx.cooperative()) batons_[ctx.index() / 2].sides.publish(ctx.index() % 2);
  }

  void run(WorkerContext& ctx, WorkerResult& out) override {
    const int pair = ctx.index() / 2;
    const uint32_t me = uint32_t(ctx.index() % 2);
    Baton& b = batons_[pair];
    const bool cooperative = ctx.cooperative();  // asked once: the loop is what is timed
    for (uint64_t k = 0; k < c_.handovers / 2; ++k) {
      wait_turn(b, pair, me, ctx, cooperative);
      const uint64_t want = 2 * k + me;
      if (b.passes != want && !out.message[0]) {
        fmt::format_to_n(out.message, sizeof out.message - 1, "hand-over {} found the token at {}", want, b.passes);
      }
      ++b.passes;
      ++out.value;
      give_turn(b, pair, 1 - me, cooperative);
    }
    out.ops = c_.handovers / 2;
  }

  std::string check(std::span<const WorkerResult> results) const override {
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].message[0]) return fmt::format("pair {} side {}: {}", i / 2, i % 2, results[i].message);
      if (results[i].value != c_.handovers / 2) {
        return fmt::format("pair {} side {}: {} hand-overs, {} expected", i / 2, i % 2, results[i].value,
                           c_.handovers / 2);
      }
    }
    for (size_t p = 0; p < batons_.size(); ++p) {
      if (batons_[p].passes != c_.handovers)
        return fmt::format("pair {}: the token passed {} times", p, batons_[p].passes);
    }
    return {};
  }

  void add_measures(std::span<const WorkerResult>, Record& record) const override {
    if (!c_.spin) return;
    for (size_t p = 0; p < batons_.size(); ++p) {
      if (batons_[p].sides.share_one_cpu()) {
        record.message =
            fmt::format("wait=spin: no spinning, the two sides are bound to CPU {}", batons_[p].sides.cpu[0].load());
        return;
      }
    }
  }

 private:
  int wait_fd(int pair, uint32_t side) const { return fds_[size_t(4 * pair + 2 * side)]; }
  int wake_fd(int pair, uint32_t side) const { return fds_[size_t(4 * pair + 2 * side + 1)]; }

  void wait_turn(Baton& b, int pair, uint32_t me, WorkerContext& ctx, bool cooperative) {
    if (cooperative) {  // fibers: the hand-over is a switch to the other fiber
      while (b.turn.load(std::memory_order_acquire) != me) ctx.yield();
      return;
    }
    if (c_.spin && !b.sides.share_one_cpu()) {
      spin_until_ready(c_.spin_ns, [&] { return b.turn.load(std::memory_order_acquire) == me; });
    }
    if (c_.via == "futex") {
      while (b.turn.load(std::memory_order_acquire) != me) futex_wait(b.turn, 1 - me);
    } else if (c_.via == "condvar") {
      pthread_mutex_lock(&b.mutex);
      while (b.turn.load(std::memory_order_acquire) != me) pthread_cond_wait(&b.cond, &b.mutex);
      pthread_mutex_unlock(&b.mutex);
    } else {
      // The byte or count the giver writes after setting turn is the wake-up. One may still sit
      // unread from a hand-over the spin phase caught early: reading it just means looking again.
      const int fd = wait_fd(pair, me);
      while (b.turn.load(std::memory_order_acquire) != me) {
        if (drain(fd)) continue;
        pollfd pfd{fd, POLLIN, 0};
        if (poll(&pfd, 1, -1) < 0 && errno != EINTR) throw_errno("poll");
      }
    }
  }

  void give_turn(Baton& b, int pair, uint32_t other, bool cooperative) {
    if (cooperative) {  // the other fiber never sleeps in the kernel: setting turn is the hand-over
      b.turn.store(other, std::memory_order_release);
      return;
    }
    if (c_.via == "condvar") {
      pthread_mutex_lock(&b.mutex);
      b.turn.store(other, std::memory_order_release);
      pthread_cond_signal(&b.cond);
      pthread_mutex_unlock(&b.mutex);
      return;
    }
    b.turn.store(other, std::memory_order_release);
    if (c_.via == "futex") {
      futex_wake_all(b.turn);
    } else {
      const uint64_t one = 1;
      const size_t n = c_.via == "pipe" ? 1 : sizeof one;
      // A full pipe is wake-ups the waiter never needed (its spin saw the turn first): one is
      // already pending, and another adds nothing.
      while (write(wake_fd(pair, other), &one, n) < 0) {
        if (errno == EAGAIN) break;
        if (errno != EINTR) throw_errno("write");
      }
    }
  }

  // Reads what woke us, if anything came; true when something did.
  static bool drain(int fd) {
    uint64_t buf;
    const ssize_t n = read(fd, &buf, sizeof buf);
    if (n > 0) return true;
    if (n < 0 && errno != EAGAIN && errno != EINTR) throw_errno("read");
    return false;
  }

  Config c_;
  SharedArray<Baton> batons_;
  std::vector<int> fds_;
};

class SwitchScenario final : public Scenario {
 public:
  std::string_view name() const override { return "switch"; }
  std::string_view summary() const override {
    return "two workers hand a token back and forth: the cost of one hand-over (a context switch)";
  }
  Shape shape() const override { return kChannelShape; }
  std::span<const ParamSpec> params() const override { return kParams; }
  std::string_view work_param(const Cell& cell) const override {
    (void)cell;
    return "handovers";
  }
  double expected_seconds(const Cell& cell) const override {
    return double(cell.params.integer("handovers")) * cell.workers * typical_handover_s(cell);
  }
  std::string unsupported(const Cell& cell) const override {
    if (cell.params.integer("handovers") % 2) return "handovers must be even: each side takes the token half the time";
    return {};
  }
  std::unique_ptr<TaskWork> make_task(const Cell& cell) const override {
    const Params& p = cell.params;
    Config c{p.str("via"), p.str("wait") == "spin", p.integer("spin_us") * 1000, uint64_t(p.integer("handovers"))};
    return std::make_unique<SwitchWork>(c, cell.workers);
  }
};

}  // namespace

const Scenario* switch_scenario() {
  static const SwitchScenario scenario;
  return &scenario;
}

}  // namespace versus
