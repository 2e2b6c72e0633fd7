// serial: the workers' shares one after another in the calling thread. The 1.0 reference that
// every speedup is measured against; with one worker it is simply the work, done once.
#include <unistd.h>

#include "runners/registry.h"
#include "runners/task_phase.h"

namespace versus {
namespace {

class SerialRunner final : public Runner {
 public:
  std::string_view name() const override { return "serial"; }
  std::string_view summary() const override {
    return "every worker's share in turn, in the calling thread (the 1.0 reference)";
  }
  unsigned shapes() const override { return kTaskShape; }
  bool concurrent() const override { return false; }

  TaskOutcome run_task(TaskWork& work, const Cell&, const TaskLayout& layout) const override {
    const int n = layout.workers;
    TaskOutcome out;
    out.results.resize(n);
    if (layout.spawn_rounds > 0) {  // nothing to create: a function call is the reference
      const Usage before = usage_of_self();
      const int64_t start = now_ns();
      for (int round = 0; round < layout.spawn_rounds; ++round) {
        for (int i = 0; i < n; ++i) {
          WorkerContext ctx(i, n);
          run_guarded(out.results[i], [&] { work.run(ctx, out.results[i]); });
        }
      }
      out.wall_s = double(now_ns() - start) * 1e-9;
      out.usage = usage_of_self() - before;
      const pid_t self = getpid();
      out.memory = sample_memory({&self, 1});
      return out;
    }
    std::vector<bool> prepared(n);
    for (int i = 0; i < n; ++i) {
      WorkerContext ctx(i, n);
      prepared[i] = run_guarded(out.results[i], [&] { work.prepare(ctx); });
    }

    const Usage before = usage_of_self();
    const int64_t start = now_ns();
    for (int i = 0; i < n; ++i) {
      if (!prepared[i]) continue;
      WorkerContext ctx(i, n);
      run_guarded(out.results[i], [&] { work.run(ctx, out.results[i]); });
    }
    out.wall_s = double(now_ns() - start) * 1e-9;
    out.usage = usage_of_self() - before;
    const pid_t self = getpid();
    out.memory = sample_memory({&self, 1});
    return out;
  }
};

}  // namespace

const Runner* serial_runner() {
  static const SerialRunner runner;
  return &runner;
}

}  // namespace versus
