// The Scenario interface: *what* work is done. A scenario never creates processes, threads or
// fibers and never waits on descriptors itself: that is the runner's part (bench/api/runner.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "bench/api/cell.h"
#include "bench/api/params.h"

namespace versus {

// The workload shapes (README.md, Architecture). A runner states which shapes it drives (Runner::shapes),
// a scenario which shape it has; a pair whose shapes do not meet is `unsupported`.
enum Shape : unsigned {
  kTaskShape = 1u << 0,          // each worker runs a function over its share of the work
  kConversationShape = 1u << 1,  // request/response over a connected descriptor
  kChannelShape = 1u << 2,       // a producer and a consumer joined by a channel: a TaskWork
                                 // with two workers per pair, 2p the producer, 2p+1 the consumer
  kMultiplexShape = 1u << 3,     // many descriptors, few active: events consumed round by round
};

// Every shape and its name, in the order lists show them: loop over this, never over the enum.
struct ShapeInfo {
  Shape bit;
  const char* name;
};
inline constexpr ShapeInfo kShapes[] = {
    {kTaskShape, "task"},
    {kConversationShape, "conversation"},
    {kChannelShape, "channel"},
    {kMultiplexShape, "multiplex"},
};
const char* shape_name(Shape s);

// What one worker hands back. Trivially copyable and fixed in size: under fork it crosses the
// process boundary in a shared mapping.
struct WorkerResult {
  uint64_t value = 0;  // the worker's answer for its share (a prime count, a checksum)
  uint64_t ops = 0;    // units of work it did; summed into the `ops` column
  int32_t failed = 0;  // non-zero: the worker raised an error, `message` says which
  char message[236] = {};

  void fail(std::string_view why);
};

// What a worker may ask of the runner that runs it.
class WorkerContext {
 public:
  WorkerContext(int index, int workers) : index_(index), workers_(workers) {}
  virtual ~WorkerContext() = default;
  int index() const { return index_; }
  int workers() const { return workers_; }
  // A point where other workers sharing this OS thread may run (fibers switch here, as a Python
  // coroutine would at an await); elsewhere it does nothing. Long-running workers call it now
  // and then so that fibers interleave.
  virtual void yield() {}
  // True when workers share an OS thread and must never block in the kernel: they use
  // descriptors non-blocking and yield() where they would wait (fibers).
  virtual bool cooperative() const { return false; }
  // False when the runner runs the workers one after another (serial): a worker that waited for
  // another to start would wait forever.
  virtual bool concurrent() const { return true; }
  // Waits until `fd` is ready for `events` (PollBits of bench/poller/poller.h), or has hung up. A fiber
  // parks on its thread's poller so the others run; elsewhere this blocks in poll(2).
  virtual void wait_for(int fd, uint32_t events);
  // Returns at now_ns() time `due_ns` or later (at once if it has passed). A fiber parks on its
  // thread's timer so the others run; elsewhere this sleeps (clock_nanosleep).
  virtual void sleep_until(int64_t due_ns);

 private:
  int index_;
  int workers_;
};

// What every shape's repetition does once its workers are done: check the answers, give the
// overall answer, add the scenario's own measures.
class Work {
 public:
  virtual ~Work() = default;
  // After every worker finished without error: empty when the answers are right, otherwise what
  // is wrong (the repetition becomes `invalid`, never a fast number).
  virtual std::string check(std::span<const WorkerResult> results) const = 0;
  // The scenario's overall answer, reported in the `result` column.
  virtual uint64_t answer(std::span<const WorkerResult> results) const;
  // Measures beyond the common ones (bytes moved, latency percentiles), filled into `record`
  // after a successful check.
  virtual void add_measures(std::span<const WorkerResult> results, Record& record) const {
    (void)results;
    (void)record;
  }
  // What the work's own helpers (a server it started) reported going wrong during the
  // repetition, and whether one of them ended: empty when nothing. Asked once the runner is
  // done, whatever the row's status, and added to the row's message; it may read what a helper
  // wrote meanwhile, hence not const.
  virtual std::string trouble() { return {}; }
};

// One repetition of a task-shaped scenario, made fresh for each repetition by Scenario::make_task
// inside that repetition's own process. State that workers share must live in a SharedMapping.
class TaskWork : public Work {
 public:
  // In the worker's own thread, process or fiber, before the start barrier: untimed set-up of
  // the worker's own data (allocating and touching its arrays, a warm-up exchange with its peer).
  virtual void prepare(WorkerContext& ctx) { (void)ctx; }
  // The measured work of one worker. May throw: the runner records it as a failed worker.
  virtual void run(WorkerContext& ctx, WorkerResult& out) = 0;
};

class ConversationWork;  // bench/api/conversation.h
class MultiplexWork;     // bench/api/multiplex.h

class Scenario {
 public:
  virtual ~Scenario() = default;
  virtual std::string_view name() const = 0;
  virtual std::string_view summary() const = 0;
  virtual Shape shape() const = 0;
  // Internal scenarios (selftest) are left out of presets and of `versus list` without --all.
  virtual bool internal() const { return false; }
  // Every parameter the scenario reads, with its default: `versus list` shows this table, the
  // matrix validates --set against it.
  virtual std::span<const ParamSpec> params() const = 0;
  // Empty when the scenario's parameter values `params` go together; otherwise what is wrong and
  // what is accepted (stall_every_ms below stall_ms). Checked before anything runs: exit 2.
  virtual std::string params_problem(const Params& params) const {
    (void)params;
    return {};
  }
  // For a cell whose load is a share of the rate of another cell measured in the same run (redis
  // rate=P%: the same cell in a closed loop): that cell's parameters; nullopt for any other. The
  // harness takes that cell's rate from the run's rows, measuring it first when the matrix has
  // none, and hands it over as Cell::peak_ops_per_s.
  virtual std::optional<Params> peak_twin(const Cell& cell) const {
    (void)cell;
    return std::nullopt;
  }
  // True when the total work is fixed whatever the worker count (strong scaling), so a speedup
  // over serial with one worker means something; false when work grows with the workers.
  virtual bool strong_scaling() const { return false; }
  // Roughly how long one repetition of the whole work takes on one core here, in seconds. It
  // scales the default time limit of a repetition; it need not be precise.
  virtual double expected_seconds(const Cell& cell) const = 0;
  // The parameter that sets how much work one repetition of `cell` does (numbers tested, round
  // trips), its time about proportional to it, so --min-time can size it
  // (bench/harness/work_sizing.h); "" when nothing is to be sized (a fixed set of keys to scan,
  // workers kept alive).
  virtual std::string_view work_param(const Cell& cell) const {
    (void)cell;
    return {};
  }
  // True when the cell's workers wait for each other, so they must run at the same time: a
  // runner that runs them one after another (serial) cannot run it.
  virtual bool needs_concurrent_workers(const Cell& cell) const {
    (void)cell;
    return false;
  }
  // "" when the scenario can run this cell here, otherwise why not (an `unsupported` row).
  virtual std::string unsupported(const Cell& cell) const {
    (void)cell;
    return {};
  }
  // Multiplex shape: how many descriptors a repetition waits on (each one end of a pair), so a
  // runner can say beforehand what it cannot hold (select past FD_SETSIZE, a thread each).
  virtual int64_t watched_descriptors(const Cell& cell) const {
    (void)cell;
    return 0;
  }
  // How many times the runner must create, run and destroy the workers with the clock running
  // (the spawn scenario); 0, the default, means workers are made before the clock starts.
  virtual int spawn_rounds(const Cell& cell) const {
    (void)cell;
    return 0;
  }
  // Task shape: one repetition's work. Called in the repetition's process.
  virtual std::unique_ptr<TaskWork> make_task(const Cell& cell) const;
  // Conversation shape: one repetition's connections. Called in the repetition's process.
  virtual std::unique_ptr<ConversationWork> make_conversations(const Cell& cell) const;
  // Multiplex shape: one repetition's descriptors. Called in the repetition's process.
  virtual std::unique_ptr<MultiplexWork> make_multiplex(const Cell& cell) const;
};

}  // namespace versus
