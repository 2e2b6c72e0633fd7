// Counting CPU migrations (bench/sys/migrations.h) where the right answer is known: a thread
// pinned to one CPU cannot move, so it counts 0; a thread whose affinity is switched between two
// CPUs moves once per switch. Each case runs once per source, perf_event and /proc, and must
// give the same verdict through either. The cases that need a count of a process do their moving
// in this process's only thread or in a forked child, so no other thread adds to the count.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/sys/measure.h"
#include "bench/sys/migrations.h"

namespace versus {
namespace {

using Source = MigrationCount::Source;

constexpr int kSwitches = 20;

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return {};
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

// Binds the calling thread (not its process) to `cpu`; when the thread runs elsewhere the
// kernel moves it before the call returns.
bool pin_self(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0;
}

// Keeps the CPU busy, so the thread is running (not sleeping) wherever it was put.
void spin_for_ms(int ms) {
  const int64_t until = now_ns() + int64_t{ms} * 1000000;
  while (now_ns() < until) {}
}

// Starts on `a`, then switches between `b` and `a` kSwitches times: kSwitches moves.
bool move_back_and_forth(int a, int b) {
  if (!pin_self(a)) return false;
  for (int i = 0; i < kSwitches; ++i) {
    if (!pin_self(i % 2 == 0 ? b : a)) return false;
    spin_for_ms(1);
  }
  return true;
}

size_t open_descriptors() {
  size_t n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d) != nullptr) ++n;
    closedir(d);
  }
  return n;
}

// A pipe whose ends are closed when the test leaves, whatever it asserted.
struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() {
    if (pipe(fds) != 0) ADD_FAILURE() << "pipe: " << std::strerror(errno);
  }
  ~Pipe() {
    for (int fd : fds) {
      if (fd >= 0) close(fd);
    }
  }
  void close_end(int i) {
    close(fds[i]);
    fds[i] = -1;
  }
};

bool read_byte(int fd) {
  char c;
  ssize_t n;
  do n = read(fd, &c, 1);
  while (n < 0 && errno == EINTR);
  return n == 1;
}

bool write_bytes(int fd, int count) {
  for (int i = 0; i < count; ++i) {
    if (write(fd, "x", 1) != 1) return false;
  }
  return true;
}

// Waits for the child and says how it ended: "" when it exited 0.
std::string reap(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return std::string("waitpid: ") + std::strerror(errno);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  return "child ended with wait status " + std::to_string(status);
}

// Every forced switch is a move; a thread may also be moved once or twice on its own (while it
// exits, or by a sanitizer's thread beside it), never fewer than it was forced to.
void expect_moves(uint64_t counted, int forced) {
  EXPECT_GE(counted, uint64_t(forced));
  EXPECT_LE(counted, uint64_t(forced) + 2);
}

class MigrationsTest : public ::testing::TestWithParam<Source> {
 protected:
  void SetUp() override {
    cpus_ = allowed_cpus();
    ASSERT_FALSE(cpus_.empty()) << "sched_getaffinity: " << std::strerror(errno);
    if (GetParam() == Source::kPerfEvent) {
      // The counter needs a perf_event_paranoid that lets this user count kernel events.
      MigrationCount probe(Source::kPerfEvent);
      const pid_t self = getpid();
      probe.start(std::span<const pid_t>(&self, 1));
      if (probe.source() != Source::kPerfEvent) GTEST_SKIP() << "no perf_event here: " << probe.why();
    }
  }
  // Each test leaves the process as it found it, able to run anywhere it was allowed to.
  void TearDown() override {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu : cpus_) CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
  }
  void need_two_cpus() {
    if (cpus_.size() < 2) GTEST_SKIP() << "only " << cpus_.size() << " CPU allowed; a move needs two";
  }

  std::vector<int> cpus_;
};

TEST_P(MigrationsTest, PinnedThreadCountsZero) {
  ASSERT_TRUE(pin_self(cpus_[0])) << std::strerror(errno);
  MigrationCount count(GetParam());
  const pid_t self = getpid();
  count.start(std::span<const pid_t>(&self, 1));
  spin_for_ms(50);
  const std::optional<uint64_t> moves = count.stop();
  ASSERT_TRUE(moves.has_value()) << count.why();
  EXPECT_EQ(count.source(), GetParam());
  EXPECT_EQ(*moves, 0u);
}

TEST_P(MigrationsTest, ForcedMovesAreCounted) {
  need_two_cpus();
  ASSERT_TRUE(pin_self(cpus_[0])) << std::strerror(errno);
  MigrationCount count(GetParam());
  const pid_t self = getpid();
  count.start(std::span<const pid_t>(&self, 1));
  ASSERT_TRUE(move_back_and_forth(cpus_[0], cpus_[1])) << "sched_setaffinity: " << std::strerror(errno);
  const std::optional<uint64_t> moves = count.stop();
  ASSERT_TRUE(moves.has_value()) << count.why();
  // Pinned all along, the thread moves only when its CPU is switched: once per switch.
  expect_moves(*moves, kSwitches);
}

// A child with two threads, each moved kSwitches times between start() and stop(), both alive
// until the count is read.
TEST_P(MigrationsTest, ChildProcessThreadsAreSummed) {
  need_two_cpus();
  Pipe ready, go, done;
  const int a = cpus_[0], b = cpus_[1];
  const pid_t child = fork();
  ASSERT_GE(child, 0) << "fork: " << std::strerror(errno);
  if (child == 0) {
    go.close_end(1);
    // Pinned before it says ready, so settling in is not counted; then waits for end of file
    // on `go`: the parent has read the count.
    auto thread_main = [&] {
      const bool ok = pin_self(a) && write_bytes(ready.fds[1], 1) && read_byte(go.fds[0]) &&
                      move_back_and_forth(a, b) && write_bytes(done.fds[1], 1);
      read_byte(go.fds[0]);
      return ok;
    };
    bool second_ok = false;
    std::thread second([&] { second_ok = thread_main(); });
    const bool ok = thread_main();
    second.join();
    _exit(ok && second_ok ? 0 : 1);
  }
  ready.close_end(1);
  done.close_end(1);
  const bool both_ready = read_byte(ready.fds[0]) && read_byte(ready.fds[0]);
  MigrationCount count(GetParam());
  count.start(std::span<const pid_t>(&child, 1));
  const bool finished = both_ready && write_bytes(go.fds[1], 2) && read_byte(done.fds[0]) && read_byte(done.fds[0]);
  const std::optional<uint64_t> moves = count.stop();
  go.close_end(1);
  EXPECT_EQ(reap(child), "");
  ASSERT_TRUE(finished) << "the child did not get through its moves";
  ASSERT_TRUE(moves.has_value()) << count.why();
  expect_moves(*moves, 2 * kSwitches);
  EXPECT_EQ(count.missing(), 0u);
}

// The child's second thread moves and ends before stop(): the kernel keeps its perf counter,
// while /proc no longer has it, which the count must say rather than hide.
TEST_P(MigrationsTest, ThreadEndedBeforeStop) {
  need_two_cpus();
  Pipe ready, go, done;
  const int a = cpus_[0], b = cpus_[1];
  const pid_t child = fork();
  ASSERT_GE(child, 0) << "fork: " << std::strerror(errno);
  if (child == 0) {
    bool second_ok = false;
    std::thread second([&] {
      if (!pin_self(a) || !write_bytes(ready.fds[1], 1) || !read_byte(go.fds[0])) return;
      second_ok = move_back_and_forth(a, b);
    });
    const bool ok = pin_self(a) && write_bytes(ready.fds[1], 1);
    second.join();
    if (!ok || !second_ok || !write_bytes(done.fds[1], 1)) _exit(1);
    go.close_end(1);
    read_byte(go.fds[0]);
    _exit(0);
  }
  ready.close_end(1);
  done.close_end(1);
  const bool both_ready = read_byte(ready.fds[0]) && read_byte(ready.fds[0]);
  MigrationCount count(GetParam());
  count.start(std::span<const pid_t>(&child, 1));
  const bool finished = both_ready && write_bytes(go.fds[1], 1) && read_byte(done.fds[0]);
  const std::optional<uint64_t> moves = count.stop();
  go.close_end(1);
  EXPECT_EQ(reap(child), "");
  ASSERT_TRUE(finished) << "the child did not get through its moves";
  ASSERT_TRUE(moves.has_value()) << count.why();
  if (count.source() == Source::kPerfEvent) {
    expect_moves(*moves, kSwitches);
    EXPECT_EQ(count.missing(), 0u);
  } else {
    EXPECT_EQ(*moves, 0u);  // the main thread stayed; the ended one is missing, not zero
    EXPECT_EQ(count.missing(), 1u);
    // "1 of 2 threads ended": of 3 under a sanitizer that runs a thread of its own in the child.
    EXPECT_EQ(count.why().rfind("1 of ", 0), 0u) << count.why();
    EXPECT_NE(count.why().find(" threads ended"), std::string::npos) << count.why();
  }
}

// A child that moved and exited, read before it is reaped: its main thread is still there to
// read, through either source.
TEST_P(MigrationsTest, ExitedChildReadBeforeReaping) {
  need_two_cpus();
  Pipe ready, go;
  const int a = cpus_[0], b = cpus_[1];
  const pid_t child = fork();
  ASSERT_GE(child, 0) << "fork: " << std::strerror(errno);
  if (child == 0) {
    const bool ok = pin_self(a) && write_bytes(ready.fds[1], 1) && read_byte(go.fds[0]) && move_back_and_forth(a, b);
    _exit(ok ? 0 : 1);
  }
  ready.close_end(1);
  const bool was_ready = read_byte(ready.fds[0]);
  MigrationCount count(GetParam());
  count.start(std::span<const pid_t>(&child, 1));
  siginfo_t info{};
  const bool went = was_ready && write_bytes(go.fds[1], 1);
  // WNOWAIT: wait for the exit but leave the child a zombie.
  const bool exited = went && waitid(P_PID, id_t(child), &info, WEXITED | WNOWAIT) == 0;
  const std::optional<uint64_t> moves = count.stop();
  EXPECT_EQ(reap(child), "");
  ASSERT_TRUE(exited) << "waitid: " << std::strerror(errno);
  ASSERT_TRUE(moves.has_value()) << count.why();
  expect_moves(*moves, kSwitches);
}

TEST_P(MigrationsTest, MissingPidIsNamed) {
  // pid_max is one past the largest pid the kernel hands out.
  std::ifstream in("/proc/sys/kernel/pid_max");
  pid_t missing = 0;
  ASSERT_TRUE(in >> missing) << "cannot read /proc/sys/kernel/pid_max";
  MigrationCount count(GetParam());
  const std::array<pid_t, 2> pids = {getpid(), missing};
  count.start(pids);
  EXPECT_FALSE(count.stop().has_value());
  const std::string named = "/proc/" + std::to_string(missing) + "/task: No such file or directory";
  EXPECT_NE(count.why().find(named), std::string::npos) << count.why();
}

TEST_P(MigrationsTest, NoDescriptorOutlivesTheCount) {
  const size_t before = open_descriptors();
  const pid_t self = getpid();
  {
    MigrationCount count(GetParam());
    count.start(std::span<const pid_t>(&self, 1));
    EXPECT_GT(open_descriptors(), before);
    ASSERT_TRUE(count.stop().has_value()) << count.why();
    EXPECT_EQ(open_descriptors(), before);
  }
  {
    MigrationCount count(GetParam());
    count.start(std::span<const pid_t>(&self, 1));
    count.start(std::span<const pid_t>(&self, 1));  // the first start's descriptors go
    EXPECT_EQ(open_descriptors(), before + 1);
  }
  EXPECT_EQ(open_descriptors(), before);
}

INSTANTIATE_TEST_SUITE_P(Sources, MigrationsTest, ::testing::Values(Source::kPerfEvent, Source::kProcSched),
                         [](const ::testing::TestParamInfo<Source>& info) {
                           return info.param == Source::kPerfEvent ? "PerfEvent" : "ProcSched";
                         });

TEST(MigrationCount, StopWithoutStart) {
  MigrationCount count;
  EXPECT_FALSE(count.stop().has_value());
  EXPECT_EQ(count.why(), "stop() without start()");
}

// Auto reads /proc, which costs the counted threads nothing, where it can, and otherwise says
// why it took perf_event.
TEST(MigrationCount, AutoSaysWhichSource) {
  MigrationCount count;
  const pid_t self = getpid();
  count.start(std::span<const pid_t>(&self, 1));
  ASSERT_TRUE(count.stop().has_value()) << count.why();
  if (count.source() == Source::kProcSched) {
    EXPECT_EQ(count.why(), "");
  } else {
    EXPECT_EQ(count.source(), Source::kPerfEvent);
    EXPECT_NE(count.why().find("/sched"), std::string::npos) << count.why();
  }
}

}  // namespace
}  // namespace versus
