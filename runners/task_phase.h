// The measured phase of a task-shaped repetition, the same for every task runner: workers
// prepare, gather at a start line, are released together, record when they finish, and stay
// alive until the controller has sampled their memory. It lives in a shared mapping and waits
// on futexes that are not process-private, so it works between threads and between processes.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

#include "bench/sys/futex.h"
#include "bench/sys/measure.h"
#include "bench/sys/migrations.h"
#include "bench/api/runner.h"
#include "bench/api/scenario.h"
#include "bench/sys/shared_mapping.h"

namespace versus {

class TaskPhase {
 public:
  // `workers` results; `parties` threads or processes that meet at the start line (a fiber
  // thread is one party for all its fibers).
  TaskPhase(int workers, int parties);

  // Worker (party) side.
  void arrive_and_wait_start();
  void mark_finished(int worker) { finish_ns_[worker] = now_ns(); }
  void arrive_done_and_wait_leave();

  // Controller side. `poll` runs every few milliseconds while waiting; it throws to give up
  // (a worker process died, say).
  void wait_ready(const std::function<void()>& poll = {});
  void release();  // starts the clock
  void wait_done(const std::function<void()>& poll = {});
  void let_leave();
  // Gives up on the repetition: parties still waiting are let through without working.
  void abort();
  bool aborted() const { return line_[0].aborted.load(std::memory_order_acquire) != 0; }

  // The controller's whole part: waits for every party at the start line, starts the clock,
  // waits for all to finish, takes this process's CPU use and the memory of `pids` (this
  // process included) while the workers are still alive, counts how often the workers' threads
  // moved between CPUs meanwhile, lets them leave and collects results.
  // `poll` as for wait_ready. The caller then joins or reaps its workers.
  RunOutcome measure(std::span<const pid_t> pids, const std::function<void()>& poll = {});

  double wall_s() const;  // release -> latest finish
  WorkerResult& result(int worker) { return results_[worker]; }
  // A party's own CPU use during the phase, where parties are processes.
  Usage& party_usage(int party) { return party_usage_[party]; }
  int workers() const { return static_cast<int>(results_.size()); }
  int parties() const { return parties_; }

 private:
  struct Line {
    std::atomic<uint32_t> ready{0};
    std::atomic<uint32_t> go{0};
    std::atomic<uint32_t> done{0};
    std::atomic<uint32_t> leave{0};
    std::atomic<uint32_t> aborted{0};
    int64_t start_ns = 0;
  };
  int parties_;
  SharedArray<Line> line_;
  SharedArray<WorkerResult> results_;
  SharedArray<int64_t> finish_ns_;
  SharedArray<Usage> party_usage_;
};

}  // namespace versus

namespace versus {

// The readings a measured phase starts from, taken just before its clock starts.
struct PhaseStart {
  int64_t ns = 0;
  bool children = false;              // whether `usage` counts the reaped children's too
  Usage usage;                        // this process's, and with `children` its reaped children's
  std::optional<CpuTimes> cpu_times;  // the machine's CPUs
  static PhaseStart now(bool children = false);
};

// The outcome of workers run in this process (and, when `start` counted them, in children it
// reaped), timed from `start` to now: wall time, CPU use, the CPUs' clocks, this process's memory.
RunOutcome outcome_since(const PhaseStart& start, std::vector<WorkerResult> results);

// A task a runner builds around the work of another shape (conversations, multiplexed
// descriptors) to use the task machinery: the harness checks that work itself, not this.
class RunnerTask : public TaskWork {
 public:
  std::string check(std::span<const WorkerResult>) const override { return {}; }
};

// Runs `step` (a worker's prepare or run), turning an exception into a failed result, so one
// worker's error is reported as that worker's and never unwinds through a runner.
template <typename F>
bool run_guarded(WorkerResult& result, F&& step) {
  try {
    step();
    return true;
  } catch (const std::exception& e) {
    result.fail(e.what());
  }
  return false;
}

}  // namespace versus
