// The py-* runners (ctest: python.<runner>): the Python worker program computes the right
// answers on each scenario it supports, at small sizes, judged by the scenarios' own checks; a
// task that raises gives `failed`, a killed worker `crashed`, and nothing is left running.
// Under a placement the workers bind themselves to the plan's CPUs, and a row whose workers were
// found elsewhere fails. Skips, saying why, only where no Python 3 runs here (exit 77: ctest
// counts it skipped).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/harness/env.h"
#include "bench/harness/isolate.h"
#include "bench/sys/placement.h"
#include "bench/sys/process.h"
#include "bench/sys/python_interpreter.h"
#include "bench/harness/repetition.h"
#include "runners/python_program.h"
#include "runners/registry.h"
#include "runner_variants.h"
#include "scenarios/cpu/cpu.h"
#include "scenarios/registry.h"
#include "tests/real_redis.h"

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

// redis-py authenticates as the C++ side does, with the password it is handed on the program's
// standard input (the settings, never its command line), and writes every key with a TTL.
TEST_P(PythonRunnerTest, AuthenticatesToARealRedisAndLeavesEveryKeyATtl) {
  if (!python_interpreter().has_redis) GTEST_SKIP() << "redis-py does not import (python3-redis)";
  RealRedis redis("py-s3cret", {"--user", "alice", "on", ">alice-pw", "~*", "&*", "+@all"});
  VERSUS_REQUIRE_REAL_REDIS(redis);
  const ScopedEnv no_env("REDISCLI_AUTH", nullptr);
  for (const char* op : {"get", "mixed"}) {
    const Record r =
        run("redis", 2, {{"op", op}, {"keys", "100"}, {"requests", "100"}, {"server", redis.url(":py-s3cret")}});
    EXPECT_EQ(r.status, Status::kOk) << op << ": " << r.message;
  }
  {
    const ScopedEnv env("REDISCLI_AUTH", "alice-pw");
    const Record r = run("redis", 2, {{"op", "set"}, {"requests", "100"}, {"server", redis.url("alice")}});
    EXPECT_EQ(r.status, Status::kOk) << r.message;
  }
  redis::SetupClient client = redis.client();
  const redis::RespValue keys = client.command({"KEYS", "versus:c*"});
  EXPECT_FALSE(keys.elements.empty());
  for (const redis::RespValue& key : keys.elements) {
    EXPECT_GT(client.command({"TTL", key.str}).integer, 0) << key.str << " has no TTL";
  }
  const Record wrong = run("redis", 2, {{"op", "set"}, {"requests", "100"}, {"server", redis.url(":wrong")}});
  EXPECT_EQ(wrong.status, Status::kFailed);
  EXPECT_NE(wrong.message.find("AUTH: WRONGPASS"), std::string::npos) << wrong.message;
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

// What run_python_cell throws on `cell`, or "" when it returns.
std::string python_error(const PythonCell& cell) {
  try {
    run_python_cell(cell);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST_P(PythonRunnerTest, PlacementSameRunsEveryWorkerOnTheFirstCpu) {
  const std::string first = format_cpu_list(std::vector<int>{Topology::here().compact_order()[0]});
  const Record cpu = run("cpu", 2, {{"count", "3000"}, {"placement", "same"}});
  ASSERT_EQ(cpu.status, Status::kOk) << cpu.message;
  EXPECT_EQ(cpu.cpus, first);
  EXPECT_EQ(cpu.result.value(), cpu::count_primes_sieve(1000000, 1003000));

  const std::string channel = is("py-asyncio") ? "queue" : "pipe";
  const Record ipc = run_as_harness(
      "ipc", 1, {{"channel", channel}, {"mode", "pingpong"}, {"round_trips", "50"}, {"placement", "same"}});
  ASSERT_EQ(ipc.status, Status::kOk) << ipc.message;
  EXPECT_EQ(ipc.cpus, first);
}

TEST_P(PythonRunnerTest, PlacementSpreadRunsTwoWorkersOnTwoCpus) {
  if (is("py-asyncio")) GTEST_SKIP() << "py-asyncio's workers share the one thread of its loop";
  const Topology& here = Topology::here();
  if (here.cpus().size() < 2) GTEST_SKIP() << "spread needs two CPUs; this process may run on one";
  std::vector<int> two(here.spread_order().begin(), here.spread_order().begin() + 2);
  std::sort(two.begin(), two.end());
  for (const char* pool : {"pool", "executor"}) {
    const Record r = run("cpu", 2, {{"count", "3000"}, {"placement", "spread"}, {"py_pool", pool}});
    ASSERT_EQ(r.status, Status::kOk) << pool << ": " << r.message;
    EXPECT_EQ(r.cpus, format_cpu_list(two)) << pool;
  }
}

// The program is asked for CPUs its workers cannot all be on: one worker (one loop thread) given
// two CPUs runs on the first only, and says so; the row must not stand.
TEST_P(PythonRunnerTest, WorkersFoundOffThePlanFailTheRowNamingBoth) {
  const Topology& here = Topology::here();
  if (here.cpus().size() < 2) GTEST_SKIP() << "needs two CPUs; this process may run on one";
  const std::vector<int> two{here.cpus()[0], here.cpus()[1]};
  const Cell c = cell("cpu", 1, {{"count", "300"}});
  const PythonCell py{GetParam(), "cpu", 1, c.params, {{"unit_cpus", fmt::format("{},{}", two[0], two[1])}}};
  const std::string error = python_error(py);
  EXPECT_EQ(error,
            fmt::format("the Python workers ran on CPUs {}, placement asked for {}", two[0], format_cpu_list(two)));
}

TEST_P(PythonRunnerTest, ACpuThatCannotBeBoundFailsTheRowWithPythonsReason) {
  const int absent = Topology::here().cpus().back() + 1;  // past every CPU this process may use
  const Cell c = cell("cpu", 2, {{"count", "300"}});
  const PythonCell py{GetParam(), "cpu", 2, c.params, {{"unit_cpus", fmt::format("{}", absent)}}};
  const std::string error = python_error(py);
  EXPECT_NE(error.find(fmt::format("cannot be bound to CPU {}: Invalid argument", absent)), std::string::npos) << error;
  EXPECT_TRUE(descendants().empty());
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

// The check itself, on the lines a program could write.
TEST(PythonBindingCheck, TheSameCpusPassInAnyOrderAndNoneChecksNothing) {
  EXPECT_NO_THROW(check_python_binding("0", std::string("0")));
  EXPECT_NO_THROW(check_python_binding("1,0,1", std::string("0,1")));
  EXPECT_NO_THROW(check_python_binding("", std::nullopt));
  EXPECT_NO_THROW(check_python_binding("", std::string("3")));
}

TEST(PythonBindingCheck, OtherCpusOrNoneReportedFailNamingWhatWasAsked) {
  auto error = [](std::string_view asked, std::optional<std::string> bound) -> std::string {
    try {
      check_python_binding(asked, bound);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(error("0", "0,1"), "the Python workers ran on CPUs 0-1, placement asked for 0");
  EXPECT_EQ(error("0,1", "1"), "the Python workers ran on CPUs 1, placement asked for 0-1");
  EXPECT_EQ(error("0,1", "2,3"), "the Python workers ran on CPUs 2-3, placement asked for 0-1");
  EXPECT_NE(error("0", std::nullopt).find("did not say which CPUs"), std::string::npos);
  EXPECT_NE(error("0", "").find("bad bound line"), std::string::npos);
  EXPECT_NE(error("0", "zero").find("bad bound line: 'zero'"), std::string::npos);
}

}  // namespace
}  // namespace versus
