// The same cases under every runner of the registry that drives the task shape; ctest runs them
// once per runner (runner.<name>).
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <set>

#include "bench/sys/migrations.h"
#include "bench/sys/process.h"
#include "bench/harness/repetition.h"
#include "bench/sys/shared_mapping.h"
#include "runners/registry.h"
#include "runner_variants.h"
#include "scenarios/cpu/cpu.h"
#include "scenarios/registry.h"

namespace versus {
namespace {

class RunnerTest : public ::testing::TestWithParam<std::string> {
 protected:
  const Runner& runner() const { return *Catalog{all_scenarios(), all_runners()}.runner(GetParam()); }

  Cell cell(const Scenario& s, int workers, std::map<std::string, std::string> set = {}) const {
    return cell_of(s, runner(), workers, set);
  }
};

TEST_P(RunnerTest, CountsPrimesRightAtOneTwoAndThreeWorkers) {
  const uint64_t start = 1000000, count = 30011;  // odd: the static split is uneven at 2 and 3
  const uint64_t want = cpu::count_primes_trial(start, start + count);
  ASSERT_EQ(want, cpu::count_primes_sieve(start, start + count));
  for (const char* split : {"static", "dynamic"}) {
    for (int workers : {1, 2, 3}) {
      const Cell c =
          cell(*cpu_scenario(), workers, {{"count", std::to_string(count)}, {"split", split}, {"chunk", "997"}});
      const Record r = measure_repetition(*cpu_scenario(), runner(), c, 0);
      ASSERT_EQ(r.status, Status::kOk) << split << " x" << workers << ": " << r.message;
      EXPECT_EQ(r.result.value(), want) << split << " x" << workers;
      EXPECT_EQ(r.ops.value(), count);
      EXPECT_GT(r.wall_s.value(), 0);
      EXPECT_GT(r.cpu_user_s.value() + r.cpu_sys_s.value(), 0);
      EXPECT_GT(r.pss_bytes.value(), 0);
      EXPECT_GE(r.rss_peak_bytes.value(), r.pss_bytes.value() / 2);
    }
  }
}

TEST_P(RunnerTest, MembwTriadChecksItsSums) {
  const Cell c = cell(*cpu_scenario(), 3, {{"kernel", "membw"}, {"array_bytes", "3M"}, {"passes", "3"}});
  const Record r = measure_repetition(*cpu_scenario(), runner(), c, 0);
  ASSERT_EQ(r.status, Status::kOk) << r.message;
  EXPECT_EQ(r.ops.value(), 3u * ((3u << 20) / 24));
}

TEST_P(RunnerTest, WrongAnswerIsInvalid) {
  const Cell c = cell(*selftest_scenario(), 3, {{"fault", "wrong"}, {"fault_worker", "2"}, {"work_ms", "0"}});
  const Record r = measure_repetition(*selftest_scenario(), runner(), c, 0);
  EXPECT_EQ(r.status, Status::kInvalid);
  EXPECT_EQ(r.message, "worker 2 answered 2, expected 1");
  EXPECT_FALSE(r.wall_s.has_value()) << "a wrong answer is never reported as a time";
}

TEST_P(RunnerTest, WorkerExceptionIsFailed) {
  const Cell c = cell(*selftest_scenario(), 2, {{"fault", "throw"}, {"fault_worker", "1"}, {"work_ms", "0"}});
  const Record r = measure_repetition(*selftest_scenario(), runner(), c, 0);
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.message, "worker 1: selftest: worker 1 throws on purpose");
  // Not ok: no measure, never a zero that reads as one (reports/SCHEMA.md).
  EXPECT_FALSE(r.wall_s.has_value());
  EXPECT_FALSE(r.ops.has_value());
  EXPECT_FALSE(r.cpu_user_s.has_value());
}

// Where each worker ran: process and thread ids, written into shared memory.
class WhoRuns final : public TaskWork {
 public:
  explicit WhoRuns(int workers) : ids_(workers) {}
  void run(WorkerContext& ctx, WorkerResult& out) override {
    ids_[ctx.index()] = {getpid(), static_cast<pid_t>(syscall(SYS_gettid))};
    ctx.yield();
    out.value = 1;
    out.ops = 1;
  }
  std::string check(std::span<const WorkerResult>) const override { return {}; }
  SharedArray<std::pair<pid_t, pid_t>> ids_;
};

TEST_P(RunnerTest, WorkersRunWhereTheRunnerSays) {
  const int n = 3;
  WhoRuns work(n);
  const Cell c = cell(*cpu_scenario(), n);
  const RunOutcome out = runner().run_task(work, c, TaskLayout{n, 1});
  ASSERT_EQ(out.results.size(), size_t(n));
  std::set<pid_t> pids, tids;
  for (int i = 0; i < n; ++i) {
    pids.insert(work.ids_[i].first);
    tids.insert(work.ids_[i].second);
  }
  const pid_t self = getpid(), self_tid = static_cast<pid_t>(syscall(SYS_gettid));
  switch (runner().worker_host()) {
    case WorkerHost::kCallingThread:
      EXPECT_EQ(pids, std::set<pid_t>{self});
      EXPECT_EQ(tids, std::set<pid_t>{self_tid});
      break;
    case WorkerHost::kProcessEach:
      EXPECT_EQ(pids.size(), size_t(n));
      EXPECT_EQ(pids.count(self), 0u);
      break;
    case WorkerHost::kThreadEach:
      EXPECT_EQ(pids, std::set<pid_t>{self});
      EXPECT_EQ(tids.size(), size_t(n));
      break;
    case WorkerHost::kSharedThreads:
      EXPECT_EQ(pids, std::set<pid_t>{self});
      EXPECT_LT(tids.size(), size_t(n)) << "no two workers shared a thread";
      EXPECT_EQ(tids.count(self_tid), 0u);
      break;
    case WorkerHost::kOwnProgram:
      ADD_FAILURE() << "runner " << GetParam() << " runs a program of its own, which never calls WhoRuns: "
                    << "the suite should have left it out";
      break;
    case WorkerHost::kUndeclared:
      ADD_FAILURE() << "runner " << GetParam() << " drives the task shape but does not say where its workers run "
                    << "(Runner::worker_host)";
      break;
  }
}

// The CPUs each worker may run on, read inside it: a bit per CPU (the tests' machines have < 64).
class WhereBound final : public TaskWork {
 public:
  void run(WorkerContext&, WorkerResult& out) override {
    for (int cpu : Topology::here().thread_binding()) out.value |= uint64_t{1} << cpu;
    out.ops = 1;
  }
  std::string check(std::span<const WorkerResult>) const override { return {}; }
};

// Every placement binds each worker (fork, pthread), each fiber's thread (fiber) or the calling
// thread (serial) to its unit's CPU of the plan, and the thread that called the runner gets
// its own binding back.
TEST_P(RunnerTest, WorkersRunOnTheCpusOfThePlan) {
  const Topology& here = Topology::here();
  const std::vector<int> before = here.thread_binding();
  const int n = 4;
  const std::string last_cpu = "cpus:" + std::to_string(here.cpus().back());
  for (const std::string& placement : {std::string("same"), std::string("spread"), std::string("compact"), last_cpu}) {
    Cell c = cell(*cpu_scenario(), n, {{"placement", placement}, {"fiber_threads", "2"}});
    const PlacementPlan plan = placement_plan(*cpu_scenario(), runner(), c);
    ASSERT_TRUE(plan.unsupported.empty()) << placement << ": " << plan.unsupported;
    c.unit_cpus = plan.cpu_of;
    WhereBound work;
    const RunOutcome out = runner().run_task(work, c, layout_of(*cpu_scenario(), c));
    ASSERT_EQ(out.results.size(), size_t(n));
    for (int i = 0; i < n; ++i) {
      ASSERT_EQ(out.results[i].failed, 0) << out.results[i].message;
      int unit = i;  // a worker of its own: fork, pthread
      if (runner().worker_host() == WorkerHost::kCallingThread) unit = 0;
      if (runner().worker_host() == WorkerHost::kSharedThreads) unit = i % int(plan.cpu_of.size());
      const int cpu = plan.cpu_of[size_t(unit)];
      EXPECT_EQ(out.results[i].value, uint64_t{1} << cpu)
          << placement << ": worker " << i << " should be on CPU " << cpu;
    }
    EXPECT_EQ(here.thread_binding(), before) << placement << ": the calling thread kept the cell's binding";
  }
}

// Through the harness: the row says where its workers were bound.
TEST_P(RunnerTest, RowRecordsTheCpusOfItsPlacement) {
  const Topology& here = Topology::here();
  const Cell none = cell(*cpu_scenario(), 2, {{"count", "3000"}});
  const Record unpinned = measure_repetition(*cpu_scenario(), runner(), none, 0);
  ASSERT_EQ(unpinned.status, Status::kOk) << unpinned.message;
  EXPECT_EQ(unpinned.cpus, "");
  const Cell same = cell(*cpu_scenario(), 2, {{"count", "3000"}, {"placement", "same"}});
  const Record pinned = measure_repetition(*cpu_scenario(), runner(), same, 0);
  ASSERT_EQ(pinned.status, Status::kOk) << pinned.message;
  EXPECT_EQ(pinned.cpus, std::to_string(here.compact_order().front()));
}

// cpu_migrations counts the workers' moves in the measured phase: none for a worker pinned to
// one CPU, at least the selftest's hops for one that moves itself (placement none, so it may).
TEST_P(RunnerTest, CpuMigrationsCountTheWorkersMoves) {
  if (Topology::here().cpus().size() < 2) GTEST_SKIP() << "one CPU: nothing to move between";
  MigrationCount probe;
  const pid_t self = getpid();
  probe.start({&self, 1});
  if (!probe.stop()) GTEST_SKIP() << "neither /proc nor perf_event counts migrations here: " << probe.why();
  const Cell pinned = cell(*selftest_scenario(), 1, {{"work_ms", "20"}, {"placement", "same"}});
  const Record still = measure_repetition(*selftest_scenario(), runner(), pinned, 0);
  ASSERT_EQ(still.status, Status::kOk) << still.message;
  ASSERT_TRUE(still.cpu_migrations.has_value());
#if defined(__SANITIZE_THREAD__)
  // The count is of the workers' processes' threads, and ThreadSanitizer runs one of its own in
  // each, unpinned, waking every 100 ms: over a 20 ms phase it may move once (seen here).
  EXPECT_LE(*still.cpu_migrations, 1u);
#else
  EXPECT_EQ(*still.cpu_migrations, 0u);
#endif
  const Cell moving = cell(*selftest_scenario(), 1, {{"work_ms", "0"}, {"fault", "migrate"}});
  const Record moved = measure_repetition(*selftest_scenario(), runner(), moving, 0);
  ASSERT_EQ(moved.status, Status::kOk) << moved.message;
  ASSERT_TRUE(moved.cpu_migrations.has_value());
  EXPECT_GE(*moved.cpu_migrations, 10u);
}

TEST_P(RunnerTest, NoChildOfOursOutlivesTheRepetition) {
  const Cell c = cell(*cpu_scenario(), 3, {{"count", "3000"}});
  const Record r = measure_repetition(*cpu_scenario(), runner(), c, 0);
  ASSERT_EQ(r.status, Status::kOk) << r.message;
  EXPECT_TRUE(descendants().empty());
}

INSTANTIATE_TEST_SUITE_P(Each, RunnerTest, ::testing::ValuesIn(runners_driving(all_runners(), kTaskShape)),
                         VariantTestName());

}  // namespace
}  // namespace versus
