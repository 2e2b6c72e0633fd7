// pthread: one OS thread per worker in the cell's process, released together at a start line.
#include <unistd.h>

#include <pthread.h>

#include <system_error>
#include <thread>

#include "bench/sys/limits.h"
#include "runners/conversation_io.h"
#include "runners/multiplex_drivers.h"
#include "runners/registry.h"
#include "runners/task_phase.h"
#include "runners/test_delay.h"

namespace versus {
namespace {

class PthreadRunner final : public Runner {
 public:
  std::string_view name() const override { return "pthread"; }
  std::string_view summary() const override { return "one OS thread per worker, in one process"; }
  unsigned shapes() const override { return kTaskShape | kChannelShape | kConversationShape | kMultiplexShape; }
  WorkerHost worker_host() const override { return WorkerHost::kThreadEach; }
  // Threads get glibc's default 8 MiB stacks.
  std::string unsupported(const Scenario& scenario, const Cell& cell) const override {
    const int n = layout_of(scenario, cell).workers;
    if (std::string why = check_tasks(n, "threads"); !why.empty()) return why;
    return check_stacks(n, int64_t{8} << 20, "threads");
  }

  RunOutcome run_conversations(ConversationWork& work, const Cell& cell) const override {
    return run_conversations_as_workers(*this, work, cell);
  }
  RunOutcome run_multiplex(MultiplexWork& work, const Cell& cell) const override {
    return multiplex_per_descriptor(*this, work, cell);
  }

  RunOutcome run_task(TaskWork& work, const Cell& cell, const TaskLayout& layout) const override {
    const int n = layout.workers;
    if (layout.spawn_rounds > 0) {
      const ScopedBinding spawner(cell, std::nullopt);
      return spawn(work, n, layout.spawn_rounds);
    }
    TaskPhase phase(n, n);
    std::vector<std::thread> threads;
    threads.reserve(n);
    auto body = [&](int i) {
      WorkerResult& result = phase.result(i);
      WorkerContext ctx(i, n);
      const bool prepared = run_guarded(result, [&] {
        bind_unit(cell, i);
        work.prepare(ctx);
      });
      phase.arrive_and_wait_start();
      const int64_t work_start = now_ns();
      if (prepared && !phase.aborted()) run_guarded(result, [&] { work.run(ctx, result); });
      test_delay(name(), work_start);
      phase.mark_finished(i);
      phase.arrive_done_and_wait_leave();
    };
    try {
      for (int i = 0; i < n; ++i) threads.emplace_back(body, i);
    } catch (...) {
      // Could not create every thread: let those that exist go without working, then report.
      phase.abort();
      for (auto& t : threads) t.join();
      throw;
    }

    const pid_t self = getpid();
    RunOutcome out = phase.measure({&self, 1});
    for (auto& t : threads) t.join();
    return out;
  }

 private:
  // pthread_create and join, round after round, with the clock running.
  static RunOutcome spawn(TaskWork& work, int n, int rounds) {
    std::vector<WorkerResult> results(n);
    std::vector<pthread_t> threads(n);
    struct Start {
      TaskWork* work;
      WorkerResult* result;
      int index, n;
    };
    std::vector<Start> starts(n);
    auto body = [](void* arg) -> void* {
      auto* s = static_cast<Start*>(arg);
      WorkerContext ctx(s->index, s->n);
      run_guarded(*s->result, [&] { s->work->run(ctx, *s->result); });
      return nullptr;
    };
    const PhaseStart start = PhaseStart::now();
    for (int round = 0; round < rounds; ++round) {
      for (int i = 0; i < n; ++i) {
        starts[i] = {&work, &results[i], i, n};
        if (const int err = pthread_create(&threads[i], nullptr, body, &starts[i]); err != 0) {
          for (int j = 0; j < i; ++j) pthread_join(threads[j], nullptr);
          throw std::system_error(err, std::generic_category(), "pthread_create");
        }
      }
      for (int i = 0; i < n; ++i) pthread_join(threads[i], nullptr);
    }
    return outcome_since(start, std::move(results));
  }
};

}  // namespace

const Runner* pthread_runner() {
  static const PthreadRunner runner;
  return &runner;
}

}  // namespace versus
