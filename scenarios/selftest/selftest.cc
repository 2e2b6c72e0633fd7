// selftest (internal): a task whose workers misbehave on demand, so tests can prove that every
// runner and the harness turn each fault into the right status, and leave nothing behind.
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <system_error>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench/sys/cell_names.h"
#include "bench/sys/kernel_files.h"
#include "scenarios/registry.h"
#include "bench/sys/errors.h"

namespace versus {
namespace {

const ParamSpec kParams[] = {
    choice_param("fault", {"none", "crash", "hang", "throw", "exit", "leak", "litter", "wrong", "interrupt", "migrate"},
                 "what the faulty worker does: none; crash (SIGSEGV); hang (sleeps forever); throw (an "
                 "exception); exit (_exit(3) mid-run); leak (starts a process in a new session and leaves it); "
                 "wrong (returns a wrong answer); interrupt (sends SIGINT to the versus run, as Ctrl-C does); migrate "
                 "(moves itself between the CPUs it may use, kMigrations times, for the cpu_migrations column)"),
    int_param("fault_worker", 0, 0, 100000, "index of the faulty worker (no fault if past the last)"),
    int_param("fault_repetition", -1, -1, 100000,
              "the repetition (0-based) in which the worker misbehaves; -1: in every one"),
    int_param("work_ms", 5, 0, 600000, "milliseconds each worker sleeps as its work"),
};

class SelftestWork final : public TaskWork {
 public:
  // Hops kMigrations times between the first two CPUs this thread may use, then gets its
  // binding back.
  static void migrate() {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) throw_errno("sched_getaffinity");
    std::vector<int> cpus;
    for (int cpu = 0; cpu < CPU_SETSIZE && cpus.size() < 2; ++cpu) {
      if (CPU_ISSET(cpu, &allowed)) cpus.push_back(cpu);
    }
    if (cpus.size() < 2) throw std::runtime_error("selftest: migrate needs two CPUs to move between");
    // The first binding may find the thread there already; each one after it is a move.
    for (int hop = 0; hop <= kMigrations; ++hop) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpus[size_t(hop % 2)], &one);
      if (sched_setaffinity(0, sizeof one, &one) != 0) throw_errno("sched_setaffinity");
    }
    if (sched_setaffinity(0, sizeof allowed, &allowed) != 0) throw_errno("sched_setaffinity");
  }

  SelftestWork(std::string fault, int fault_worker, int work_ms)
      : fault_(std::move(fault)), fault_worker_(fault_worker), work_ms_(work_ms) {}

  void run(WorkerContext& ctx, WorkerResult& out) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(work_ms_));
    out.value = 1;
    out.ops = 1;
    if (ctx.index() != fault_worker_) return;
    if (fault_ == "interrupt") {
      if (kill(harness(), SIGINT) != 0) throw_errno("kill the harness");
      return;
    }
    if (fault_ == "crash") {
      signal(SIGSEGV, SIG_DFL);  // a sanitizer's handler would turn the crash into an exit
      raise(SIGSEGV);
    } else if (fault_ == "hang") {
      while (true) pause();
    } else if (fault_ == "throw") {
      throw std::runtime_error(fmt::format("selftest: worker {} throws on purpose", ctx.index()));
    } else if (fault_ == "exit") {
      _exit(3);
    } else if (fault_ == "leak") {
      if (fork() == 0) {
        setsid();  // out of the cell's process group: only the harness's subreaper finds it
        while (true) pause();
      }
    } else if (fault_ == "litter") {
      litter();
    } else if (fault_ == "wrong") {
      out.value = 2;
    } else if (fault_ == "migrate") {
      migrate();
    }
  }

  static constexpr int kMigrations = 10;

  static void litter() {
    const int shm = shm_open(cell_ipc_name("litter").c_str(), O_CREAT | O_RDWR, 0600);
    if (shm < 0) throw_errno("shm_open");
    close(shm);
    const mqd_t mq = mq_open(cell_ipc_name("litter").c_str(), O_CREAT | O_RDWR, 0600, nullptr);
    if (mq == mqd_t(-1)) throw_errno("mq_open");
    mq_close(mq);
    const char* tmp = std::getenv("TMPDIR");
    std::ofstream(std::string(tmp ? tmp : "/tmp") + "/litter") << "left behind\n";
  }

  // The versus run: the parent of the repetition's process, which leads the repetition's
  // process group (every worker of it is in that group, whatever the runner).
  static pid_t harness() {
    const std::optional<ProcStat> stat = read_proc_stat(getpgrp());
    if (!stat) throw std::runtime_error("selftest: cannot read the repetition's parent");
    const pid_t ppid = stat->ppid;
    if (ppid <= 1) throw std::runtime_error("selftest: the repetition's process has no parent to interrupt");
    return ppid;
  }

  std::string check(std::span<const WorkerResult> results) const override {
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].value != 1) return fmt::format("worker {} answered {}, expected 1", i, results[i].value);
    }
    return {};
  }

 private:
  std::string fault_;
  int fault_worker_;
  int work_ms_;
};

class SelftestScenario final : public Scenario {
 public:
  std::string_view name() const override { return "selftest"; }
  std::string_view summary() const override { return "workers that crash, hang, throw, exit, leak or lie on demand"; }
  Shape shape() const override { return kTaskShape; }
  bool internal() const override { return true; }
  std::span<const ParamSpec> params() const override { return kParams; }
  double expected_seconds(const Cell& cell) const override {
    return double(cell.params.integer("work_ms")) * cell.workers / 1000.0;
  }
  std::unique_ptr<TaskWork> make_task(const Cell& cell) const override {
    const int64_t at = cell.params.integer("fault_repetition");
    const bool faulty = at < 0 || at == cell.repetition;
    return std::make_unique<SelftestWork>(faulty ? cell.params.str("fault") : "none",
                                          int(cell.params.integer("fault_worker")),
                                          int(cell.params.integer("work_ms")));
  }
};

}  // namespace

const Scenario* selftest_scenario() {
  static const SelftestScenario scenario;
  return &scenario;
}

}  // namespace versus
