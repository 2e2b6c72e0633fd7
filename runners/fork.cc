// fork: one child process per worker, released together at a start line in a shared mapping.
// Each child reports its result and its own CPU use there; every child is reaped, and a child
// that dies from a signal makes the repetition `crashed`.
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "bench/limits.h"
#include "bench/process.h"
#include "runners/registry.h"
#include "runners/task_phase.h"

namespace versus {
namespace {

class ForkRunner final : public Runner {
 public:
  std::string_view name() const override { return "fork"; }
  std::string_view summary() const override { return "one child process per worker (fork)"; }
  unsigned shapes() const override { return kTaskShape | kChannelShape; }
  std::string unsupported(const Scenario& scenario, const Cell& cell) const override {
    return check_tasks(layout_of(scenario, cell).workers, "processes");
  }

  TaskOutcome run_task(TaskWork& work, const Cell&, const TaskLayout& layout) const override {
    const int n = layout.workers;
    TaskPhase phase(n, n);
    ChildSet children;  // killed and reaped on any exit from here
    for (int i = 0; i < n; ++i) {
      try {
        children.spawn([&, i] { return worker_main(work, phase, i); });
      } catch (...) {
        phase.abort();
        throw;
      }
    }

    // While waiting, a child that ended has died early: no worker leaves before let_leave().
    auto watch = [&] {
      if (auto ended = children.reap_ended()) {
        phase.abort();
        throw_for(ended->index, ended->pid, ended->status);
      }
    };
    phase.wait_ready(watch);
    const Usage before = usage_of_self();
    phase.release();
    phase.wait_done(watch);
    TaskOutcome out;
    out.usage = usage_of_self() - before;
    std::vector<pid_t> pids = children.pids();
    pids.push_back(getpid());
    out.memory = sample_memory(pids);
    phase.let_leave();

    const std::vector<int> statuses = children.reap_all();
    for (int i = 0; i < n; ++i) {
      const int st = statuses[i];
      const bool clean = WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == kWorkerFailed);
      if (!clean) throw_for(i, children.pids()[i], st);
      out.usage += phase.party_usage(i);
      out.results.push_back(phase.result(i));
    }
    out.wall_s = phase.wall_s();
    return out;
  }

 private:
  static constexpr int kWorkerFailed = 1;  // the worker's error is in its result

  static int worker_main(TaskWork& work, TaskPhase& phase, int i) {
    WorkerResult& result = phase.result(i);
    WorkerContext ctx(i, phase.workers());
    const bool prepared = run_guarded(result, [&] { work.prepare(ctx); });
    phase.arrive_and_wait_start();
    const Usage before = usage_of_self();
    if (prepared && !phase.aborted()) run_guarded(result, [&] { work.run(ctx, result); });
    phase.mark_finished(i);
    phase.party_usage(i) = usage_of_self() - before;
    phase.arrive_done_and_wait_leave();
    return result.failed ? kWorkerFailed : 0;
  }

  [[noreturn]] static void throw_for(size_t index, pid_t pid, int status) {
    std::string what = fmt::format("worker {} (pid {}) {}", index, pid, describe_wait_status(status));
    if (WIFSIGNALED(status)) throw WorkerCrashed(what);
    throw std::runtime_error(what + " before the repetition ended");
  }
};

}  // namespace

const Runner* fork_runner() {
  static const ForkRunner runner;
  return &runner;
}

}  // namespace versus
