// fiber: one fiber per worker (Boost.Context), spread round-robin over `fiber_threads` OS
// threads, each running its fibers with a round-robin scheduler. With one thread this is the
// coroutine picture of the seed notes: many workers, one core at a time, like Python under the
// GIL. A fiber runs until it yields (WorkerContext::yield) or finishes.
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "bench/sys/limits.h"
#include "bench/poller/poller.h"
#include "runners/conversation_io.h"
#include "runners/event_loop.h"
#include "runners/fiber_scheduler.h"
#include "runners/multiplex_drivers.h"
#include "runners/registry.h"
#include "runners/task_phase.h"

namespace versus {
namespace {

class FiberContext final : public WorkerContext {
 public:
  using WorkerContext::WorkerContext;
  void yield() override { FiberScheduler::yield(); }
  bool cooperative() const override { return true; }
  void wait_for(int fd, uint32_t events) override { FiberScheduler::wait_for(fd, events); }
  void sleep_until(int64_t due_ns) override { FiberScheduler::sleep_until(due_ns); }
};

const ParamSpec kParams[] = {
    int_param("fiber_threads", 1, 1, 1024, "OS threads the fibers are spread over"),
    int_param("fiber_stack_kb", 256, 16, 65536, "stack size of each fiber in KiB (plus a guard page, but for fixed)"),
    // Read by stacks_of below; the kinds are described in fiber_stacks.h.
    choice_param("fiber_stack", {kStackKindNames[0].data(), kStackKindNames[1].data(), kStackKindNames[2].data()},
                 "where a fiber's stack comes from: pooled, guarded stacks reused from fiber to fiber on a thread; "
                 "protected, a guarded stack mapped and unmapped for each fiber; fixed, malloc'd for each, no guard"),
    choice_param("fiber_poller", {"epoll", "io_uring"},
                 "what a thread waits on when its fibers are parked on descriptors (conversations)"),
};

// The stacks of one thread's fibers, as the cell asks.
FiberStacks stacks_of(const Cell& cell) {
  return FiberStacks(stack_kind(cell.params.str("fiber_stack")), size_t(cell.params.integer("fiber_stack_kb")) * 1024);
}

class FiberRunner final : public Runner {
 public:
  std::string_view name() const override { return "fiber"; }
  std::string_view summary() const override {
    return "one fiber per worker (Boost.Context) on fiber_threads OS threads";
  }
  unsigned shapes() const override { return kTaskShape | kChannelShape | kConversationShape | kMultiplexShape; }
  WorkerHost worker_host() const override { return WorkerHost::kSharedThreads; }
  std::span<const ParamSpec> params() const override { return kParams; }
  std::string unsupported(const Scenario& scenario, const Cell& cell) const override {
    if (scenario.shape() == kConversationShape || scenario.shape() == kMultiplexShape) {
      const std::string& poller = cell.params.str("fiber_poller");
      if (std::string why = poller_unsupported(poller, PollerOptions{}, highest_fd_for(scenario, cell)); !why.empty()) {
        return "fiber_poller=" + poller + ": " + why;
      }
    }
    const TaskLayout layout = layout_of(scenario, cell);
    const int64_t threads = threads_for(cell, layout);
    if (std::string why = check_tasks(threads, "fiber threads"); !why.empty()) return why;
    return check_stacks(layout.workers + threads, cell.params.integer("fiber_stack_kb") * 1024, "fibers");
  }

  RunOutcome run_conversations(ConversationWork& work, const Cell& cell) const override {
    return run_conversations_as_workers(*this, work, cell);
  }
  RunOutcome run_multiplex(MultiplexWork& work, const Cell& cell) const override {
    return multiplex_per_descriptor(*this, work, cell);
  }

  RunOutcome run_task(TaskWork& work, const Cell& cell, const TaskLayout& layout) const override {
    const int n = layout.workers;
    const int nthreads = threads_for(cell, layout);
    if (layout.spawn_rounds > 0) {
      const ScopedBinding spawner(cell, std::nullopt);
      return spawn(work, n, layout.spawn_rounds, cell);
    }
    TaskPhase phase(n, nthreads);

    // Each thread's poller, made here so that a kernel's refusal fails the repetition plainly.
    std::vector<std::unique_ptr<Poller>> pollers;
    for (int t = 0; t < nthreads; ++t) pollers.push_back(make_poller(cell.params.str("fiber_poller")));

    // Groups (the two peers of a channel pair) go round-robin over the threads, whole. Each fiber
    // prepares inside itself, so peers can talk while preparing (a warm-up), then waits for the
    // release of the thread's start line.
    auto thread_body = [&](int t) {
      std::string unbound;  // a thread that could not be bound fails its fibers, not the process
      try {
        bind_unit(cell, t);
      } catch (const std::exception& e) {
        unbound = e.what();
      }
      FiberStacks stacks = stacks_of(cell);
      FiberScheduler scheduler(stacks, pollers[t].get());
      int mine = 0, prepared = 0;
      bool released = false;
      for (int i = 0; i < n; ++i) {
        if ((i / layout.group) % nthreads != t) continue;
        ++mine;
        scheduler.spawn([&, i] {
          FiberContext ctx(i, n);
          WorkerResult& result = phase.result(i);
          const bool ok = run_guarded(result, [&] {
            if (!unbound.empty()) throw std::runtime_error(unbound);
            work.prepare(ctx);
          });
          ++prepared;
          while (!released) Fiber::yield();
          if (ok && !phase.aborted()) run_guarded(result, [&] { work.run(ctx, result); });
          phase.mark_finished(i);
        });
      }
      scheduler.run_until([&] { return prepared == mine; });
      phase.arrive_and_wait_start();
      released = true;
      scheduler.run();
      phase.arrive_done_and_wait_leave();
    };

    std::vector<std::thread> threads;
    try {
      for (int t = 0; t < nthreads; ++t) threads.emplace_back(thread_body, t);
    } catch (...) {
      phase.abort();
      for (auto& th : threads) th.join();
      throw;
    }
    const pid_t self = getpid();
    RunOutcome out = phase.measure({&self, 1});
    for (auto& th : threads) th.join();
    return out;
  }

 private:
  // Fibers created (stack and context), run to the end and destroyed, round after round, on the
  // calling thread, with the clock running. Pooled stacks are kept from round to round, as a
  // program making fibers all along would keep them.
  static RunOutcome spawn(TaskWork& work, int n, int rounds, const Cell& cell) {
    std::vector<WorkerResult> results(n);
    FiberStacks stacks = stacks_of(cell);
    // One scheduler for every round, as a program would keep its own: its run queue is not
    // made and unmade with each round's fibers.
    FiberScheduler scheduler(stacks);
    // Each fiber's body holds a pointer and its index, 16 bytes, which std::function keeps in
    // itself: a wider closure (a reference per variable) would cost an allocation per fiber.
    struct Round {
      TaskWork& work;
      std::vector<WorkerResult>& results;
      int n;
    } const round_of{work, results, n};
    const PhaseStart start = PhaseStart::now();
    for (int round = 0; round < rounds; ++round) {
      for (int i = 0; i < n; ++i) {
        scheduler.spawn([r = &round_of, i] {
          FiberContext ctx(i, r->n);
          run_guarded(r->results[i], [&] { r->work.run(ctx, r->results[i]); });
        });
      }
      scheduler.run();
    }
    return outcome_since(start, std::move(results));
  }

  // The fiber threads are what is bound (one of them where creation is measured).
  PlacedUnits placed_units(const Scenario& scenario, const Cell& cell) const override {
    const TaskLayout layout = layout_of(scenario, cell);
    return {layout.spawn_rounds > 0 ? 1 : threads_for(cell, layout), 1};
  }

  // A thread without a group of fibers would have nothing to do.
  static int threads_for(const Cell& cell, const TaskLayout& layout) {
    const int groups = layout.workers / layout.group;
    return static_cast<int>(std::min<int64_t>(cell.params.integer("fiber_threads"), groups));
  }
};

}  // namespace

const Runner* fiber_runner() {
  static const FiberRunner runner;
  return &runner;
}

}  // namespace versus
