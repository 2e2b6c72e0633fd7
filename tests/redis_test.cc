// The redis scenario under each runner that drives conversations (ctest: redis.<runner>):
// right answers for every op against the embedded server and against a real redis-server
// started here on a free loopback port; a wrong answer is caught; a crash leaves no server,
// process or connection behind.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include "bench/harness/isolate.h"
#include "bench/sys/process.h"
#include "bench/harness/repetition.h"
#include "runners/registry.h"
#include "runner_variants.h"
#include "scenarios/redis/setup_client.h"
#include "scenarios/registry.h"

extern char** environ;

namespace versus {
namespace {

// A real redis-server on a free loopback port, persistence off, stopped and reaped at the end.
class RealRedis {
 public:
  RealRedis() {
    const char* candidates[] = {"/usr/bin/redis-server", "/usr/local/bin/redis-server"};
    for (const char* c : candidates) {
      if (access(c, X_OK) == 0) binary_ = c;
    }
    if (binary_.empty()) return;
    port_ = free_port();
    const std::string port = std::to_string(port_);
    const char* argv[] = {binary_.c_str(), "--port", port.c_str(),  "--bind", "127.0.0.1",  "--save",  "",
                          "--appendonly",  "no",     "--daemonize", "no",     "--loglevel", "warning", nullptr};
    posix_spawn_file_actions_t quiet;  // its start-up banner and warnings are not the test's output
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid_, binary_.c_str(), &quiet, nullptr, const_cast<char**>(argv), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&quiet);
    for (int i = 0; i < 100 && pid_ > 0; ++i) {  // up to 5 s for it to listen
      try {
        redis::SetupClient probe("127.0.0.1", port_);
        if (probe.command({"PING"}).str == "PONG") return;
      } catch (const std::exception&) {}
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop();
  }
  ~RealRedis() { stop(); }

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string why_not() const {
    return binary_.empty() ? "redis-server is not installed" : "redis-server did not start";
  }

 private:
  static int free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    close(fd);
    return ntohs(a.sin_port);
  }
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::string binary_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Parameters are runner[-variant]: "epoll-edge", "fiber-io_uring".
class RedisTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { install_interrupt_handlers(); }

  Cell cell(int workers, std::map<std::string, std::string> set) {
    const Runner* runner = &runner_of_variant(catalog_, GetParam(), set);
    Cell c = cell_of(*redis_scenario(), *runner, workers, set);
    c.timeout_s = 120;
    return c;
  }

  // In this process, so that descriptors left open would show.
  Record run(int workers, std::map<std::string, std::string> set) {
    const Cell c = cell(workers, std::move(set));
    const Runner& runner = *catalog_.runner(c.runner);
    if (std::string why = why_unsupported(*redis_scenario(), runner, c); !why.empty()) {
      Record u = record_for(c, 0);
      u.status = Status::kUnsupported;
      u.message = why;
      return u;
    }
    return measure_repetition(*redis_scenario(), runner, c, 0);
  }

  // `server_pid`: a server of the test's own, which is expected to outlive the cells.
  void expect_every_op_right(const std::string& server, pid_t server_pid = -1) {
    const size_t before = open_descriptors();
    for (const char* op : {"get", "set", "mixed", "ttl_scan"}) {
      for (const char* pipeline : {"1", "7"}) {
        const Record r = run(3, {{"op", op},
                                 {"keys", "500"},
                                 {"requests", "601"},
                                 {"pipeline", pipeline},
                                 {"server", server},
                                 {"loop_threads", "2"},
                                 {"scan_count", "37"}});
        ASSERT_EQ(r.status, Status::kOk) << op << " pipeline " << pipeline << ": " << r.message;
        const uint64_t expected = std::string(op) == "ttl_scan" ? 500 : 601;
        EXPECT_EQ(r.ops.value(), expected) << op;
        EXPECT_EQ(r.result.value(), expected) << op;
        EXPECT_GT(r.bytes.value(), 0u);
        EXPECT_GT(r.lat_p50_us.value(), 0.0);
        EXPECT_LE(r.lat_p50_us.value(), r.lat_p999_us.value());
      }
    }
    EXPECT_EQ(open_descriptors(), before) << "a connection or descriptor of the cell was left open";
    std::vector<pid_t> left = descendants();
    std::erase(left, server_pid);
    EXPECT_TRUE(left.empty()) << "the embedded server or a worker outlived its cell";
  }

  Catalog catalog_{all_scenarios(), all_runners()};
};

TEST_P(RedisTest, EveryOpAnswersRightAgainstTheEmbeddedServer) { expect_every_op_right("embedded"); }

TEST_P(RedisTest, EveryOpAnswersRightAgainstARealRedis) {
  RealRedis redis;
  if (!redis.running()) GTEST_SKIP() << redis.why_not();
  expect_every_op_right(redis.endpoint(), redis.pid());
}

// Under a placement the connections (or loop threads) are bound to the plan's CPUs, each read
// back in its own thread, and the embedded server to a CPU none of them uses where there is one.
TEST_P(RedisTest, PlacementBindsTheWorkersAndKeepsTheServerApart) {
  const Topology& here = Topology::here();
  const int first = here.compact_order().front();
  const Record r =
      run(2, {{"op", "get"}, {"keys", "100"}, {"requests", "200"}, {"loop_threads", "2"}, {"placement", "same"}});
  ASSERT_EQ(r.status, Status::kOk) << r.message;
  EXPECT_EQ(r.cpus, std::to_string(first));
  std::vector<int> spare;
  for (int cpu : here.cpus()) {
    if (cpu != first) spare.push_back(cpu);
  }
  const std::string server = spare.empty() ? format_cpu_list(here.cpus()) : std::to_string(spare.front());
  EXPECT_EQ(r.message, "embedded server on CPUs " + server);
}

TEST_P(RedisTest, AWrongAnswerMakesTheRepetitionInvalid) {
  for (const char* op : {"get", "mixed", "ttl_scan"}) {
    const Record r = run(2, {{"op", op}, {"keys", "200"}, {"requests", "200"}, {"fault", "wrong"}});
    EXPECT_EQ(r.status, Status::kInvalid) << op << ": " << r.message;
  }
}

TEST_P(RedisTest, ServerDelayHoldsEveryReply) {
  const Record r = run(4, {{"op", "get"}, {"keys", "100"}, {"requests", "40"}, {"delay_us", "50000"}});
  ASSERT_EQ(r.status, Status::kOk) << r.message;
  EXPECT_GE(r.lat_p50_us.value(), 50000.0 * 0.99);
  // 40 requests over 4 connections at 50 ms each: 0.5 s if the connections overlap, 2 s if the
  // server served them one after another. Generous: overlap is what is checked.
  EXPECT_LT(r.wall_s.value(), 1.5);
}

TEST_P(RedisTest, ACrashLeavesNoServerNoWorkerNoConnection) {
  const Cell c = cell(3, {{"op", "get"}, {"keys", "200"}, {"requests", "3000"}, {"fault", "crash"}});
  const Record r = execute_repetition(catalog_, c, 0);
  EXPECT_EQ(r.status, Status::kCrashed) << r.message;
  EXPECT_TRUE(descendants().empty()) << "something the crashed cell started is still running";
}

INSTANTIATE_TEST_SUITE_P(Each, RedisTest,
                         ::testing::ValuesIn(runners_and_variants_driving(all_runners(), kConversationShape)),
                         VariantTestName());

}  // namespace
}  // namespace versus
