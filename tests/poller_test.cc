// The same cases under every poller of this build; ctest runs them once per kind
// (poller.<kind>). A kind that cannot run here (the kernel refuses io_uring) makes that entry
// exit 77, which ctest reports as skipped, with the reason printed.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "bench/sys/limits.h"
#include "bench/poller/poller.h"
#include "runner_variants.h"
#include "bench/sys/errors.h"

namespace versus {

bool operator==(const PollEvent& x, const PollEvent& y) {
  return x.fd == y.fd && x.events == y.events && x.token == y.token;
}
void PrintTo(const PollEvent& e, std::ostream* os) {
  *os << "{fd " << e.fd << ", events " << e.events << ", token " << e.token << "}";
}

namespace {

// Entries in /proc/self/fd (the directory's own descriptor counts every time alike).
int open_fds() {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) throw_errno("opendir /proc/self/fd");
  int n = 0;
  while (const dirent* d = readdir(dir)) n += d->d_name[0] != '.';
  closedir(dir);
  return n;
}

// Two connected descriptors: a socketpair, or a pipe (a reads, b writes). Closed on destruction.
struct Pair {
  int a = -1, b = -1;

  static Pair sockets() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) throw_errno("socketpair");
    return Pair(fds);
  }
  static Pair pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) throw_errno("pipe2");
    return Pair(fds);
  }
  Pair(Pair&& o) noexcept : a(std::exchange(o.a, -1)), b(std::exchange(o.b, -1)) {}
  ~Pair() {
    close_a();
    close_b();
  }
  void close_a() {
    if (a >= 0) close(std::exchange(a, -1));
  }
  void close_b() {
    if (b >= 0) close(std::exchange(b, -1));
  }

 private:
  explicit Pair(const int fds[2]) : a(fds[0]), b(fds[1]) {}
};

void put(int fd, size_t bytes = 1) {
  const std::string data(bytes, 'x');
  ASSERT_EQ(write(fd, data.data(), bytes), ssize_t(bytes)) << std::strerror(errno);
}

void take(int fd, size_t bytes = 1) {
  std::string data(bytes, '\0');
  ASSERT_EQ(read(fd, data.data(), bytes), ssize_t(bytes)) << std::strerror(errno);
}

class PollerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (const std::string why = poller_unsupported(GetParam(), {}, 0); !why.empty()) {
      exit_skipped_if_alone(GetParam(), why);
      GTEST_SKIP() << why;
    }
    fds_before_ = open_fds();
  }
  void TearDown() override {
    if (fds_before_ >= 0) {
      EXPECT_EQ(open_fds(), fds_before_) << "descriptors left open";
    }
  }

  bool is(std::string_view kind) const { return GetParam() == kind; }
  std::unique_ptr<Poller> make(const PollerOptions& options = {}) const { return make_poller(GetParam(), options); }

  // One wait; its events by descriptor, checked against the count it returned.
  static std::vector<PollEvent> wait(Poller& poller, int timeout_ms) {
    std::vector<PollEvent> ready{{99, 99, 99}};  // must be cleared
    const int n = poller.wait(ready, timeout_ms);
    EXPECT_EQ(n, int(ready.size()));
    std::sort(ready.begin(), ready.end(), [](const auto& x, const auto& y) { return x.fd < y.fd; });
    return ready;
  }

  // What a peer closing looks like: select has no hangup bit, only a read that would return 0.
  uint32_t hangup() const { return is("select") ? kReadable : kHangup; }

 private:
  int fds_before_ = -1;
};

using Events = std::vector<PollEvent>;

TEST_P(PollerTest, NothingReadyIsNotReported) {
  Pair pipe = Pair::pipe(), sock = Pair::sockets();
  auto p = make();
  p->add(pipe.a, kReadable, 1);
  p->add(sock.a, kReadable, 2);
  EXPECT_EQ(p->size(), 2u);
  EXPECT_EQ(wait(*p, 0), Events{});
  EXPECT_EQ(wait(*p, 30), Events{});
}

TEST_P(PollerTest, ReadableAndWritableWithTheirTokens) {
  Pair pipe = Pair::pipe(), sock = Pair::sockets();
  auto p = make();
  p->add(pipe.a, kReadable, 1);
  p->add(pipe.b, kWritable, 2);
  p->add(sock.a, kReadable | kWritable, 3);
  EXPECT_EQ(wait(*p, 1000), (Events{{pipe.b, kWritable, 2}, {sock.a, kWritable, 3}}));
  put(pipe.b);
  put(sock.b);
  EXPECT_EQ(wait(*p, 1000),
            (Events{{pipe.a, kReadable, 1}, {pipe.b, kWritable, 2}, {sock.a, kReadable | kWritable, 3}}));
}

TEST_P(PollerTest, LevelTriggeredReportsUntilDrained) {
  Pair sock = Pair::sockets();
  auto p = make();
  p->add(sock.a, kReadable, 7);
  put(sock.b, 3);
  const Events readable{{sock.a, kReadable, 7}};
  EXPECT_EQ(wait(*p, 1000), readable);
  EXPECT_EQ(wait(*p, 1000), readable);
  EXPECT_EQ(wait(*p, 0), readable);
  take(sock.a, 2);
  EXPECT_EQ(wait(*p, 1000), readable);
  take(sock.a, 1);
  EXPECT_EQ(wait(*p, 30), Events{});
}

TEST_P(PollerTest, ModifyChangesEventsAndToken) {
  Pair sock = Pair::sockets();
  auto p = make();
  p->add(sock.a, kReadable, 1);
  put(sock.b);  // readable now, and not collected: io_uring's answer is on its way
  p->modify(sock.a, kWritable, 2);
  EXPECT_EQ(wait(*p, 1000), (Events{{sock.a, kWritable, 2}}));
  EXPECT_EQ(wait(*p, 1000), (Events{{sock.a, kWritable, 2}}));
  p->modify(sock.a, 0, 3);
  EXPECT_EQ(wait(*p, 30), Events{});
  EXPECT_EQ(p->size(), 1u);
  p->modify(sock.a, kReadable, 4);
  EXPECT_EQ(wait(*p, 1000), (Events{{sock.a, kReadable, 4}}));
}

TEST_P(PollerTest, RemoveStopsReports) {
  Pair sock = Pair::sockets(), other = Pair::sockets();
  auto p = make();
  p->add(sock.a, kReadable, 1);
  p->add(other.a, kReadable, 9);
  EXPECT_EQ(wait(*p, 0), Events{});  // io_uring: the requests are in the kernel now
  put(sock.b);                       // and one of them is answered, uncollected
  p->remove(sock.a);
  EXPECT_EQ(p->size(), 1u);
  EXPECT_EQ(wait(*p, 30), Events{});

  // The same descriptor again, for something else, before any wait: what was meant for the old
  // registration does not show.
  p->add(sock.a, kReadable, 2);
  EXPECT_EQ(wait(*p, 0), (Events{{sock.a, kReadable, 2}}));
  put(other.b);
  p->remove(other.a);
  p->add(other.a, kWritable, 3);
  EXPECT_EQ(wait(*p, 1000), (Events{{sock.a, kReadable, 2}, {other.a, kWritable, 3}}));
  p->remove(sock.a);  // after a wait reported it
  EXPECT_EQ(wait(*p, 1000), (Events{{other.a, kWritable, 3}}));

  // Removed while watched, then closed: the file is gone, so the peer sees its end go away at once.
  p->modify(other.a, kReadable, 4);
  take(other.a);
  EXPECT_EQ(wait(*p, 0), Events{});
  p->remove(other.a);
  other.close_a();
  EXPECT_EQ(send(other.b, "x", 1, MSG_NOSIGNAL), -1);
  EXPECT_EQ(errno, EPIPE);
  EXPECT_EQ(p->size(), 0u);
}

TEST_P(PollerTest, HangupWhenThePeerCloses) {
  Pair pipe = Pair::pipe(), sock = Pair::sockets();
  auto p = make();
  p->add(pipe.a, kReadable, 1);
  p->add(sock.a, kReadable, 2);
  EXPECT_EQ(wait(*p, 0), Events{});
  pipe.close_b();
  sock.close_b();
  const Events ready = wait(*p, 1000);
  ASSERT_EQ(ready.size(), 2u);
  EXPECT_EQ(ready[0].fd, pipe.a);
  EXPECT_EQ(ready[0].token, 1u);
  EXPECT_TRUE(ready[0].events & hangup()) << ready[0].events;
  EXPECT_EQ(ready[1].fd, sock.a);
  EXPECT_EQ(ready[1].token, 2u);
  EXPECT_TRUE(ready[1].events & hangup()) << ready[1].events;
}

TEST_P(PollerTest, BlockedWaitWakesWhenAnotherThreadWrites) {
  Pair sock = Pair::sockets();
  auto p = make();
  p->add(sock.a, kReadable, 5);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    put(sock.b);
  });
  const Events ready = wait(*p, -1);
  writer.join();
  EXPECT_EQ(ready, (Events{{sock.a, kReadable, 5}}));
}

// Loop threads make and drop pollers independently, and a new poller's memory may be where the
// last one's was (an io_uring ring is mapped where the previous ring was unmapped). The second
// thread waits by sleeping, which orders nothing: under the thread sanitizer, when the ring does
// land where the last one was, this fails unless the pollers order their own making and dropping.
TEST_P(PollerTest, PollersMadeOneAfterAnotherOnTwoThreadsEachWork) {
  Pair first = Pair::sockets(), second = Pair::sockets();
  Events seen[2];
  auto use_one = [&](Pair& pair, Events& out, int delay_ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    auto p = make();
    p->add(pair.a, kReadable, 7);
    put(pair.b);
    out = wait(*p, 1000);
    take(pair.a);
  };
  std::thread early(use_one, std::ref(first), std::ref(seen[0]), 0);
  std::thread late(use_one, std::ref(second), std::ref(seen[1]), 200);
  early.join();
  late.join();
  EXPECT_EQ(seen[0], (Events{{first.a, kReadable, 7}}));
  EXPECT_EQ(seen[1], (Events{{second.a, kReadable, 7}}));
}

TEST_P(PollerTest, MisuseIsAnErrorWithItsErrno) {
  Pair sock = Pair::sockets();
  auto p = make();
  p->add(sock.a, kReadable, 1);
  try {
    p->add(sock.a, kReadable, 1);
    ADD_FAILURE() << "added twice";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::file_exists) << e.what();
  }
  for (const bool remove : {false, true}) {
    try {
      remove ? p->remove(sock.b) : p->modify(sock.b, kReadable, 1);
      ADD_FAILURE() << (remove ? "removed" : "modified") << " a descriptor never added";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory) << e.what();
    }
  }
  EXPECT_EQ(p->size(), 1u);
}

// Every descriptor of a round reported exactly once, with its token; twice as many as io_uring's
// default ring, so its submission queue fills and its completion queue overflows.
TEST_P(PollerTest, ManyDescriptorsEachOncePerRound) {
  const size_t pairs = is("select") ? 400 : 2000;  // select: every descriptor below FD_SETSIZE
  const int64_t needed = int64_t(2 * pairs) + 64;
  if (raise_fd_limit() < needed) GTEST_SKIP() << "RLIMIT_NOFILE is " << fd_limit() << ", " << needed << " needed";
  for (const unsigned capacity : {256u, unsigned(2 * pairs)}) {
    std::vector<Pair> socks;
    for (size_t i = 0; i < pairs; ++i) socks.push_back(Pair::sockets());
    auto p = make({.capacity = capacity});
    for (size_t i = 0; i < pairs; ++i) p->add(socks[i].a, kReadable, 1000 + i);
    for (const Pair& s : socks) put(s.b);

    std::vector<bool> removed(pairs);
    const auto expect_round = [&](size_t step) {
      Events want;
      for (size_t i = 0; i < pairs; i += step) {
        if (!removed[i]) want.push_back({socks[i].a, kReadable, 1000 + i});
      }
      std::sort(want.begin(), want.end(), [](const auto& x, const auto& y) { return x.fd < y.fd; });
      const Events got = wait(*p, 1000);
      EXPECT_EQ(got.size(), want.size()) << "capacity " << capacity;
      EXPECT_TRUE(got == want) << "capacity " << capacity << ": a descriptor missing, repeated or with a wrong token";
    };
    expect_round(1);
    expect_round(1);  // nothing drained: all of them again
    for (size_t i = 1; i < pairs; i += 2) take(socks[i].a);
    expect_round(2);
    // Removing moves others about (poll fills the hole with its last entry): the rest still report.
    for (size_t i = 0; i < pairs; i += 3) {
      p->remove(socks[i].a);
      removed[i] = true;
    }
    expect_round(2);
    for (size_t i = 0; i < pairs; ++i) {
      if (!removed[i]) p->remove(socks[i].a);
    }
    EXPECT_EQ(p->size(), 0u);
  }
}

TEST_P(PollerTest, HighDescriptorsOnlyPastSelect) {
  if (raise_fd_limit() < 1100) GTEST_SKIP() << "RLIMIT_NOFILE is " << fd_limit() << ", 1100 needed";
  Pair sock = Pair::sockets();
  const int high = fcntl(sock.a, F_DUPFD_CLOEXEC, 1050);
  ASSERT_GE(high, 1050) << std::strerror(errno);
  auto p = make();
  if (is("select")) {
    try {
      p->add(high, kReadable, 1);
      ADD_FAILURE() << "select took descriptor " << high;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("FD_SETSIZE"), std::string::npos) << e.what();
    }
    EXPECT_EQ(p->size(), 0u);
    EXPECT_NE(poller_unsupported("select", {}, 2000).find("FD_SETSIZE (1024)"), std::string::npos);
    EXPECT_EQ(poller_unsupported("select", {}, 1024), "");
  } else {
    EXPECT_EQ(poller_unsupported(GetParam(), {}, 100000), "");
    p->add(high, kReadable, 1);
    put(sock.b);
    EXPECT_EQ(wait(*p, 1000), (Events{{high, kReadable, 1}}));
    p->remove(high);
  }
  close(high);
}

TEST_P(PollerTest, EdgeTriggeredReportsOnceUntilNewData) {
  const PollerOptions edge{.edge_triggered = true};
  if (!is("epoll")) {
    EXPECT_NE(poller_unsupported(GetParam(), edge, 0), "");
    EXPECT_THROW(make(edge), std::invalid_argument);
    return;
  }
  EXPECT_EQ(poller_unsupported(GetParam(), edge, 0), "");
  Pair sock = Pair::sockets();
  auto p = make(edge);
  p->add(sock.a, kReadable, 3);
  put(sock.b);
  EXPECT_EQ(wait(*p, 1000), (Events{{sock.a, kReadable, 3}}));
  EXPECT_EQ(wait(*p, 30), Events{});
  put(sock.b);
  EXPECT_EQ(wait(*p, 1000), (Events{{sock.a, kReadable, 3}}));
}

TEST_P(PollerTest, MultishotCompletesAgainAtEachWakeUp) {
  const PollerOptions multishot{.multishot = true};
  if (!is("io_uring")) {
    EXPECT_NE(poller_unsupported(GetParam(), multishot, 0), "");
    EXPECT_THROW(make(multishot), std::invalid_argument);
    return;
  }
  if (const std::string why = poller_unsupported(GetParam(), multishot, 0); !why.empty()) GTEST_SKIP() << why;
  Pair sock = Pair::sockets();
  auto p = make(multishot);
  p->add(sock.a, kReadable, 5);
  EXPECT_EQ(wait(*p, 0), Events{});
  for (int round = 0; round < 5; ++round) {
    put(sock.b);
    EXPECT_EQ(wait(*p, 1000), (Events{{sock.a, kReadable, 5}})) << "round " << round;
    // Still readable, but no new wake-up: the armed request stays quiet.
    EXPECT_EQ(wait(*p, 30), Events{}) << "round " << round;
  }
  p->modify(sock.a, kWritable, 6);
  EXPECT_EQ(wait(*p, 1000), (Events{{sock.a, kWritable, 6}}));
  p->remove(sock.a);
  put(sock.b);
  EXPECT_EQ(wait(*p, 30), Events{});
}

INSTANTIATE_TEST_SUITE_P(Each, PollerTest,
                         ::testing::ValuesIn(std::vector<std::string>(poller_kinds().begin(), poller_kinds().end())),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace versus
