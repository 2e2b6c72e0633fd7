// fiber: one fiber per worker (Boost.Context), spread round-robin over `fiber_threads` OS
// threads, each running its fibers with a round-robin scheduler. With one thread this is the
// coroutine picture of the seed notes: many workers, one core at a time, like Python under the
// GIL. A fiber runs until it yields (WorkerContext::yield) or finishes.
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "bench/limits.h"
#include "runners/fiber.h"
#include "runners/registry.h"
#include "runners/task_phase.h"

namespace versus {
namespace {

class FiberContext final : public WorkerContext {
 public:
  using WorkerContext::WorkerContext;
  void yield() override { Fiber::yield(); }
};

const ParamSpec kParams[] = {
    int_param("fiber_threads", 1, 1, 1024, "OS threads the fibers are spread over"),
    int_param("fiber_stack_kb", 256, 16, 65536, "stack size of each fiber in KiB (plus a guard page)"),
};

class FiberRunner final : public Runner {
 public:
  std::string_view name() const override { return "fiber"; }
  std::string_view summary() const override {
    return "one fiber per worker (Boost.Context) on fiber_threads OS threads";
  }
  unsigned shapes() const override { return kTaskShape; }
  std::span<const ParamSpec> params() const override { return kParams; }
  std::string unsupported(const Scenario&, const Cell& cell) const override {
    const int64_t threads = std::min<int64_t>(cell.params.integer("fiber_threads"), cell.workers);
    if (std::string why = check_tasks(threads, "fiber threads"); !why.empty()) return why;
    return check_stacks(cell.workers + threads, cell.params.integer("fiber_stack_kb") * 1024, "fibers");
  }

  TaskOutcome run_task(TaskWork& work, const Cell& cell) const override {
    const int n = cell.workers;
    const int threads_wanted = static_cast<int>(cell.params.integer("fiber_threads"));
    const int nthreads = std::min(threads_wanted, n);  // a thread without fibers has nothing to do
    const size_t stack_bytes = size_t(cell.params.integer("fiber_stack_kb")) * 1024;
    TaskPhase phase(n, nthreads);

    auto thread_body = [&](int t) {
      FiberScheduler scheduler(stack_bytes);
      for (int i = t; i < n; i += nthreads) {
        WorkerResult& result = phase.result(i);
        const bool prepared = run_guarded(result, [&] { work.prepare(i); });
        scheduler.spawn([&, i, prepared] {
          FiberContext ctx(i, n);
          if (prepared && !phase.aborted()) run_guarded(phase.result(i), [&] { work.run(ctx, phase.result(i)); });
          phase.mark_finished(i);
        });
      }
      phase.arrive_and_wait_start();
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
    phase.wait_ready();
    const Usage before = usage_of_self();
    phase.release();
    phase.wait_done();
    TaskOutcome out;
    out.usage = usage_of_self() - before;
    const pid_t self = getpid();
    out.memory = sample_memory({&self, 1});
    phase.let_leave();
    for (auto& th : threads) th.join();
    out.wall_s = phase.wall_s();
    for (int i = 0; i < n; ++i) out.results.push_back(phase.result(i));
    return out;
  }
};

}  // namespace

const Runner* fiber_runner() {
  static const FiberRunner runner;
  return &runner;
}

}  // namespace versus
