// Faults injected through the selftest scenario, run the way the harness runs a cell: in an
// isolated child process, forked from the harness or exec'd afresh (Catalog::repetition_command,
// as `versus run` does). Each must give the right status and message, the same either way, and
// leave nothing behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <vector>

#include "bench/harness/isolate.h"
#include "bench/sys/process.h"
#include "bench/harness/repetition.h"
#include "leftovers.h"
#include "runners/registry.h"
#include "runner_variants.h"
#include "scenarios/registry.h"

namespace versus {
namespace {

// A mark in the environment that every process forked from this test inherits, so that the
// search below finds ours and not those of a copy of this test running in parallel.
std::string our_mark() { return "VERSUS_ISOLATION_TEST=" + std::to_string(getpid()); }

// Processes carrying our mark, other than this one: a leaked worker is a fork of us, wherever it
// went (another session, another parent).
std::vector<pid_t> other_copies_of_us() {
  std::vector<pid_t> out;
  const std::string mark = our_mark();
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (pid == getpid()) continue;
    std::ifstream in(e.path() / "environ", std::ios::binary);
    std::string var;
    while (std::getline(in, var, '\0')) {
      if (var == mark) out.push_back(pid);
    }
  }
  return out;
}

class IsolationTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    install_interrupt_handlers();
    const std::string mark = our_mark();
    setenv("VERSUS_ISOLATION_TEST", mark.substr(mark.find('=') + 1).c_str(), 1);
  }

  // The exec'd row, after checking the forked one says the same (but for process ids).
  Record run(const std::string& fault, int workers = 2, double timeout = 20) {
    Cell c = cell_of(*forking_.scenario("selftest"), *forking_.runner(GetParam()), workers,
                     {{"fault", fault}, {"fault_worker", "1"}, {"work_ms", "1"}});
    c.timeout_s = timeout;
    const Record forked = run_clean(forking_, c);
    const Record execd = run_clean(execing_, c);
    EXPECT_EQ(forked.status, execd.status) << forked.message << " / " << execd.message;
    EXPECT_EQ(without_pids(forked.message), without_pids(execd.message));
    return execd;
  }

  Record run_clean(const Catalog& catalog, const Cell& c) {
    Record r = execute_repetition(catalog, c, 0);
    EXPECT_TRUE(descendants().empty()) << "a process of the cell survived";
    EXPECT_TRUE(other_copies_of_us().empty()) << "a process of the cell survived outside our tree";
    return r;
  }

  static std::string without_pids(const std::string& message) {
    return std::regex_replace(message, std::regex("pid [0-9]+"), "pid N");
  }

  Catalog forking_{all_scenarios(), all_runners()};
  Catalog execing_{all_scenarios(), all_runners(), {VERSUS_BINARY, "repetition"}};
};

TEST_P(IsolationTest, HealthyCellIsOk) {
  const Record r = run("none");
  EXPECT_EQ(r.status, Status::kOk) << r.message;
  EXPECT_EQ(r.message, "");
}

TEST_P(IsolationTest, CrashIsCrashedNamingTheSignal) {
  const Record r = run("crash");
  EXPECT_EQ(r.status, Status::kCrashed);
  EXPECT_NE(r.message.find("killed by signal SIGSEGV"), std::string::npos) << r.message;
  if (forking_.runner(GetParam())->worker_host() == WorkerHost::kProcessEach) {
    EXPECT_EQ(r.message.rfind("worker 1 (pid ", 0), 0u) << r.message;
  }
}

TEST_P(IsolationTest, HangIsTimeoutAndKilled) {
  const Record r = run("hang", 2, 1.0);
  EXPECT_EQ(r.status, Status::kTimeout);
  EXPECT_NE(r.message.find("time limit of 1.0 s"), std::string::npos) << r.message;
}

TEST_P(IsolationTest, ThrowIsFailedWithTheMessage) {
  const Record r = run("throw");
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.message, "worker 1: selftest: worker 1 throws on purpose");
}

TEST_P(IsolationTest, ExitMidRunIsFailed) {
  const Record r = run("exit");
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_NE(r.message.find("exited with status 3"), std::string::npos) << r.message;
}

TEST_P(IsolationTest, LeakedProcessIsKilledAndReported) {
  const Record r = run("leak");
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_EQ(r.message, "1 process(es) left behind by the cell were killed");
}

TEST_P(IsolationTest, LitterIsRemovedAndReported) {
  const LeftoverWatch watch;
  const Record r = run("litter");
  EXPECT_EQ(r.status, Status::kOk);
  // The faulty worker leaves a shared-memory object, a queue and a file, whatever the runner.
  EXPECT_EQ(r.message, "3 shared-memory, queue or temporary name(s) left by the cell were removed") << r.message;
  for (const auto& path : watch.left()) ADD_FAILURE() << path << " was left";
}

TEST_P(IsolationTest, WrongAnswerIsInvalid) {
  const Record r = run("wrong");
  EXPECT_EQ(r.status, Status::kInvalid);
  EXPECT_EQ(r.message, "worker 1 answered 2, expected 1");
}

INSTANTIATE_TEST_SUITE_P(Each, IsolationTest, ::testing::ValuesIn(runners_driving(all_runners(), kTaskShape)),
                         VariantTestName());

}  // namespace
}  // namespace versus
