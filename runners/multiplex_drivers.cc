#include "runners/multiplex_drivers.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench/sys/errors.h"
#include "bench/sys/fd.h"
#include "bench/sys/measure.h"
#include "runners/conversation_io.h"
#include "runners/registry.h"
#include "runners/task_phase.h"

namespace versus {
namespace {

constexpr size_t kReadBytes = 64;

// The whole multiplex on the worker of a one-thread task: set-up in prepare, rounds in run.
class OneThreadTask final : public RunnerTask {
 public:
  OneThreadTask(MultiplexWork& work, const SingleThreadMultiplex& driver) : work_(work), driver_(driver) {}

  void prepare(WorkerContext&) override {
    const int64_t t0 = now_ns();
    driver_.prepare();
    setup_s = double(now_ns() - t0) / 1e9;
  }

  void run(WorkerContext&, WorkerResult& out) override {
    const int64_t t0 = now_ns();
    uint64_t calls = 0;
    for (int r = 0; r < work_.rounds(); ++r) {
      work_.start_round(r);
      calls += driver_.consume(work_.chains_per_round());
    }
    rounds_s = double(now_ns() - t0) / 1e9;
    syscalls = calls;
    out.ops = uint64_t(work_.rounds()) * work_.events_per_round();
  }

  double setup_s = 0, rounds_s = 0;
  uint64_t syscalls = 0;

 private:
  MultiplexWork& work_;
  const SingleThreadMultiplex& driver_;
};

// A worker per descriptor (workers 1..N) and a driver (worker 0).
class PerDescriptorTask final : public RunnerTask {
 public:
  explicit PerDescriptorTask(MultiplexWork& work) : work_(work) {
    round_done_ = eventfd(0, EFD_CLOEXEC);
    if (round_done_ < 0) throw_errno("eventfd");
  }
  ~PerDescriptorTask() override { close(round_done_); }

  void prepare(WorkerContext& ctx) override {
    if (!ctx.cooperative()) return;
    set_nonblocking(ctx.index() == 0 ? round_done_ : work_.read_fd(ctx.index() - 1));
  }

  void run(WorkerContext& ctx, WorkerResult& out) override {
    if (ctx.index() == 0) {
      drive(ctx);
      out.ops = uint64_t(work_.rounds()) * work_.events_per_round();
    } else {
      serve(ctx, ctx.index() - 1);
    }
  }

  int64_t created_ns = 0;  // just before the workers were made
  double setup_s = 0, rounds_s = 0;
  Memory memory;
  std::atomic<uint64_t> syscalls{0};

 private:
  void drive(WorkerContext& ctx) {
    // Every worker first reaches its descriptor (a fiber registers it with its poller then), so
    // that the first round does not pay for N registrations: they are set-up.
    while (armed_.load() < uint64_t(work_.descriptors())) {
      if (ctx.cooperative()) {
        ctx.yield();
      } else {
        std::this_thread::yield();
      }
    }
    const int64_t t0 = now_ns();
    setup_s = double(t0 - created_ns) / 1e9;
    rounds_started_.store(true);
    for (int r = 0; r < work_.rounds(); ++r) {
      // The target rises before the round's first write, so no chain's end can be counted
      // against the round before.
      target_.fetch_add(work_.chains_per_round());
      work_.start_round(r);
      wait_round(ctx);
    }
    rounds_s = double(now_ns() - t0) / 1e9;
    // Memory now, with every worker alive: a fiber's stack goes when its body returns, before
    // the runner would sample.
    const pid_t self = getpid();
    memory = sample_memory({&self, 1});
    for (int i = 0; i < work_.descriptors(); ++i) {
      if (write(work_.write_fd(i), &kMultiplexStopByte, 1) != 1) throw_errno("write");
    }
  }

  void wait_round(WorkerContext& ctx) {
    for (;;) {
      uint64_t v;
      syscalls.fetch_add(1, std::memory_order_relaxed);
      const ssize_t n = read(round_done_, &v, sizeof v);
      if (n == sizeof v) return;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        ctx.wait_for(round_done_, kReadable);
      } else if (n < 0 && errno != EINTR) {
        throw_errno("read(eventfd)");
      }
    }
  }

  void serve(WorkerContext& ctx, int i) {
    const int fd = work_.read_fd(i);
    uint8_t buf[kReadBytes];
    uint64_t calls = 0;
    armed_.fetch_add(1);
    for (;;) {
      ++calls;
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n > 0) {
        for (ssize_t k = 0; k < n; ++k) {
          if (buf[k] == kMultiplexStopByte) {  // after the rounds: its read is not theirs
            syscalls.fetch_add(calls - 1, std::memory_order_relaxed);
            return;
          }
          if (forward_event(work_, i, buf[k])) {
            ++calls;
          } else if (ended_.fetch_add(1) + 1 == target_.load()) {
            const uint64_t one = 1;
            ++calls;
            if (write(round_done_, &one, sizeof one) != sizeof one) throw_errno("write(eventfd)");
          }
        }
      } else if (n == 0) {
        throw std::runtime_error(fmt::format("descriptor {} was closed before the last round", i));
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        // A fiber's first look at its descriptor, before the rounds, registers it: set-up.
        if (!rounds_started_.load(std::memory_order_relaxed)) --calls;
        ctx.wait_for(fd, kReadable);
      } else if (errno != EINTR) {
        throw_errno("read");
      }
    }
  }

  MultiplexWork& work_;
  int round_done_ = -1;
  std::atomic<uint64_t> armed_{0};  // workers that reached their descriptor
  std::atomic<bool> rounds_started_{false};
  std::atomic<uint64_t> target_{0};
  std::atomic<uint64_t> ended_{0};  // chains ended, over the rounds
};

}  // namespace

bool forward_event(MultiplexWork& work, int i, uint8_t b) {
  const int next = work.consumed(i, b);
  if (next < 0) return false;
  const uint8_t hop = uint8_t(b - 1);
  ssize_t n;
  do {
    n = write(work.write_fd(next), &hop, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) throw_errno("write");
  return true;
}

RunOutcome multiplex_on_one_thread(MultiplexWork& work, const Cell& cell, const SingleThreadMultiplex& driver) {
  OneThreadTask task(work, driver);
  // On the repetition's own thread, not a thread of its own: while a process has one thread the
  // kernel looks its descriptors up without counting references, so every read, write and wait
  // costs less there, as it does in a program that multiplexes on its main thread. The bare
  // round (baseline/) is such a program.
  RunOutcome out = serial_runner()->run_task(task, cell, TaskLayout{1, 1, 0});
  out.wall_s = task.rounds_s;
  out.setup_s = task.setup_s;
  out.syscalls = task.syscalls;
  return out;
}

RunOutcome multiplex_on_poller(MultiplexWork& work, const Cell& cell, std::string_view kind,
                               const PollerOptions& options) {
  std::unique_ptr<Poller> poller;
  std::vector<PollEvent> ready;
  const bool drain = options.edge_triggered || options.multishot;
  SingleThreadMultiplex driver;
  driver.prepare = [&]() -> uint64_t {
    poller = make_poller(kind, options);
    for (int i = 0; i < work.descriptors(); ++i) {
      set_nonblocking(work.read_fd(i));
      poller->add(work.read_fd(i), kReadable, uint64_t(i));
    }
    return 0;
  };
  driver.consume = [&](uint64_t target) -> uint64_t {
    uint64_t ended = 0, calls = 0;
    uint8_t buf[kReadBytes];
    while (ended < target) {
      ++calls;
      poller->wait(ready, -1);
      for (const PollEvent& ev : ready) {
        const int i = int(ev.token);
        // Level-triggered: one read, the poller reports what is left. Edge-triggered and
        // multishot report a change once: read until the descriptor is empty, which a read
        // shorter than asked already says (bytes that come after it are a change of their own).
        for (;;) {
          ++calls;
          const ssize_t n = read(ev.fd, buf, sizeof buf);
          if (n > 0) {
            for (ssize_t k = 0; k < n; ++k) {
              if (forward_event(work, i, buf[k])) {
                ++calls;
              } else {
                ++ended;
              }
            }
            if (!drain || size_t(n) < sizeof buf) break;
          } else if (n == 0) {
            throw std::runtime_error(fmt::format("descriptor {} was closed before the last round", i));
          } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
          } else if (errno != EINTR) {
            throw_errno("read");
          }
        }
      }
    }
    return calls;
  };
  return multiplex_on_one_thread(work, cell, driver);
}

RunOutcome multiplex_per_descriptor(const Runner& runner, MultiplexWork& work, const Cell& cell) {
  PerDescriptorTask task(work);
  task.created_ns = now_ns();
  RunOutcome out = runner.run_task(task, cell, TaskLayout{work.descriptors() + 1, 1, 0});
  out.wall_s = task.rounds_s;
  out.memory = task.memory;
  out.setup_s = task.setup_s;
  out.syscalls = task.syscalls.load();
  return out;
}

}  // namespace versus
