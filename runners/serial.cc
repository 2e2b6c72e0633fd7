// serial: the workers' shares one after another in the calling thread. The 1.0 reference that
// every speedup is measured against; with one worker it is simply the work, done once.
#include <unistd.h>

#include <algorithm>

#include "runners/registry.h"
#include "runners/task_phase.h"

namespace versus {
namespace {

class SerialContext final : public WorkerContext {
 public:
  using WorkerContext::WorkerContext;
  bool concurrent() const override { return false; }
};

class SerialRunner final : public Runner {
 public:
  std::string_view name() const override { return "serial"; }
  std::string_view summary() const override {
    return "every worker's share in turn, in the calling thread (the 1.0 reference)";
  }
  unsigned shapes() const override { return kTaskShape; }
  bool concurrent() const override { return false; }
  WorkerHost worker_host() const override { return WorkerHost::kCallingThread; }

  // One unit: the calling thread, which does every worker's share.
  PlacedUnits placed_units(const Scenario&, const Cell&) const override { return {1, 1}; }

  RunOutcome run_task(TaskWork& work, const Cell& cell, const TaskLayout& layout) const override {
    const ScopedBinding calling_thread(cell, 0);
    const int n = layout.workers;
    std::vector<WorkerResult> results(n);
    // With spawn rounds there is nothing to create: calling the function is the reference.
    const int rounds = std::max(1, layout.spawn_rounds);
    std::vector<bool> prepared(n, true);
    if (layout.spawn_rounds == 0) {
      for (int i = 0; i < n; ++i) {
        SerialContext ctx(i, n);
        prepared[i] = run_guarded(results[i], [&] { work.prepare(ctx); });
      }
    }
    // The repetition's process: this thread is the one that works.
    const pid_t self = getpid();
    MigrationCount migrations;
    migrations.start({&self, 1});
    const PhaseStart start = PhaseStart::now();
    for (int round = 0; round < rounds; ++round) {
      for (int i = 0; i < n; ++i) {
        if (!prepared[i]) continue;
        SerialContext ctx(i, n);
        run_guarded(results[i], [&] { work.run(ctx, results[i]); });
      }
    }
    RunOutcome out = outcome_since(start, std::move(results));
    out.cpu_migrations = migrations.stop();
    return out;
  }
};

}  // namespace

const Runner* serial_runner() {
  static const SerialRunner runner;
  return &runner;
}

}  // namespace versus
