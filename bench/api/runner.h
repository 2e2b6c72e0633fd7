// The Runner interface: *how* concurrency is made and how waiting is done. A runner knows
// nothing of primes or protocols: it creates the workers, releases them together, times the
// measured phase and collects what they hand back (bench/api/scenario.h).
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/api/cell.h"
#include "bench/api/conversation.h"
#include "bench/sys/interference.h"
#include "bench/sys/measure.h"
#include "bench/api/multiplex.h"
#include "bench/api/params.h"
#include "bench/api/scenario.h"
#include "bench/sys/placement.h"

namespace versus {

// What a runner's own program measured where the scenario's instruments never ran (the py-*
// runners' Python program): these stand in for the scenario's add_measures.
struct ProgramMeasures {
  std::optional<uint64_t> bytes;
  std::optional<double> lat_p50_us, lat_p90_us, lat_p99_us, lat_p999_us;
};

// What a runner measured in one repetition, whatever the cell's shape.
struct RunOutcome {
  double wall_s = 0;                                // start barrier released -> last worker done
  std::vector<WorkerResult> results;                // one per worker, in worker order
  Usage usage;                                      // CPU and context switches of the measured phase
  Memory memory;                                    // every process of the cell, sampled before workers exit
  std::optional<double> setup_s;                    // multiplex shape: set-up before the first round
  std::optional<uint64_t> syscalls;                 // multiplex shape: system calls the runner made
  std::optional<uint64_t> cpu_migrations;           // moves of the cell's threads between CPUs, measured phase
  std::optional<CpuTimes> cpu_times;                // every CPU's busy and stolen time over the measured phase
  std::optional<ProgramMeasures> program_measures;  // set only by a runner with a program of its own
};

// How many workers a task-shaped repetition has, and how they group: a channel-pair scenario
// runs a producer and a consumer per pair (workers = 2 x pairs, group = 2); a runner keeps a
// group together where placement matters (two fibers of a pair on one thread). A multiplex
// scenario run with a worker per descriptor has one per watched descriptor and a driver.
struct TaskLayout {
  int workers = 1;
  int group = 1;
  // When > 0, creation is what is measured: `spawn_rounds` times, the runner creates the workers,
  // each runs work.run once (results accumulate), and all are waited for and destroyed; the
  // clock covers all of it and there is no start barrier (bench/api/scenario.h, spawn_rounds).
  int spawn_rounds = 0;
};
TaskLayout layout_of(const Scenario& scenario, const Cell& cell);

// What a runner binds under a cell's placement: `units` processes or threads (its workers, or the
// threads it runs workers on), of which each `group` consecutive ones are the ends of one pair
// that spread keeps on different cores.
struct PlacedUnits {
  int units = 1;
  int group = 1;
};

// Where a runner's workers run, as getpid() and gettid() inside a worker show it. A runner
// with the task shape says which, and tests/runner_test.cc holds it to its word; one whose work
// is done by a program of its own says so whatever its shapes, since the scenario's work objects
// are then never called in this process and the suites built on them cannot run it.
enum class WorkerHost {
  kUndeclared,     // the default, left by runners without the task shape
  kCallingThread,  // one after another, in the thread that called the runner (serial)
  kProcessEach,    // a child process each (fork)
  kThreadEach,     // an OS thread each, in the calling process (pthread)
  kSharedThreads,  // several to a thread, on threads the runner starts for them (fiber)
  kOwnProgram,     // in a program of the runner's own, which is handed the cell (py-*)
};

// A worker process of the runner died from a signal: the repetition is `crashed`.
class WorkerCrashed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Runner {
 public:
  virtual ~Runner() = default;
  virtual std::string_view name() const = 0;
  virtual std::string_view summary() const = 0;
  // The shapes (Shape bits) this runner drives.
  virtual unsigned shapes() const = 0;
  // False for a runner that runs its workers one after another (serial): workers that wait for
  // each other would wait forever.
  virtual bool concurrent() const { return true; }
  virtual WorkerHost worker_host() const { return WorkerHost::kUndeclared; }
  // Roughly how many times longer than the C++ runners this runner takes for the same work
  // (an interpreter's loop); it scales the default time limit of a repetition.
  virtual double slowdown() const { return 1.0; }
  // What the runner binds under a placement. The default is one unit per worker of the layout
  // (the run_task workers of fork and pthread); a runner that runs workers on threads of its own
  // (fiber_threads, loop_threads) places those. Unit u is bound by bind_unit(cell, u).
  virtual PlacedUnits placed_units(const Scenario& scenario, const Cell& cell) const;
  // The runner's own parameters (fiber_threads, ...), part of a cell's identity when present.
  virtual std::span<const ParamSpec> params() const { return {}; }
  // "" when the runner can run this cell here, otherwise why not (an `unsupported` row). It is
  // asked in the harness before the cell's process starts, so it must be cheap and must not
  // leave anything behind.
  virtual std::string unsupported(const Scenario& scenario, const Cell& cell) const {
    (void)scenario;
    (void)cell;
    return {};
  }
  // Runs one repetition with layout.workers workers: each worker calls work.prepare(i), waits
  // at the start barrier, runs work.run(ctx, results[i]). The task and channel shapes both come
  // here (bench/api/scenario.h). Throws WorkerCrashed when a worker process died from a signal,
  // std::exception on other errors.
  virtual RunOutcome run_task(TaskWork& work, const Cell& cell, const TaskLayout& layout) const;
  // Runs one repetition of a conversation-shaped cell: cell.workers connections, each opened
  // with work.open before the start line and driven until its conversation is over. Results
  // come back one per connection. Throws as run_task does.
  virtual RunOutcome run_conversations(ConversationWork& work, const Cell& cell) const;
  // Runs one repetition of a multiplex-shaped cell (bench/api/multiplex.h): waits on every read end,
  // consumes each event, drives the rounds. wall_s covers the rounds only; setup_s and syscalls
  // are filled.
  virtual RunOutcome run_multiplex(MultiplexWork& work, const Cell& cell) const;
};

// Every parameter table a cell of `scenario` under `runner` carries: the scenario's, the
// runner's and every cell's own (cell_params), in that order.
std::array<std::span<const ParamSpec>, 3> param_tables(const Scenario& scenario, const Runner& runner);

// The CPU of each unit of `runner` for `cell` (bench/sys/placement.h), from its placement
// parameter and the CPUs this process was started with. Its `unsupported` says why the cell
// cannot be placed so here.
PlacementPlan placement_plan(const Scenario& scenario, const Runner& runner, const Cell& cell);
// Binds the calling thread to unit `unit`'s CPU of cell.unit_cpus (round-robin); nothing under
// placement=none. Called first thing in each worker thread, process or loop thread.
void bind_unit(const Cell& cell, int unit);
// Binds the calling thread while it lives, then gives back the binding the thread had: for a
// runner that runs workers on the thread that called it (serial: `unit` 0), or creates them
// from it where creating is what is measured (the spawn scenario: every CPU of cell.unit_cpus,
// which the workers inherit instead of binding themselves inside the clock).
class ScopedBinding {
 public:
  ScopedBinding(const Cell& cell, std::optional<int> unit);
  ~ScopedBinding();
  ScopedBinding(const ScopedBinding&) = delete;
  ScopedBinding& operator=(const ScopedBinding&) = delete;

 private:
  std::vector<int> before_;  // empty when nothing was bound
};

// The registries: explicit tables (scenarios/registry.cc, runners/registry.cc), handed to the
// harness together.
struct Catalog {
  Catalog() = default;
  Catalog(std::span<const Scenario* const> scenario_table, std::span<const Runner* const> runner_table,
          std::vector<std::string> command = {})
      : scenarios(scenario_table), runners(runner_table), repetition_command(std::move(command)) {}

  std::span<const Scenario* const> scenarios;
  std::span<const Runner* const> runners;
  // A command that runs one repetition of any cell of these tables in a process started afresh
  // (the harness appends the cell and the repetition: bench/harness/repetition.h). Empty: the
  // repetition runs in a fork of the harness, whose memory it then carries, and that memory
  // grows as the matrix runs; a fork of a larger process costs more (the spawn scenario), so a
  // program whose own tables these are gives its command, and each repetition starts the same.
  std::vector<std::string> repetition_command;

  const Scenario* scenario(std::string_view name) const;
  const Runner* runner(std::string_view name) const;
};

}  // namespace versus
