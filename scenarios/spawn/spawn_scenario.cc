// spawn: what a worker costs to create and to keep. mode=create: the runner makes `workers`
// workers, each does a token task, and waits for them, `rounds` times, with the clock running:
// wall_s / ops is one spawn (fork+waitpid, pthread_create+join, fiber create+run+destroy; the
// fork runner's spawn=vfork|posix_spawn starts a tiny program instead). mode=alive: the workers
// are all alive at the end barrier when memory is sampled: pss_bytes / workers is the memory of
// one. mode=pool: the same number of token tasks as create, done by workers made once (a pool).
// parent_heap_mb makes the parent touch a heap first, to show what copy-on-write shares.
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "bench/sys/hot_path.h"
#include "scenarios/registry.h"

namespace versus {
namespace {

const ParamSpec kParams[] = {
    choice_param("mode", {"create", "alive", "pool"},
                 "create: timed creation and reaping of the workers; alive: memory per live worker; pool: the "
                 "same tasks as create, by workers made once"),
    int_param("rounds", 50, 1, 1 << 24, "create: times the workers are made; pool: tasks per worker"),
    int_param("worker_kb", 0, 0, 1 << 22, "KiB of memory each worker touches in its task"),
    int_param("parent_heap_mb", 0, 0, 1 << 16, "MiB the parent process touches before the workers exist"),
};

class SpawnWork final : public TaskWork {
 public:
  SpawnWork(const Params& p, int workers)
      : mode_(p.str("mode")),
        rounds_(uint64_t(p.integer("rounds"))),
        worker_bytes_(size_t(p.integer("worker_kb")) * 1024),
        workers_(workers),
        // Touched here, in the repetition's process, before any worker exists.
        heap_(size_t(p.integer("parent_heap_mb")) << 20, 1) {}

  VERSUS_HOT void run(WorkerContext& ctx, WorkerResult& out) override {
    const uint64_t tasks = mode_ == "pool" ? rounds_ : 1;
    for (uint64_t t = 0; t < tasks; ++t) {
      if (worker_bytes_) {
        std::vector<char> mine(worker_bytes_);
        std::memset(mine.data(), int(t + 1), mine.size());
        out.value += mine[mine.size() / 2] == char(t + 1) ? 1 : 0;
      } else {
        out.value += 1;
      }
      out.ops += 1;
      if (mode_ == "pool" && t % 64 == 63) ctx.yield();
    }
  }

  std::string check(std::span<const WorkerResult> results) const override {
    const uint64_t per_worker = mode_ == "alive" ? 1 : rounds_;
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].value != per_worker || results[i].ops != per_worker) {
        return fmt::format("worker {}: {} tasks done right of {} run, {} expected", i, results[i].value, results[i].ops,
                           per_worker);
      }
    }
    return {};
  }

 private:
  std::string mode_;
  uint64_t rounds_;
  size_t worker_bytes_;
  int workers_;
  std::vector<char> heap_;
};

class SpawnScenario final : public Scenario {
 public:
  std::string_view name() const override { return "spawn"; }
  std::string_view summary() const override {
    return "the cost of creating a worker (process, thread, fiber) and of keeping one alive";
  }
  Shape shape() const override { return kTaskShape; }
  std::span<const ParamSpec> params() const override { return kParams; }
  int spawn_rounds(const Cell& cell) const override {
    return cell.params.str("mode") == "create" ? int(cell.params.integer("rounds")) : 0;
  }
  // Workers kept alive are the work of `alive`: their count is `workers`, not a size.
  std::string_view work_param(const Cell& cell) const override {
    return cell.params.str("mode") == "alive" ? "" : "rounds";
  }
  double expected_seconds(const Cell& cell) const override {
    // A process made and reaped in some 150 us, a thread in 40 (benchmarks/placement.sh's machine);
    // a MiB touched in a millisecond, by the parent before the workers or by each worker.
    const Params& p = cell.params;
    const double make = 150e-6 + double(p.integer("worker_kb")) * 1e-6;
    const double heap = double(p.integer("parent_heap_mb")) * 1e-3;
    const std::string& mode = p.str("mode");
    if (mode == "alive") return double(cell.workers) * make + heap;
    if (mode == "pool") return double(cell.workers) * make + double(p.integer("rounds")) * cell.workers * 5e-6 + heap;
    return double(p.integer("rounds")) * cell.workers * make + heap;
  }
  std::unique_ptr<TaskWork> make_task(const Cell& cell) const override {
    return std::make_unique<SpawnWork>(cell.params, cell.workers);
  }
};

}  // namespace

const Scenario* spawn_scenario() {
  static const SpawnScenario scenario;
  return &scenario;
}

}  // namespace versus
