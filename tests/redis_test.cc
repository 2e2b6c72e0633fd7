// The redis scenario under each runner that drives conversations (ctest: redis.<runner>):
// right answers for every op against the embedded server and against a real redis-server
// started here on a free loopback port; a wrong answer is caught; a crash leaves no server,
// process or connection behind. Against a Redis that wants a password, the URL's or
// REDISCLI_AUTH's is used and a wrong one fails the row with the server's reply; every key
// written has a TTL; what the embedded server reports (or its death) reaches the row.
#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <thread>

#include "bench/harness/isolate.h"
#include "bench/sys/process.h"
#include "bench/harness/repetition.h"
#include "runners/registry.h"
#include "runner_variants.h"
#include "scenarios/redis/setup_client.h"
#include "tests/real_redis.h"
#include "tests/redis_cells.h"
#include "tests/redis_test_client.h"
#include "scenarios/registry.h"

namespace versus {
namespace {

class RedisTest : public RedisCellTest {
 protected:
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
};

TEST_P(RedisTest, EveryOpAnswersRightAgainstTheEmbeddedServer) { expect_every_op_right("embedded"); }

TEST_P(RedisTest, EveryOpAnswersRightAgainstARealRedis) {
  RealRedis redis;
  VERSUS_REQUIRE_REAL_REDIS(redis);
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

// A Redis that wants a password: every connection versus opens (loading, SCAN, the measured
// ones, redis-py's) authenticates first, as the default user or an ACL user.
TEST_P(RedisTest, AuthenticatesWithTheUrlsPasswordOrUser) {
  RealRedis redis("s3cret:x@y", {"--user", "alice", "on", ">a;b", "~*", "&*", "+@all"});
  VERSUS_REQUIRE_REAL_REDIS(redis);
  const ScopedEnv no_env("REDISCLI_AUTH", nullptr);
  for (const char* op : {"get", "set", "mixed", "ttl_scan"}) {
    const Record r = run(2, {{"op", op},
                             {"keys", "200"},
                             {"requests", "200"},
                             {"pipeline", "3"},
                             {"scan_count", "50"},
                             {"server", redis.url(":s3cret:x@y")}});
    EXPECT_EQ(r.status, Status::kOk) << op << ": " << r.message;
  }
  const Record alice =
      run(2, {{"op", "get"}, {"keys", "200"}, {"requests", "200"}, {"server", redis.url("alice:a%3Bb")}});
  EXPECT_EQ(alice.status, Status::kOk) << alice.message;
}

TEST_P(RedisTest, AWrongPasswordFailsTheRowWithTheServersReply) {
  RealRedis redis("right");
  VERSUS_REQUIRE_REAL_REDIS(redis);
  const ScopedEnv no_env("REDISCLI_AUTH", nullptr);
  for (const char* op : {"get", "set"}) {
    const Record r = run(2, {{"op", op}, {"keys", "100"}, {"requests", "100"}, {"server", redis.url(":wrong")}});
    EXPECT_EQ(r.status, Status::kFailed) << op;
    EXPECT_NE(r.message.find("AUTH: WRONGPASS invalid username-password pair"), std::string::npos) << r.message;
    EXPECT_EQ(r.message.find("wrong"), std::string::npos) << "the message repeats the password: " << r.message;
  }
}

TEST_P(RedisTest, APasswordLeftOutOfTheUrlComesFromREDISCLI_AUTH) {
  RealRedis redis("from-env", {"--user", "alice", "on", ">alice-env", "~*", "&*", "+@all"});
  VERSUS_REQUIRE_REAL_REDIS(redis);
  const std::map<std::string, std::string> set = {{"op", "mixed"}, {"requests", "100"}, {"pipeline", "2"}};
  {
    const ScopedEnv env("REDISCLI_AUTH", "from-env");
    std::map<std::string, std::string> as_default = set;
    as_default["server"] = redis.url();
    const Record r = run(2, as_default);
    EXPECT_EQ(r.status, Status::kOk) << r.message;
  }
  {
    const ScopedEnv env("REDISCLI_AUTH", "alice-env");
    std::map<std::string, std::string> as_alice = set;
    as_alice["server"] = redis.url("alice");
    const Record r = run(2, as_alice);
    EXPECT_EQ(r.status, Status::kOk) << r.message;
  }
  {
    const ScopedEnv none("REDISCLI_AUTH", nullptr);
    const Record r = run(2, {{"op", "get"}, {"keys", "100"}, {"requests", "100"}, {"server", redis.url()}});
    EXPECT_EQ(r.status, Status::kFailed);
    EXPECT_NE(r.message.find("NOAUTH"), std::string::npos) << r.message;
  }
}

// set and mixed write keys of their own (versus:cN:M): none may be left without a TTL in a
// user's Redis. TTL answers -1 for a key without one.
TEST_P(RedisTest, EveryKeyWrittenHasATtl) {
  RealRedis redis;
  VERSUS_REQUIRE_REAL_REDIS(redis);
  for (const char* op : {"set", "mixed"}) {
    const Record r = run(3, {{"op", op}, {"requests", "300"}, {"pipeline", "4"}, {"server", redis.endpoint()}});
    ASSERT_EQ(r.status, Status::kOk) << op << ": " << r.message;
  }
  redis::SetupClient client = redis.client();
  size_t keys = 0;
  std::string cursor = "0";
  do {
    const redis::RespValue page = client.command({"SCAN", cursor, "MATCH", "versus:c*", "COUNT", "1000"});
    ASSERT_EQ(page.elements.size(), 2u);
    cursor = page.elements[0].str;
    for (const redis::RespValue& key : page.elements[1].elements) {
      const redis::RespValue ttl = client.command({"TTL", key.str});
      EXPECT_GT(ttl.integer, 0) << key.str << " has no TTL";
      ++keys;
    }
  } while (cursor != "0");
  EXPECT_GT(keys, 0u);
}

// While a cell runs, waits for its embedded server (the child listening on loopback) to
// have accepted `clients` connections (the runners here open every one before the start line),
// and then acts on it once. At its end (or after 60 s) it kills the server, so that a cell the
// act left waiting ends rather than hangs the test.
//
// The cell forks its server from this process while the watch runs, and the address sanitizer
// of GCC 12 does not keep its allocator usable across a fork: a lock the watch's thread held at
// that moment stays held in the server, whose next allocation waits for ever (seen: the server
// asleep in the sanitizer's allocator, its accept4 never reached, in two runs of eight of the
// select group). So once its thread runs, the watch allocates nothing: it reads /proc with
// system calls into buffers made beforehand.
class ServerWatch {
 public:
  ServerWatch(int clients, std::function<void(pid_t, uint16_t)> act)
      : tcp_table_(size_t(1) << 20), thread_([this, clients, act = std::move(act)] { watch(clients, act); }) {
    // Its start allocates too (the thread's own state): over before the cell can fork.
    while (!started_) std::this_thread::yield();
  }
  ~ServerWatch() {
    done_ = true;
    thread_.join();
  }
  ServerWatch(const ServerWatch&) = delete;
  ServerWatch& operator=(const ServerWatch&) = delete;
  void finish() { done_ = true; }
  bool acted() const { return acted_; }

 private:
  // The sockets a process holds (each once, however many descriptors it has on it), and the
  // loopback port it listens on (0: none).
  struct HeldSockets {
    int count = 0;
    uint16_t listening = 0;
  };
  static constexpr int kMaxPids = 64, kMaxSockets = 64;

  void watch(int clients, const std::function<void(pid_t, uint16_t)>& act) {
    started_ = true;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    pid_t server = -1;
    while (!done_ && std::chrono::steady_clock::now() < give_up) {
      pid_t pids[kMaxPids];
      const int n = children(pids);
      for (int i = 0; i < n; ++i) {
        const HeldSockets held = held_sockets(pids[i]);
        if (held.listening == 0) continue;
        server = pids[i];
        if (!acted_ && held.count >= clients + 1) {
          acted_ = true;  // first: the cell may end, and be looked at, as soon as `act` is done
          act(pids[i], held.listening);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (!done_ && server > 0) kill(server, SIGKILL);
  }

  // This process's children (up to kMaxPids), left unreaped (descendants() reaps what has ended,
  // and would take the server's end from the EmbeddedServer that is to report it).
  static int children(pid_t (&out)[kMaxPids]) {
    int n = 0;
    each_entry("/proc/self/task", [&](const char* task) {
      char path[320], list[1024];
      std::snprintf(path, sizeof path, "/proc/self/task/%s/children", task);
      read_file(path, list, sizeof list);
      char* at = list;
      for (char* end; n < kMaxPids; at = end) {
        const long pid = std::strtol(at, &end, 10);
        if (end == at) break;
        out[n++] = pid_t(pid);
      }
    });
    return n;
  }

  HeldSockets held_sockets(pid_t pid) {
    HeldSockets held;
    unsigned long long inodes[kMaxSockets];
    char fds[48];
    std::snprintf(fds, sizeof fds, "/proc/%d/fd", int(pid));
    each_entry(fds, [&](const char* fd) {
      char path[320], link[64];
      std::snprintf(path, sizeof path, "%s/%s", fds, fd);
      const ssize_t n = readlink(path, link, sizeof link - 1);
      if (n <= 0 || held.count == kMaxSockets) return;
      link[n] = 0;
      if (std::strncmp(link, "socket:[", 8) != 0) return;
      const unsigned long long inode = std::strtoull(link + 8, nullptr, 10);
      if (std::find(inodes, inodes + held.count, inode) == inodes + held.count) inodes[held.count++] = inode;
    });
    // Lines of "sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...".
    char tcp[48];
    std::snprintf(tcp, sizeof tcp, "/proc/%d/net/tcp", int(pid));
    read_file(tcp, tcp_table_.data(), tcp_table_.size());
    const char* line = std::strchr(tcp_table_.data(), '\n');  // past the header
    for (; line && *++line; line = std::strchr(line, '\n')) {
      char local[32] = {}, state[8] = {};
      unsigned long long inode = 0;
      if (std::sscanf(line, "%*s %31s %*s %7s %*s %*s %*s %*s %*s %llu", local, state, &inode) != 3) continue;
      if (std::strcmp(state, "0A") != 0 || std::strncmp(local, "0100007F:", 9) != 0) continue;
      if (std::find(inodes, inodes + held.count, inode) != inodes + held.count) {
        held.listening = uint16_t(std::strtoul(local + 9, nullptr, 16));
      }
    }
    return held;
  }

  // Reads what fits of a small file into buf, NUL-terminated (empty if it cannot be read).
  static void read_file(const char* path, char* buf, size_t size) {
    size_t got = 0;
    if (const int fd = open(path, O_RDONLY | O_CLOEXEC); fd >= 0) {
      for (ssize_t n; got + 1 < size && (n = read(fd, buf + got, size - 1 - got)) > 0;) got += size_t(n);
      close(fd);
    }
    buf[got] = 0;
  }

  // Calls f with the name of each entry of a directory but . and .. (readdir's stream allocates).
  template <typename F>
  static void each_entry(const char* dir, F f) {
    const int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    alignas(dirent64) char buf[4096];
    for (ssize_t n; (n = getdents64(fd, buf, sizeof buf)) > 0;) {
      for (ssize_t at = 0; at < n;) {
        const auto* entry = reinterpret_cast<const dirent64*>(buf + at);
        if (entry->d_name[0] != '.') f(entry->d_name);
        at += entry->d_reclen;
      }
    }
    close(fd);
  }

  std::vector<char> tcp_table_;  // /proc/PID/net/tcp, read into memory allocated beforehand
  std::atomic<bool> started_{false};
  std::atomic<bool> done_{false};
  std::atomic<bool> acted_{false};
  std::thread thread_;
};

// What the embedded server reports during a repetition ends up in the row: here a real accept4
// out of descriptors (its limit lowered from outside once the cell's connections are in, then
// one more connection), under an ok row.
TEST_P(RedisTest, WhatTheEmbeddedServerReportsReachesTheRow) {
  const int workers = 2;
  ServerWatch watch(workers, [](pid_t server, uint16_t port) {
    rlimit old{};
    if (prlimit(server, RLIMIT_NOFILE, nullptr, &old) != 0) return;
    const rlimit low{3, old.rlim_max};
    prlimit(server, RLIMIT_NOFILE, &low, nullptr);
    const int extra = redis::connect_loopback(port);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the server's turn to try accept4
    prlimit(server, RLIMIT_NOFILE, &old, nullptr);
    close(extra);
  });
  const Record r = run(workers, {{"op", "set"}, {"requests", "400"}, {"delay_us", "5000"}, {"loop_threads", "1"}});
  watch.finish();
  ASSERT_TRUE(watch.acted()) << "the cell ended before its server was found: " << r.message;
  EXPECT_EQ(r.status, Status::kOk) << r.message;
  EXPECT_NE(r.message.find("embedded redis server: accept4: Too many open files; not accepting until a client closes"),
            std::string::npos)
      << r.message;
}

// A server that dies mid-run fails the row, which says how it died.
TEST_P(RedisTest, AKilledEmbeddedServerIsNamedInTheRow) {
  const int workers = 2;
  ServerWatch watch(workers, [](pid_t server, uint16_t) { kill(server, SIGKILL); });
  const Record r = run(workers, {{"op", "set"}, {"requests", "400"}, {"delay_us", "5000"}, {"loop_threads", "1"}});
  watch.finish();
  ASSERT_TRUE(watch.acted()) << "the cell ended before its server was found: " << r.message;
  EXPECT_NE(r.status, Status::kOk);
  EXPECT_NE(r.message.find("embedded redis server killed by signal SIGKILL (Killed)"), std::string::npos) << r.message;
}

INSTANTIATE_TEST_SUITE_P(Each, RedisTest,
                         ::testing::ValuesIn(runners_and_variants_driving(all_runners(), kConversationShape)),
                         VariantTestName());

}  // namespace
}  // namespace versus
