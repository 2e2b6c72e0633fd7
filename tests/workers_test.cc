// The spawn, switch and sync scenarios under each runner (ctest: workers.<runner>): counts that
// must be exact, and primitives that must really be shared between processes.
#include <gtest/gtest.h>

#include <map>

#include "bench/sys/process.h"
#include "bench/harness/repetition.h"
#include "runners/registry.h"
#include "runner_variants.h"
#include "scenarios/registry.h"

namespace versus {
namespace {

class WorkersTest : public ::testing::TestWithParam<std::string> {
 protected:
  Record run(const Scenario& s, int workers, std::map<std::string, std::string> set = {}) {
    const Runner& r = runner();
    const Cell c = cell_of(s, r, workers, set);
    if (std::string why = why_unsupported(s, r, c); !why.empty()) {
      Record u = record_for(c, 0);
      u.status = Status::kUnsupported;
      u.message = why;
      return u;
    }
    return measure_repetition(s, r, c, 0);
  }
  const Runner& runner() const { return *catalog_.runner(GetParam()); }
  Catalog catalog_{all_scenarios(), all_runners()};
};

TEST_P(WorkersTest, SpawnCountsEverySpawnAndLeavesNoZombie) {
  const Record r = run(*spawn_scenario(), 3, {{"mode", "create"}, {"rounds", "5"}, {"worker_kb", "64"}});
  ASSERT_EQ(r.status, Status::kOk) << r.message;
  EXPECT_EQ(r.ops.value(), 15u);
  EXPECT_EQ(r.result.value(), 15u);
  EXPECT_TRUE(descendants().empty()) << "a child was left (a zombie or worse)";
  if (GetParam() == "fork") {
    for (const char* how : {"vfork", "posix_spawn"}) {
      const Record p = run(*spawn_scenario(), 3, {{"mode", "create"}, {"rounds", "4"}, {"spawn", how}});
      ASSERT_EQ(p.status, Status::kOk) << how << ": " << p.message;
      EXPECT_EQ(p.ops.value(), 12u) << how;
      EXPECT_TRUE(descendants().empty()) << how;
    }
    const Record task = run(*spawn_scenario(), 3, {{"mode", "alive"}, {"spawn", "vfork"}});
    EXPECT_EQ(task.status, Status::kUnsupported) << "vfork runs a program, not a worker";
  }
}

TEST_P(WorkersTest, SpawnAliveAndPoolCountTheirTasks) {
  const Record alive = run(*spawn_scenario(), 4, {{"mode", "alive"}, {"worker_kb", "256"}});
  ASSERT_EQ(alive.status, Status::kOk) << alive.message;
  EXPECT_EQ(alive.ops.value(), 4u);
  EXPECT_GT(alive.pss_bytes.value(), 0);
  const Record pool = run(*spawn_scenario(), 4, {{"mode", "pool"}, {"rounds", "100"}});
  ASSERT_EQ(pool.status, Status::kOk) << pool.message;
  EXPECT_EQ(pool.ops.value(), 400u);
}

TEST_P(WorkersTest, SwitchCountsEveryHandOver) {
  for (const char* via : {"futex", "pipe", "eventfd", "condvar"}) {
    for (const char* wait : {"block", "spin"}) {
      const Record r =
          run(*switch_scenario(), 2, {{"via", via}, {"wait", wait}, {"handovers", "2000"}, {"spin_us", "5"}});
      if (!runner().concurrent()) {
        EXPECT_EQ(r.status, Status::kUnsupported);
        continue;
      }
      ASSERT_EQ(r.status, Status::kOk) << via << " " << wait << ": " << r.message;
      EXPECT_EQ(r.ops.value(), 2u * 2000u) << via;
    }
  }
}

// A waiter that spins sees the turn before the wake-up byte it then leaves unread: past the
// pipe's 64 KiB of them, the giver's write finds the pipe full, which is no error (one is pending).
TEST_P(WorkersTest, SpinningSwitchOverAPipeOutlastsThePipesCapacity) {
  const Record r = run(*switch_scenario(), 1,
                       {{"via", "pipe"}, {"wait", "spin"}, {"handovers", "140000"}, {"spin_us", "20"},
                        {"placement", "spread"}});
  if (r.status == Status::kUnsupported) GTEST_SKIP() << r.message;
  ASSERT_EQ(r.status, Status::kOk) << r.message;
  EXPECT_EQ(r.ops.value(), 140000u);
}

TEST_P(WorkersTest, SyncCountIsExactForEveryPrimitiveButNone) {
  const uint64_t each = 20000;
  for (const char* primitive : {"atomic", "mutex", "spinlock", "rwlock", "semaphore"}) {
    const Record r = run(*sync_scenario(), 3,
                         {{"primitive", primitive}, {"increments", std::to_string(each)}, {"yield_every", "97"}});
    ASSERT_EQ(r.status, Status::kOk) << primitive << ": " << r.message;
    EXPECT_EQ(r.result.value(), 3 * each) << primitive;
    EXPECT_EQ(r.lost_updates.value(), 0u) << primitive;
    EXPECT_EQ(r.ops.value(), 3 * each);
  }
  const Record none = run(*sync_scenario(), 3, {{"primitive", "none"}, {"increments", std::to_string(each)}});
  ASSERT_EQ(none.status, Status::kOk) << "lost updates are the result, not an error: " << none.message;
  EXPECT_EQ(none.result.value() + none.lost_updates.value(), 3 * each);
}

// Under fork the lock must live in shared memory: a private copy per process would let the
// processes' increments collide, and the count would come out short.
TEST_P(WorkersTest, ProcessSharedLocksAreReallyShared) {
  if (runner().worker_host() != WorkerHost::kProcessEach) GTEST_SKIP() << "one process: nothing to share across";
  const uint64_t each = 2000000;
  // First make sure the two processes do collide here: without a lock updates are lost. On a
  // machine too busy to run them at once the check below could not fail, so it is skipped.
  const Record none = run(*sync_scenario(), 2, {{"primitive", "none"}, {"increments", std::to_string(each)}});
  ASSERT_EQ(none.status, Status::kOk) << none.message;
  if (none.lost_updates.value() == 0) GTEST_SKIP() << "the two processes never ran at the same time";
  for (const char* primitive : {"mutex", "spinlock", "semaphore", "rwlock"}) {
    const Record r = run(*sync_scenario(), 2, {{"primitive", primitive}, {"increments", std::to_string(each)}});
    ASSERT_EQ(r.status, Status::kOk) << primitive << ": " << r.message;
    EXPECT_EQ(r.result.value(), 2 * each) << primitive;
  }
}

TEST_P(WorkersTest, EventAndBarrierCountTheirRounds) {
  for (const char* mode : {"event", "barrier"}) {
    const Record r = run(*sync_scenario(), 3, {{"mode", mode}, {"rounds", "300"}});
    if (!runner().concurrent()) {
      EXPECT_EQ(r.status, Status::kUnsupported) << "serial workers cannot wait for each other";
      continue;
    }
    ASSERT_EQ(r.status, Status::kOk) << mode << ": " << r.message;
    EXPECT_EQ(r.ops.value(), 300u) << mode;
  }
}

INSTANTIATE_TEST_SUITE_P(Each, WorkersTest, ::testing::ValuesIn(runners_driving(all_runners(), kTaskShape)),
                         VariantTestName());

}  // namespace
}  // namespace versus
