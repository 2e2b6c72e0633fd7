#include "runners/conversation_io.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <system_error>

#include <fmt/format.h>

#include "bench/sys/errors.h"
#include "bench/sys/fd.h"
#include "bench/sys/measure.h"
#include "bench/poller/poller.h"
#include "runners/registry.h"
#include "runners/task_phase.h"

namespace versus {
namespace {

constexpr size_t kReadChunk = 16 << 10;

// Sends all of `bytes`; where the socket is non-blocking, waits through the context.
void send_all(int fd, std::string_view bytes, WorkerContext& ctx) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      bytes.remove_prefix(size_t(n));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      ctx.wait_for(fd, kWritable);
    } else if (errno != EINTR) {
      throw_errno("send");
    }
  }
}

// Reads until the conversation says the batch's responses are complete.
void receive_batch(Conversation& conv, char* buf, WorkerContext& ctx) {
  const int fd = conv.fd();
  for (;;) {
    const ssize_t n = recv(fd, buf, kReadChunk, 0);
    if (n > 0) {
      if (conv.received({buf, size_t(n)})) return;
    } else if (n == 0) {
      throw_peer_closed(fd);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      ctx.wait_for(fd, kReadable);
    } else if (errno != EINTR) {
      throw_errno("recv");
    }
  }
}

// One worker per connection: it opens its own before the start line and talks until done.
class ConversationWorkers final : public RunnerTask {
 public:
  ConversationWorkers(ConversationWork& work, int count) : work_(work), conversations_(count) {}

  void prepare(WorkerContext& ctx) override {
    auto& conv = conversations_[ctx.index()];
    conv = work_.open(ctx.index(), ctx.workers());
    if (ctx.cooperative()) set_nonblocking(conv->fd());
  }

  void run(WorkerContext& ctx, WorkerResult& out) override {
    Conversation& conv = *conversations_[ctx.index()];
    std::string request;
    std::vector<char> buf(kReadChunk);
    for (;;) {
      if (const int64_t due = conv.wait_until_ns()) ctx.sleep_until(due);
      if (!conv.next(request)) break;
      send_all(conv.fd(), request, ctx);
      request.clear();
      receive_batch(conv, buf.data(), ctx);
    }
    conv.finish(out);
  }

 private:
  ConversationWork& work_;
  // Each worker touches only its own entry; under fork each child fills its own copy.
  std::vector<std::unique_ptr<Conversation>> conversations_;
};

// A few loop threads, each owning connections i, i + loops, ... Per-connection results are kept
// here (the loops are threads of this process) and replace the per-loop ones afterwards.
class ConversationLoops final : public RunnerTask {
 public:
  ConversationLoops(ConversationWork& work, int connections, int loops, const LoopBody& body)
      : work_(work), body_(body), loops_(loops), conversations_(connections), results_(connections) {}

  void prepare(WorkerContext& ctx) override {
    for (size_t i = size_t(ctx.index()); i < conversations_.size(); i += size_t(loops_)) {
      conversations_[i] = work_.open(int(i), int(conversations_.size()));
    }
  }

  void run(WorkerContext& ctx, WorkerResult& out) override {
    std::vector<Conversation*> mine;
    for (size_t i = size_t(ctx.index()); i < conversations_.size(); i += size_t(loops_)) {
      mine.push_back(conversations_[i].get());
    }
    body_(mine);
    for (size_t i = size_t(ctx.index()); i < conversations_.size(); i += size_t(loops_)) {
      conversations_[i]->finish(results_[i]);
      out.ops += results_[i].ops;
    }
  }

  std::vector<WorkerResult> take_results() { return std::move(results_); }

 private:
  ConversationWork& work_;
  const LoopBody& body_;
  int loops_;
  std::vector<std::unique_ptr<Conversation>> conversations_;
  std::vector<WorkerResult> results_;
};

}  // namespace

RunOutcome run_conversations_as_workers(const Runner& runner, ConversationWork& work, const Cell& cell) {
  ConversationWorkers task(work, cell.workers);
  return runner.run_task(task, cell, TaskLayout{cell.workers, 1, 0});
}

RunOutcome run_conversations_on_loops(ConversationWork& work, const Cell& cell, int loops, const LoopBody& body) {
  ConversationLoops task(work, cell.workers, loops, body);
  RunOutcome out = pthread_runner()->run_task(task, cell, TaskLayout{loops, 1, 0});
  // A loop that failed failed its connections: report it as such, with the loop's reason.
  for (const WorkerResult& loop : out.results) {
    if (loop.failed) return out;
  }
  out.results = task.take_results();
  return out;
}

void throw_peer_closed(int fd) {
  throw std::runtime_error(fmt::format("the server closed connection (fd {}) before the responses were complete", fd));
}

}  // namespace versus
