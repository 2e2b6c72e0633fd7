// Child processes (bench/sys/child.h, process.h) the hard ways: a crash, a hang past the
// deadline, a grandchild left in the group or escaped from it, a flood of output, a program that
// does not exist, a wait stopped from outside. Each case checks what would be wrong were the
// supervision wrong: a status misread, a process still there, a wait that does not return.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/sys/child.h"
#include "bench/sys/fd.h"
#include "bench/sys/measure.h"
#include "bench/sys/process.h"

namespace versus {
namespace {

constexpr int64_t kSecond = 1000000000;
// Far above what any case needs, even under a sanitizer on a loaded machine: only a wait that
// never returns, or one that sits out a child's whole sleep, goes past it.
constexpr int64_t kGenerous = 20 * kSecond;

// Not even a zombie: reaped by someone.
bool gone(pid_t pid) { return kill(pid, 0) < 0 && errno == ESRCH; }

[[noreturn]] void sleep_forever() {
  for (;;) pause();
}

// Starts a grandchild that sleeps, in a session of its own when `escape`, and reports its pid
// on `out` once it is settled there; the caller (the child) then exits, leaving it behind.
int leave_grandchild(int out, bool escape) {
  int settled[2];
  if (pipe(settled) != 0) return 1;
  const pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    if (escape) setsid();
    close(settled[1]);  // it is out of the group before the test can end the group
    sleep_forever();
  }
  close(settled[1]);
  char byte;
  while (read(settled[0], &byte, 1) < 0 && errno == EINTR) {}
  return write_all(out, std::to_string(pid)) ? 0 : 1;
}

TEST(Child, CrashIsReportedAsTheSignal) {
  Child child = Child::run([](int) -> int {
    signal(SIGSEGV, SIG_DFL);  // a sanitizer's handler would turn the crash into an exit
    raise(SIGSEGV);
    return 0;
  });
  const ChildEnd end = child.wait();
  EXPECT_EQ(end.how, ChildEnd::How::kSignaled);
  EXPECT_EQ(end.code(), SIGSEGV);
  EXPECT_EQ(end.describe(), "killed by signal SIGSEGV (Segmentation fault)");
}

TEST(Child, ExitStatusAndThrowingFunction) {
  Child exits = Child::run([](int) { return 3; });
  const ChildEnd three = exits.wait();
  EXPECT_EQ(three.how, ChildEnd::How::kExited);
  EXPECT_EQ(three.code(), 3);
  EXPECT_EQ(three.describe(), "exited with status 3");

  Child throws = Child::run([](int) -> int { throw std::runtime_error("on purpose"); });
  const ChildEnd threw = throws.wait();
  EXPECT_EQ(threw.how, ChildEnd::How::kExited);
  EXPECT_EQ(threw.code(), kExitThrew);
}

TEST(Child, HangPastTheDeadlineIsTimedOutThenKilled) {
  Child child = Child::run([](int) -> int { sleep_forever(); });
  const int64_t start = now_ns();
  const ChildEnd end = child.wait({.deadline_ns = start + kSecond / 4});
  EXPECT_EQ(end.how, ChildEnd::How::kTimedOut);
  EXPECT_GE(now_ns() - start, kSecond / 4 - kSecond / 100);
  EXPECT_LT(now_ns() - start, kGenerous);
  EXPECT_FALSE(child.status()) << "a wait that timed out reaps nothing";
  EXPECT_FALSE(gone(child.pid()));

  child.end();
  ASSERT_TRUE(child.status());
  EXPECT_TRUE(WIFSIGNALED(*child.status()) && WTERMSIG(*child.status()) == SIGKILL);
  EXPECT_TRUE(gone(child.pid()));
}

TEST(Child, GrandchildLeftInTheGroupIsKilledAndReaped) {
  pid_t grandchild = 0;
  {
    Child child =
        Child::run([](int out) { return leave_grandchild(out, false); }, {.own_group = true, .capture_output = true});
    const ChildEnd end = child.wait();
    ASSERT_EQ(end.how, ChildEnd::How::kExited);
    ASSERT_EQ(end.code(), 0);
    grandchild = std::stoi(child.output());
    ASSERT_FALSE(gone(grandchild)) << "the child's exit alone ended it: the test proves nothing";
  }  // the destructor ends the group
  EXPECT_TRUE(gone(grandchild)) << "grandchild " << grandchild << " outlived its group, or was left a zombie";
}

TEST(Child, GrandchildThatEscapedTheGroupIsLeftToTheSweep) {
  Child child =
      Child::run([](int out) { return leave_grandchild(out, true); }, {.own_group = true, .capture_output = true});
  ASSERT_EQ(child.wait().code(), 0);
  const pid_t grandchild = std::stoi(child.output());
  child.end();
  // Out of the group: the Child cannot know it. It is ours, as an orphan below a subreaper.
  ASSERT_FALSE(gone(grandchild));
  const std::vector<pid_t> below = descendants();
  EXPECT_NE(std::find(below.begin(), below.end(), grandchild), below.end());
  EXPECT_EQ(kill_descendants(), 1);
  EXPECT_TRUE(gone(grandchild)) << "grandchild " << grandchild << " survived the sweep, or was left a zombie";
}

TEST(Child, PipeHeldOpenByAGrandchildDoesNotHoldTheWait) {
  Child child =
      Child::run([](int out) { return leave_grandchild(out, false); }, {.own_group = true, .capture_output = true});
  const int64_t start = now_ns();
  const ChildEnd end = child.wait();  // the grandchild sleeps forever with the pipe's write end
  EXPECT_EQ(end.how, ChildEnd::How::kExited);
  EXPECT_LT(now_ns() - start, kGenerous);
  EXPECT_GT(std::stoi(child.output()), 0) << "what the child wrote before its end is read";
}

TEST(Child, LingerReadsWhatTheGroupWritesAfterTheChildEnded) {
  Child child = Child::run(
      [](int out) {
        if (fork() == 0) {
          usleep(100000);
          write_all(out, "late\n");
          _exit(0);
        }
        return write_all(out, "early\n") ? 0 : 1;
      },
      {.own_group = true, .capture_output = true});
  const ChildEnd end = child.wait({.linger_ms = 5000});
  EXPECT_EQ(end.how, ChildEnd::How::kExited);
  EXPECT_EQ(child.output(), "early\nlate\n");
}

constexpr size_t kFlood = size_t{50} << 20;

// Writes `bytes` of 'x' and then "END\n" on `fd`.
int flood(int fd, size_t bytes) {
  const std::string chunk(size_t{1} << 16, 'x');
  for (size_t done = 0; done < bytes; done += chunk.size()) {
    if (!write_all(fd, std::string_view(chunk).substr(0, std::min(chunk.size(), bytes - done)))) return 1;
  }
  return write_all(fd, "END\n") ? 0 : 1;
}

TEST(Child, FloodIsDrainedWhole) {
  Child child = Child::run([](int out) { return flood(out, kFlood); }, {.capture_output = true});
  const int64_t start = now_ns();
  const ChildEnd end = child.wait({.deadline_ns = start + kGenerous});
  ASSERT_EQ(end.how, ChildEnd::How::kExited) << end.describe();
  EXPECT_EQ(end.code(), 0);
  ASSERT_EQ(child.output().size(), kFlood + 4);
  EXPECT_EQ(child.output().find_first_not_of('x'), kFlood);
  EXPECT_TRUE(child.output().ends_with("END\n"));
}

TEST(Child, FloodKeepsOnlyTheLastBytes) {
  Child child = Child::exec({"/bin/sh", "-c", "head -c 52428800 /dev/zero >&2; echo done"},
                            {.capture_output = true, .capture_errors = true, .errors_limit = size_t{1} << 16});
  const ChildEnd end = child.wait({.deadline_ns = now_ns() + kGenerous});
  ASSERT_EQ(end.how, ChildEnd::How::kExited) << end.describe();
  EXPECT_EQ(end.code(), 0);
  EXPECT_EQ(child.output(), "done\n");
  EXPECT_EQ(child.errors(), std::string(size_t{1} << 16, '\0'));
}

TEST(Child, EndlessFloodDoesNotHoldTheWaitPastItsDeadline) {
  Child child = Child::run(
      [](int out) {
        for (;;) flood(out, size_t{1} << 20);
        return 0;
      },
      {.capture_output = true, .output_limit = size_t{1} << 20});
  const int64_t start = now_ns();
  const ChildEnd end = child.wait({.deadline_ns = start + kSecond / 2});
  EXPECT_EQ(end.how, ChildEnd::How::kTimedOut);
  EXPECT_LT(now_ns() - start, kGenerous);
  EXPECT_EQ(child.output().size(), size_t{1} << 20) << "the limit holds while the flood goes on";
  child.end();
  EXPECT_TRUE(gone(child.pid()));
}

TEST(Child, ProgramThatDoesNotExistIsAnExecError) {
  Child child = Child::exec({"/nonexistent/versus-no-such-program", "arg"});
  const ChildEnd end = child.wait();
  EXPECT_EQ(end.how, ChildEnd::How::kExited);
  EXPECT_EQ(end.code(), kExitCannotExec);
  EXPECT_EQ(end.exec_error, ENOENT);
  EXPECT_EQ(end.describe(), "could not exec: No such file or directory");

  // A program that ran and chose the same status is not an exec error.
  Child shell = Child::exec({"/bin/sh", "-c", "exit 127"});
  const ChildEnd ran = shell.wait();
  EXPECT_EQ(ran.code(), kExitCannotExec);
  EXPECT_EQ(ran.exec_error, 0);
}

TEST(Child, ProgramGetsItsInputAndGivesBothOutputs) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd ours(fds[0]), theirs(fds[1]);
  Child child = Child::exec({"/bin/sh", "-c", "read line; echo \"got $line\"; echo oops >&2; exit 3"},
                            {.capture_output = true, .capture_errors = true, .input_fd = theirs.get()});
  theirs.reset();
  ASSERT_TRUE(write_all(ours.get(), "cell\n"));
  ours.reset();
  const ChildEnd end = child.wait();
  EXPECT_EQ(end.code(), 3);
  EXPECT_EQ(child.output(), "got cell\n");
  EXPECT_EQ(child.errors(), "oops\n");
}

TEST(Child, WaitStopsWhenWokenAndEndGivesAGracePeriod) {
  int wake[2];
  ASSERT_EQ(pipe2(wake, O_CLOEXEC), 0);
  UniqueFd wake_read(wake[0]), wake_write(wake[1]);
  Child child = Child::run([](int) -> int { sleep_forever(); });
  std::atomic<bool> asked{false};
  std::thread interrupter([&] {
    usleep(200000);
    asked = true;
    write_all(wake_write.get(), "!");
  });
  const int64_t start = now_ns();
  // No deadline: only the wake descriptor and the stop request end this wait.
  const ChildEnd end = child.wait({.stop = [&] { return asked.load(); }, .wake_fd = wake_read.get()});
  interrupter.join();
  EXPECT_EQ(end.how, ChildEnd::How::kStopped);
  EXPECT_LT(now_ns() - start, kGenerous);
  EXPECT_FALSE(gone(child.pid())) << "a stopped wait leaves the child running";

  child.end(10000);  // SIGTERM is enough: it does not wait out the grace period
  ASSERT_TRUE(child.status());
  EXPECT_TRUE(WIFSIGNALED(*child.status()) && WTERMSIG(*child.status()) == SIGTERM);
  EXPECT_LT(now_ns() - start, kGenerous);
}

TEST(Child, EndKillsAChildThatIgnoresSigterm) {
  int ready[2];
  ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
  Child child = Child::run([&](int) -> int {
    signal(SIGTERM, SIG_IGN);
    if (write(ready[1], "i", 1) != 1) return 1;
    sleep_forever();
  });
  close(ready[1]);
  char said = 0;
  ASSERT_EQ(read(ready[0], &said, 1), 1) << "the child says once it ignores SIGTERM";
  close(ready[0]);
  child.end(100);
  ASSERT_TRUE(child.status());
  EXPECT_TRUE(WIFSIGNALED(*child.status()) && WTERMSIG(*child.status()) == SIGKILL);
  EXPECT_TRUE(gone(child.pid()));
}

TEST(ChildSet, ReportsTheChildThatEndedFirst) {
  ChildSet children;
  children.spawn([]() -> int { sleep_forever(); });
  const pid_t second = children.spawn([] { return 5; });
  std::optional<ChildSet::Ended> ended;
  for (int i = 0; i < 2000 && !ended; ++i) {
    ended = children.reap_ended();
    if (!ended) usleep(5000);
  }
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->index, 1u);
  EXPECT_EQ(ended->pid, second);
  EXPECT_EQ(WEXITSTATUS(ended->status), 5);
  children.kill_all(SIGKILL);
  const std::vector<int> statuses = children.reap_all();
  EXPECT_TRUE(WIFSIGNALED(statuses[0]));
  EXPECT_EQ(WEXITSTATUS(statuses[1]), 5);
}

}  // namespace
}  // namespace versus
