// The py-* runners (ctest: python.<runner>): the Python worker program computes the right
// answers on each scenario it supports, at small sizes, judged by the scenarios' own checks; a
// task that raises gives `failed`, a killed worker `crashed`, and nothing is left running.
// Skips, saying why, only where no Python 3 runs here (exit 77: ctest counts it skipped).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "bench/harness/env.h"
#include "bench/harness/isolate.h"
#include "bench/sys/process.h"
#include "bench/sys/python_interpreter.h"
#include "bench/harness/repetition.h"
#include "runners/registry.h"
#include "runner_variants.h"
#include "scenarios/cpu/cpu.h"
#include "scenarios/registry.h"

namespace versus {
namespace {

class PythonRunnerTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { install_interrupt_handlers(); }

  void SetUp() override {
    if (python_interpreter().path.empty()) {
      exit_skipped_if_alone(variant_test_name(GetParam()), python_interpreter().problem);
      GTEST_SKIP() << python_interpreter().problem;
    }
  }

  const Runner& runner() const { return *catalog_.runner(GetParam()); }

  Cell cell(const std::string& scenario, int workers, std::map<std::string, std::string> set) const {
    return cell_of(*catalog_.scenario(scenario), runner(), workers, set);
  }

  Record run(const std::string& scenario, int workers, std::map<std::string, std::string> set) const {
    const Cell c = cell(scenario, workers, std::move(set));
    const Scenario& s = *catalog_.scenario(scenario);
    if (std::string why = why_unsupported(s, runner(), c); !why.empty()) {
      Record u = record_for(c, 0);
      u.status = Status::kUnsupported;
      u.message = why;
      return u;
    }
    return measure_repetition(s, runner(), c, 0);
  }

  // In a child process, as the harness runs a repetition: what the cell names for the harness
  // to clean (an ipc cell's shared memory) is cleaned.
  Record run_as_harness(const std::string& scenario, int workers, std::map<std::string, std::string> set) const {
    Cell c = cell(scenario, workers, std::move(set));
    c.timeout_s = 120;
    return execute_repetition(catalog_, c, 0);
  }

  bool is(const char* name) const { return GetParam() == name; }

  Catalog catalog_{all_scenarios(), all_runners()};
};

TEST_P(PythonRunnerTest, CountsThePrimesTheSieveCounts) {
  for (const char* split : {"static", "dynamic"}) {
    const Record r = run("cpu", 3, {{"count", "30000"}, {"split", split}, {"chunk", "7000"}});
    ASSERT_EQ(r.status, Status::kOk) << split << ": " << r.message;
    EXPECT_EQ(r.result.value(), cpu::count_primes_sieve(1000000, 1030000)) << split;
    EXPECT_EQ(r.ops.value(), 30000u);
    EXPECT_GT(r.wall_s.value(), 0.0);
    EXPECT_GT(r.pss_bytes.value(), 1 << 20) << "an interpreter is megabytes";
    EXPECT_GT(r.cpu_user_s.value() + r.cpu_sys_s.value(), 0.0);
  }
}

TEST_P(PythonRunnerTest, EveryStartMethodCountsRight) {
  if (!is("py-process")) GTEST_SKIP() << "py_start is py-process's";
  for (const char* start : {"fork", "spawn", "forkserver"}) {
    const Record r = run("cpu", 2, {{"count", "5000"}, {"py_start", start}, {"py_pool", "executor"}});
    ASSERT_EQ(r.status, Status::kOk) << start << ": " << r.message;
    EXPECT_EQ(r.result.value(), cpu::count_primes_sieve(1000000, 1005000)) << start;
  }
  EXPECT_TRUE(descendants().empty());
}

TEST_P(PythonRunnerTest, MessagesArriveIntactOverEveryChannel) {
  const std::vector<std::string> channels = is("py-asyncio")
                                                ? std::vector<std::string>{"queue", "socketpair"}
                                                : std::vector<std::string>{"pipe", "socketpair", "queue", "shm"};
  for (const std::string& channel : channels) {
    for (const char* mode : {"throughput", "pingpong"}) {
      const Record r = run_as_harness("ipc", 2,
                                      {{"channel", channel},
                                       {"mode", mode},
                                       {"msg_size", "1K"},
                                       {"bytes", "256K"},
                                       {"round_trips", "300"},
                                       {"warmup", "5"}});
      ASSERT_EQ(r.status, Status::kOk) << channel << " " << mode << ": " << r.message;
      const uint64_t per_pair = std::string(mode) == "pingpong" ? 300 : 256;
      EXPECT_EQ(r.result.value(), 2 * per_pair) << channel << " " << mode;
      EXPECT_EQ(r.bytes.value(), 2 * per_pair * 1024 * (std::string(mode) == "pingpong" ? 2 : 1));
      EXPECT_EQ(r.lat_p50_us.has_value(), std::string(mode) == "pingpong");
      EXPECT_EQ(r.message, "") << "nothing left behind for the harness to kill or remove";
    }
  }
}

TEST_P(PythonRunnerTest, ChannelsPythonDoesNotCarryAreUnsupportedWithTheReason) {
  const Record tcp = run("ipc", 1, {{"channel", "tcp"}});
  EXPECT_EQ(tcp.status, Status::kUnsupported);
  EXPECT_NE(tcp.message.find("tcp"), std::string::npos) << tcp.message;
  const Record membw = run("cpu", 1, {{"kernel", "membw"}});
  EXPECT_EQ(membw.status, Status::kUnsupported);
  EXPECT_NE(membw.message.find("primes"), std::string::npos) << membw.message;
  const Record sw = run("switch", 1, {});
  EXPECT_EQ(sw.status, Status::kUnsupported);
  EXPECT_NE(sw.message.find("cpu, ipc, redis and spawn"), std::string::npos) << sw.message;
}

TEST_P(PythonRunnerTest, SpawnsEveryWorkerInEveryMode) {
  for (const char* mode : {"create", "alive", "pool"}) {
    const Record r = run("spawn", 3, {{"mode", mode}, {"rounds", "4"}, {"worker_kb", "64"}});
    ASSERT_EQ(r.status, Status::kOk) << mode << ": " << r.message;
    EXPECT_EQ(r.ops.value(), std::string(mode) == "alive" ? 3u : 12u) << mode;
    EXPECT_GT(r.pss_bytes.value(), 1 << 20) << mode;
  }
  EXPECT_TRUE(descendants().empty());
}

TEST_P(PythonRunnerTest, AnswersEveryRedisOpRight) {
  if (!python_interpreter().has_redis) GTEST_SKIP() << "redis-py does not import (python3-redis)";
  for (const char* op : {"get", "set", "mixed", "ttl_scan"}) {
    for (const char* pipeline : {"1", "8"}) {
      if (std::string(op) == "ttl_scan" && std::string(pipeline) != "1") continue;
      const Record r = run(
          "redis", 3, {{"op", op}, {"keys", "500"}, {"requests", "600"}, {"pipeline", pipeline}, {"scan_count", "64"}});
      ASSERT_EQ(r.status, Status::kOk) << op << " pipeline " << pipeline << ": " << r.message;
      EXPECT_EQ(r.ops.value(), std::string(op) == "ttl_scan" ? 500u : 600u) << op;
      EXPECT_GT(r.lat_p50_us.value(), 0.0) << op;
    }
  }
  EXPECT_TRUE(descendants().empty()) << "the embedded server and the Python program are gone";
}

TEST_P(PythonRunnerTest, AWrongRedisReplyIsCaught) {
  if (!python_interpreter().has_redis) GTEST_SKIP() << "redis-py does not import (python3-redis)";
  for (const char* op : {"get", "ttl_scan"}) {
    const Record r =
        run("redis", 2, {{"op", op}, {"keys", "100"}, {"requests", "200"}, {"scan_count", "30"}, {"fault", "wrong"}});
    EXPECT_EQ(r.status, Status::kInvalid) << op << ": " << r.message;
    EXPECT_NE(r.message.find(std::string(op) == "get" ? "connection 0: " : "TTL versus:key:"), std::string::npos)
        << r.message;
  }
}

TEST_P(PythonRunnerTest, ACrashHalfWayThroughTheScanCrashesTheRow) {
  if (!python_interpreter().has_redis) GTEST_SKIP() << "redis-py does not import (python3-redis)";
  const Record r = run("redis", 2, {{"op", "ttl_scan"}, {"keys", "100"}, {"scan_count", "30"}, {"fault", "crash"}});
  EXPECT_EQ(r.status, Status::kCrashed) << r.message;
  EXPECT_TRUE(descendants().empty());
}

TEST_P(PythonRunnerTest, AWorkerThatRaisesOrDiesEndsTheSpawnRow) {
  for (const char* mode : {"create", "alive"}) {
    const Record raised = run("spawn", 3, {{"mode", mode}, {"rounds", "2"}, {"py_fault", "raise"}});
    EXPECT_EQ(raised.status, Status::kFailed) << mode << ": " << raised.message;
    EXPECT_NE(raised.message.find("raised"), std::string::npos) << raised.message;
    const Record killed = run("spawn", 3, {{"mode", mode}, {"rounds", "2"}, {"py_fault", "kill"}});
    EXPECT_EQ(killed.status, Status::kCrashed) << mode << ": " << killed.message;
  }
  EXPECT_TRUE(descendants().empty());
}

TEST_P(PythonRunnerTest, ATaskThatRaisesFailsTheRow) {
  const Record r = run("cpu", 2, {{"count", "5000"}, {"py_fault", "raise"}});
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_NE(r.message.find("raised"), std::string::npos) << r.message;
  EXPECT_TRUE(descendants().empty());
}

TEST_P(PythonRunnerTest, AKilledWorkerCrashesTheRowAndLeavesNothing) {
  for (const char* pool : {"pool", "executor"}) {
    if (is("py-asyncio") && std::string(pool) == "executor") continue;
    std::map<std::string, std::string> set = {{"count", "5000"}, {"py_fault", "kill"}};
    if (!is("py-asyncio")) set["py_pool"] = pool;
    const Record r = run("cpu", 2, set);
    EXPECT_EQ(r.status, Status::kCrashed) << pool << ": " << r.message;
    EXPECT_TRUE(descendants().empty()) << pool;
  }
}

// A peer that raised or was killed mid-exchange leaves its partner waiting for ever: the row
// must still say failed or crashed, at once, not wait out the time limit.
TEST_P(PythonRunnerTest, AFaultyIpcPeerEndsTheRowWithoutWaiting) {
  const std::string channel = is("py-asyncio") ? "queue" : "pipe";
  for (const auto& [fault, status] : {std::pair{"raise", Status::kFailed}, std::pair{"kill", Status::kCrashed}}) {
    const Record r = run_as_harness(
        "ipc", 1, {{"channel", channel}, {"mode", "pingpong"}, {"round_trips", "2000"}, {"py_fault", fault}});
    EXPECT_EQ(r.status, status) << fault << ": " << r.message;
  }
}

TEST_P(PythonRunnerTest, TheEnvironmentNamesTheInterpreterAndItsGil) {
  const nlohmann::json env = capture_environment({"versus"});
  ASSERT_TRUE(env["python"].is_object());
  EXPECT_EQ(env["python"]["executable"], python_interpreter().path);
  EXPECT_EQ(env["python"]["version"].get<std::string>().substr(0, 2), "3.");
  EXPECT_TRUE(env["python"]["gil"].is_boolean());
}

// The py-* runners of the registry: those whose own program is the Python one.
std::vector<std::string> python_runners() {
  std::vector<std::string> names;
  for (const Runner* r : all_runners()) {
    if (r->name().starts_with("py-")) names.emplace_back(r->name());
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(, PythonRunnerTest, ::testing::ValuesIn(python_runners()), VariantTestName());

}  // namespace
}  // namespace versus
