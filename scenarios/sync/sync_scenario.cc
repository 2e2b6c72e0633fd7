// sync: workers sharing data under a lock. mode=counter: each worker adds 1 to one shared counter
// `increments` times under `primitive`; without one (none) read-modify-write loses updates, which
// is the measurement. mode=event: a token goes round the workers through a condition variable.
// mode=barrier: the workers cross a barrier together, round after round. Everything lives in a
// shared mapping with process-shared attributes, so fork, pthread and fiber share the same objects.
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>

#include <atomic>

#include <fmt/format.h>

#include "bench/sys/futex.h"
#include "bench/sys/peer_cpus.h"
#include "bench/sys/shared_mapping.h"
#include "scenarios/registry.h"
#include "bench/sys/errors.h"

namespace versus {
namespace {

const ParamSpec kParams[] = {
    choice_param("mode", {"counter", "event", "barrier"},
                 "counter: shared increments under a primitive; event: a token passed round by condition "
                 "variable; barrier: all workers cross a barrier each round"),
    choice_param("primitive", {"mutex", "none", "atomic", "spinlock", "rwlock", "semaphore"},
                 "counter: what guards the increment (none: a plain load and store, which loses updates)"),
    int_param("increments", 200000, 1, int64_t{1} << 34, "counter: increments per worker"),
    int_param("rounds", 5000, 1, int64_t{1} << 30, "event: hand-overs in all; barrier: crossings"),
    int_param("yield_every", 1000, 1, int64_t{1} << 30, "increments between yields (lets fibers interleave)"),
};

void must(int err, const char* call) {
  if (err != 0) throw std::system_error(err, std::generic_category(), call);
}

// Every primitive, initialised process-shared, in one shared mapping.
struct Shared {
  std::atomic<uint64_t> counter{0};
  pthread_mutex_t mutex;
  pthread_spinlock_t spin;
  pthread_rwlock_t rwlock;
  sem_t sem;
  pthread_cond_t cond;
  pthread_barrier_t barrier;
  std::atomic<uint32_t> turn{0};     // event: whose turn it is
  std::atomic<uint64_t> passes{0};   // event: hand-overs so far
  std::atomic<uint32_t> arrived{0};  // barrier, cooperative: arrivals this round
  std::atomic<uint32_t> generation{0};
  std::atomic<uint32_t> counting{0};  // counter: workers that have begun counting

  void init(int workers) {
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    must(pthread_mutex_init(&mutex, &ma), "pthread_mutex_init");
    pthread_mutexattr_destroy(&ma);
    must(pthread_spin_init(&spin, PTHREAD_PROCESS_SHARED), "pthread_spin_init");
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_SHARED);
    must(pthread_rwlock_init(&rwlock, &ra), "pthread_rwlock_init");
    pthread_rwlockattr_destroy(&ra);
    if (sem_init(&sem, 1, 1) != 0) throw_errno("sem_init");
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    must(pthread_cond_init(&cond, &ca), "pthread_cond_init");
    pthread_condattr_destroy(&ca);
    pthread_barrierattr_t ba;
    pthread_barrierattr_init(&ba);
    pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
    must(pthread_barrier_init(&barrier, &ba, unsigned(workers)), "pthread_barrier_init");
    pthread_barrierattr_destroy(&ba);
  }
};

class SyncWork final : public TaskWork {
 public:
  SyncWork(const Params& p, int workers)
      : mode_(p.str("mode")),
        primitive_(p.str("primitive")),
        increments_(uint64_t(p.integer("increments"))),
        rounds_(uint64_t(p.integer("rounds"))),
        yield_every_(uint64_t(p.integer("yield_every"))),
        workers_(workers),
        shared_(1),
        bound_cpu_(size_t(workers)) {
    shared_[0].init(workers);
    for (int i = 0; i < workers; ++i) bound_cpu_[i].store(-1);
  }

  // Where each worker is bound, so that a spinlock waiter sharing its CPU with another worker
  // yields to it instead of spinning through the slice the holder needs (bench/sys/peer_cpus.h).
  void prepare(WorkerContext& ctx) override {
    if (!ctx.cooperative()) bound_cpu_[ctx.index()].store(sole_cpu_of_this_thread());
  }

  void run(WorkerContext& ctx, WorkerResult& out) override {
    if (mode_ == "counter") return count(ctx, out);
    if (mode_ == "event") return pass_token(ctx, out);
    cross_barriers(ctx, out);
  }

  std::string check(std::span<const WorkerResult> results) const override {
    const uint64_t want = expected();
    if (mode_ == "counter") {
      const uint64_t got = shared_[0].counter.load();
      if (primitive_ != "none" && got != want) {
        return fmt::format("the counter reads {} after {} increments under {}", got, want, primitive_);
      }
      if (got > want) return fmt::format("the counter reads {}, more than the {} increments made", got, want);
      return {};
    }
    uint64_t seen = 0;
    for (const auto& r : results) seen += r.value;
    const uint64_t want_seen = mode_ == "event" ? rounds_ : rounds_ * uint64_t(workers_);
    if (seen != want_seen)
      return fmt::format("{} {} counted, {} expected", seen, mode_ == "event" ? "hand-overs" : "crossings", want_seen);
    return {};
  }

  uint64_t answer(std::span<const WorkerResult>) const override {
    return mode_ == "counter" ? shared_[0].counter.load() : shared_[0].passes.load();
  }

  void add_measures(std::span<const WorkerResult>, Record& r) const override {
    if (mode_ == "counter") r.lost_updates = expected() - shared_[0].counter.load();
    if (primitive_ != "spinlock") return;
    for (int i = 0; i < workers_; ++i) {
      if (const int cpu = crowded_cpu(i); cpu >= 0) {
        r.message = fmt::format("spinlock: a waiter yields instead of spinning, workers share CPU {}", cpu);
        return;
      }
    }
  }

 private:
  // The CPU worker `i` is bound to when another worker is bound to it too, else -1.
  int crowded_cpu(int i) const {
    const int mine = bound_cpu_[i].load();
    if (mine < 0) return -1;
    for (int j = 0; j < workers_; ++j) {
      if (j != i && bound_cpu_[j].load() == mine) return mine;
    }
    return -1;
  }

  uint64_t expected() const { return mode_ == "counter" ? increments_ * uint64_t(workers_) : rounds_; }

  void count(WorkerContext& ctx, WorkerResult& out) {
    Shared& s = shared_[0];
    const bool coop = ctx.cooperative();
    const bool crowded = crowded_cpu(ctx.index()) >= 0;
    // The start line releases the workers together, but waking each costs tens of microseconds
    // across CPUs, as long as a short count: without this, a worker could be done before the
    // other began, and a primitive of none would lose nothing for want of overlap, not of a race.
    s.counting.fetch_add(1);
    while (ctx.concurrent() && s.counting.load() < uint32_t(workers_)) {
      if (coop) ctx.yield();
      else if (crowded) sched_yield();
      else cpu_relax();
    }
    for (uint64_t i = 0; i < increments_; ++i) {
      if (primitive_ == "none") {
        // A load and a store: another worker's increment in between is lost (seed 000's balance).
        s.counter.store(s.counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      } else if (primitive_ == "atomic") {
        s.counter.fetch_add(1, std::memory_order_relaxed);
      } else if (primitive_ == "mutex") {
        lock_mutex(s, ctx, coop);
        bump(s);
        pthread_mutex_unlock(&s.mutex);
      } else if (primitive_ == "spinlock") {
        while (pthread_spin_trylock(&s.spin) != 0) {
          if (coop) ctx.yield();
          else if (crowded) sched_yield();
          else cpu_relax();
        }
        bump(s);
        pthread_spin_unlock(&s.spin);
      } else if (primitive_ == "rwlock") {
        if (coop) {
          while (pthread_rwlock_trywrlock(&s.rwlock) != 0) ctx.yield();
        } else {
          pthread_rwlock_wrlock(&s.rwlock);
        }
        bump(s);
        pthread_rwlock_unlock(&s.rwlock);
      } else {  // semaphore, binary
        if (coop) {
          while (sem_trywait(&s.sem) != 0) ctx.yield();
        } else {
          while (sem_wait(&s.sem) != 0) {}
        }
        bump(s);
        sem_post(&s.sem);
      }
      if ((i + 1) % yield_every_ == 0) ctx.yield();
    }
    out.value = increments_;
    out.ops = increments_;
  }

  // The increment inside a lock is a plain load and store too: the lock alone makes it right.
  static void bump(Shared& s) {
    s.counter.store(s.counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  static void lock_mutex(Shared& s, WorkerContext& ctx, bool coop) {
    if (!coop) {
      pthread_mutex_lock(&s.mutex);
      return;
    }
    while (pthread_mutex_trylock(&s.mutex) != 0) ctx.yield();
  }

  // A token goes round: worker i waits for turn == i, passes it to i+1 and wakes the others.
  void pass_token(WorkerContext& ctx, WorkerResult& out) {
    Shared& s = shared_[0];
    const uint32_t me = uint32_t(ctx.index()), n = uint32_t(workers_);
    const bool coop = ctx.cooperative();
    while (true) {
      lock_mutex(s, ctx, coop);
      while (s.turn.load() != me && s.passes.load() < rounds_) {
        if (coop) {
          pthread_mutex_unlock(&s.mutex);
          ctx.yield();
          lock_mutex(s, ctx, coop);
        } else {
          pthread_cond_wait(&s.cond, &s.mutex);
        }
      }
      if (s.passes.load() >= rounds_) {
        pthread_mutex_unlock(&s.mutex);
        break;
      }
      s.passes.fetch_add(1);
      s.turn.store((me + 1) % n);
      ++out.value;
      ++out.ops;
      pthread_cond_broadcast(&s.cond);
      pthread_mutex_unlock(&s.mutex);
    }
    pthread_cond_broadcast(&s.cond);  // let the others see the end
  }

  void cross_barriers(WorkerContext& ctx, WorkerResult& out) {
    Shared& s = shared_[0];
    for (uint64_t r = 0; r < rounds_; ++r) {
      if (ctx.cooperative()) {
        // A sense-reversing barrier that yields: fibers must not block their thread.
        const uint32_t gen = s.generation.load();
        if (s.arrived.fetch_add(1) + 1 == uint32_t(workers_)) {
          s.arrived.store(0);
          s.generation.fetch_add(1);
        } else {
          while (s.generation.load() == gen) ctx.yield();
        }
      } else {
        pthread_barrier_wait(&s.barrier);
      }
      ++out.value;
    }
    if (ctx.index() == 0) {
      out.ops = rounds_;
      s.passes.store(rounds_);
    }
  }

  std::string mode_, primitive_;
  uint64_t increments_, rounds_, yield_every_;
  int workers_;
  SharedArray<Shared> shared_;
  SharedArray<std::atomic<int>> bound_cpu_;  // per worker: its one CPU, or -1
};

class SyncScenario final : public Scenario {
 public:
  std::string_view name() const override { return "sync"; }
  std::string_view summary() const override {
    return "a shared counter under none/atomic/mutex/spinlock/rwlock/semaphore; condition-variable and barrier "
           "hand-overs";
  }
  Shape shape() const override { return kTaskShape; }
  std::span<const ParamSpec> params() const override { return kParams; }
  std::string_view work_param(const Cell& cell) const override {
    return cell.params.str("mode") == "counter" ? "increments" : "rounds";
  }
  double expected_seconds(const Cell& cell) const override {
    const Params& p = cell.params;
    // A contended increment, a cache line moving between cores: some tens of nanoseconds.
    if (p.str("mode") == "counter") return double(p.integer("increments")) * cell.workers * 50e-9;
    return double(p.integer("rounds")) * cell.workers * typical_handover_s(cell);
  }
  bool needs_concurrent_workers(const Cell& cell) const override { return cell.params.str("mode") != "counter"; }
  std::string unsupported(const Cell& cell) const override {
    if (cell.params.str("mode") != "counter" && cell.workers < 2) {
      return "event and barrier hand-overs need 2 workers or more";
    }
    return {};
  }
  std::unique_ptr<TaskWork> make_task(const Cell& cell) const override {
    return std::make_unique<SyncWork>(cell.params, cell.workers);
  }
};

}  // namespace

const Scenario* sync_scenario() {
  static const SyncScenario scenario;
  return &scenario;
}

}  // namespace versus
