// The conversation shape under every runner that drives it (ctest: conversation.<runner>): an
// echo peer on the far end of socketpairs answers whatever arrives, and each conversation checks
// that every batch comes back byte for byte, at small and at large batch sizes (the latter make
// sends and receives come in pieces), over one and over several loop threads.
#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "bench/api/conversation.h"
#include "bench/poller/poller.h"
#include "bench/sys/process.h"
#include "runners/registry.h"
#include "runner_variants.h"

namespace versus {
namespace {

// The far ends of the socketpairs, served in a process of their own (EchoWork's) that buffers
// what it cannot write yet (as a server does), so a client that sends a large batch before
// reading never deadlocks. A process, as the embedded Redis server is, not a thread: the fork
// runner's children are then forked from a single-threaded test, as they are from a cell.
[[noreturn]] void serve_echo(const std::vector<int>& ends) {
  std::unique_ptr<Poller> poller = make_poller("epoll");
  std::vector<std::string> pending(ends.size());
  for (size_t i = 0; i < ends.size(); ++i) poller->add(ends[i], kReadable, i);
  std::vector<PollEvent> ready;
  std::vector<char> buf(64 << 10);
  for (;;) {
    poller->wait(ready, -1);
    for (const PollEvent& ev : ready) {
      const int fd = ends[ev.token];
      std::string& out = pending[ev.token];
      const ssize_t n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n > 0) out.append(buf.data(), size_t(n));
      if (n == 0) {
        poller->remove(fd);  // this end is done; the test's copy keeps it open
        continue;
      }
      const ssize_t w = out.empty() ? 0 : send(fd, out.data(), out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (w > 0) out.erase(0, size_t(w));
      poller->modify(fd, out.empty() ? kReadable : kReadable | kWritable, ev.token);
    }
  }
}

// Batches of `pipeline` numbered messages of `size` bytes; every answer must equal its batch.
class EchoConversation final : public Conversation {
 public:
  EchoConversation(int fd, int index, int batches, int pipeline, size_t size)
      : fd_(fd), index_(index), batches_(batches), pipeline_(pipeline), size_(size) {}
  ~EchoConversation() override { close(fd_); }
  int fd() const override { return fd_; }

  bool next(std::string& out) override {
    if (asked_ == batches_) return false;
    expected_.clear();
    for (int m = 0; m < pipeline_; ++m) {
      std::string msg = fmt::format("{}:{}:{}:", index_, asked_, m);
      msg.resize(size_ - 1, char('a' + (asked_ + m) % 26));
      expected_ += msg + "\n";
    }
    out += expected_;
    got_.clear();
    ++asked_;
    return true;
  }

  bool received(std::string_view bytes) override {
    got_.append(bytes);
    if (got_.size() > expected_.size()) throw std::runtime_error("more bytes came back than were sent");
    if (got_.size() < expected_.size()) return false;
    if (got_ == expected_) ++intact_;
    return true;
  }

  void finish(WorkerResult& out) override {
    out.value = uint64_t(intact_);
    out.ops = uint64_t(asked_) * uint64_t(pipeline_);
  }

 private:
  int fd_, index_, batches_, pipeline_;
  size_t size_;
  int asked_ = 0, intact_ = 0;
  std::string expected_, got_;
};

class EchoWork final : public ConversationWork {
 public:
  EchoWork(int connections, int batches, int pipeline, size_t size)
      : batches_(batches), pipeline_(pipeline), size_(size) {
    std::vector<int> far;
    for (int i = 0; i < connections; ++i) {
      int sv[2];
      EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
      near_.push_back(sv[0]);
      far.push_back(sv[1]);
    }
    peer_.spawn([&far]() -> int { serve_echo(far); });
    for (int fd : far) close(fd);  // the peer's now
  }
  ~EchoWork() override {
    for (int fd : near_) close(fd);
  }  // then ~ChildSet kills and reaps the peer

  std::unique_ptr<Conversation> open(int index, int) override {
    return std::make_unique<EchoConversation>(dup(near_[index]), index, batches_, pipeline_, size_);
  }
  std::string check(std::span<const WorkerResult> results) const override {
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].value != uint64_t(batches_)) {
        return fmt::format("connection {}: {} of {} batches intact", i, results[i].value, batches_);
      }
    }
    return {};
  }

 private:
  int batches_, pipeline_;
  size_t size_;
  std::vector<int> near_;
  ChildSet peer_;
};

// A case that is not done in a minute is stuck: say where every process of the test is waiting
// (its state, kernel wait channel and system call) and end, rather than sit out ctest's limit
// silently. Files are read with read(2) and written with write(2), as a signal handler may; the
// children die with us (PR_SET_PDEATHSIG).
constexpr unsigned kStuckS = 60;

void say(const char* text) { (void)!write(STDERR_FILENO, text, strlen(text)); }

void show_file(const char* path) {
  char buf[512];
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = 0;
  say(path);
  say(": ");
  say(buf);
  say("\n");
}

void show_process(const char* pid) {
  char path[400];
  for (const char* what : {"stat", "wchan", "syscall"}) {
    snprintf(path, sizeof path, "/proc/%s/%s", pid, what);
    show_file(path);
  }
}

void on_stuck(int) {
  say("conversation_test: a case is stuck; where each thread and child process of it waits:\n");
  // The other threads of this process (this one is in the handler); opendir may allocate, a
  // risk taken only on the way out.
  if (DIR* tasks = opendir("/proc/self/task")) {
    while (dirent* e = readdir(tasks)) {
      if (e->d_name[0] == '.' || atoi(e->d_name) == gettid()) continue;
      char task[300];
      snprintf(task, sizeof task, "self/task/%s", e->d_name);
      show_process(task);
    }
    closedir(tasks);
  }
  char path[64], kids[4096];
  snprintf(path, sizeof path, "/proc/%d/task/%d/children", getpid(), getpid());
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  const ssize_t n = fd < 0 ? 0 : read(fd, kids, sizeof kids - 1);
  if (fd >= 0) close(fd);
  kids[n > 0 ? n : 0] = 0;
  for (char* pid = strtok(kids, " "); pid; pid = strtok(nullptr, " ")) show_process(pid);
  _exit(1);
}

class ConversationTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    signal(SIGALRM, on_stuck);
    alarm(kStuckS);
  }
  void TearDown() override { alarm(0); }

  RunOutcome run(int connections, int batches, int pipeline, size_t size, std::map<std::string, std::string> set = {}) {
    const Runner* runner = &runner_of_variant(catalog_, GetParam(), set);
    Cell cell;
    cell.runner = std::string(runner->name());
    cell.workers = connections;
    for (const auto& table : {runner->params(), cell_params()}) {
      for (const auto& p : table) cell.params.set(p.name, set.count(p.name) ? set[p.name] : p.default_value);
    }
    EchoWork work(connections, batches, pipeline, size);
    RunOutcome out = runner->run_conversations(work, cell);
    EXPECT_EQ(out.results.size(), size_t(connections));
    for (size_t i = 0; i < out.results.size(); ++i) EXPECT_EQ(out.results[i].failed, 0) << out.results[i].message;
    EXPECT_EQ(work.check(out.results), "");
    uint64_t ops = 0;
    for (const auto& r : out.results) ops += r.ops;
    EXPECT_EQ(ops, uint64_t(connections) * uint64_t(batches) * uint64_t(pipeline));
    EXPECT_GT(out.wall_s, 0);
    return out;
  }
  Catalog catalog_{{}, all_runners()};
};

TEST_P(ConversationTest, SmallBatchesComeBackIntact) {
  run(1, 200, 1, 32);
  run(7, 50, 3, 100);
}

TEST_P(ConversationTest, LargeBatchesArriveAndLeaveInPieces) {
  run(3, 4, 16, 64 << 10);  // 1 MiB a batch: more than a socket buffer holds
}

TEST_P(ConversationTest, ManyConnectionsOverSeveralLoopThreads) {
  run(64, 20, 2, 200, {{"loop_threads", "3"}, {"fiber_threads", "3"}});
}

TEST_P(ConversationTest, NothingIsLeftRunning) {
  run(5, 10, 1, 64);
  EXPECT_TRUE(descendants().empty());
}

INSTANTIATE_TEST_SUITE_P(Each, ConversationTest,
                         ::testing::ValuesIn(runners_and_variants_driving(all_runners(), kConversationShape)),
                         VariantTestName());

}  // namespace
}  // namespace versus
