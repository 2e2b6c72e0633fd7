// io_uring: connections driven by completions rather than readiness. Each loop thread has its own
// ring; for each connection it submits the send of a batch and the receive of its responses
// together, and acts on what completes. Sockets stay blocking: the kernel waits for them, the
// thread only waits for completions.
#include <liburing.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "bench/sys/limits.h"
#include "bench/sys/measure.h"
#include "bench/sys/uring.h"
#include "runners/conversation_io.h"
#include "runners/due_queue.h"
#include "runners/event_loop.h"
#include "runners/multiplex_drivers.h"
#include "runners/registry.h"

namespace versus {
namespace {

const ParamSpec kParams[] = {
    loop_threads_param(),
    choice_param("uring_wait", {"recv", "poll"},
                 "mux: a receive in flight on every descriptor (recv), or a multishot poll request on each (poll)"),
};

constexpr size_t kRecvBytes = 16 << 10;

// One connection: the batch being sent, the buffer being received into, and what is in flight.
struct Connection {
  Conversation* conversation = nullptr;
  std::string out;
  size_t sent = 0;
  std::vector<char> in;
  bool sending = false;
  bool receiving = false;
  bool complete = false;  // the batch's responses all arrived
  bool done = false;
};

class CompletionLoop {
 public:
  explicit CompletionLoop(std::span<Conversation* const> conversations) {
    conns_.resize(conversations.size());
    for (size_t i = 0; i < conns_.size(); ++i) {
      conns_[i].conversation = conversations[i];
      conns_[i].in.resize(kRecvBytes);
    }
    // At most a send and a receive in flight per connection.
    unsigned entries = 64;
    while (entries < 2 * conns_.size()) entries *= 2;
    if (const int err = uring_init(entries, ring_); err < 0) throw_error(err, "io_uring_queue_init");
  }
  ~CompletionLoop() { uring_exit(ring_); }
  CompletionLoop(const CompletionLoop&) = delete;
  CompletionLoop& operator=(const CompletionLoop&) = delete;

  void run() {
    size_t active = 0;
    for (Connection& c : conns_) {
      if (ask_next(c)) ++active;
    }
    while (active > 0) {
      due_.take_due(now_ns(), [&](size_t i) {
        if (!start_batch(conns_[i])) --active;
      });
      if (active == 0) break;
      wait_for_completions();
      unsigned head, seen = 0;
      io_uring_cqe* cqe;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        ++seen;
        const uint64_t data = io_uring_cqe_get_data64(cqe);
        Connection& c = conns_[data >> 1];
        if (data & 1) {
          on_received(c, cqe->res);
        } else {
          on_sent(c, cqe->res);
        }
        if (c.complete && !c.sending && !c.done && !ask_next(c)) --active;
      }
      io_uring_cq_advance(&ring_, seen);
    }
  }

 private:
  // Submits at least what is queued and waits for a completion, or, while connections wait for
  // their send time (open loop), until the earliest of those at the latest.
  void wait_for_completions() {
    if (due_.empty()) {
      if (const int err = io_uring_submit_and_wait(&ring_, 1); err < 0 && err != -EINTR) {
        throw_error(err, "io_uring_submit_and_wait");
      }
      return;
    }
    const int64_t left = std::max<int64_t>(due_.earliest() - now_ns(), 0);
    __kernel_timespec ts{left / 1000000000, left % 1000000000};
    io_uring_cqe* first;
    const int err = io_uring_submit_and_wait_timeout(&ring_, &first, 1, &ts, nullptr);
    if (err < 0 && err != -ETIME && err != -EINTR) throw_error(err, "io_uring_submit_and_wait_timeout");
  }

  // Starts the next batch now, or, open loop, queues the connection until it is due. False when
  // the conversation is over.
  bool ask_next(Connection& c) {
    if (const int64_t due = c.conversation->wait_until_ns()) {
      c.complete = false;
      due_.push(due, size_t(&c - conns_.data()));
      return true;
    }
    return start_batch(c);
  }

  // Asks the conversation for its next batch and submits its send and the first receive.
  bool start_batch(Connection& c) {
    c.out.clear();
    c.sent = 0;
    c.complete = false;
    if (!c.conversation->next(c.out)) {
      c.done = true;
      return false;
    }
    submit_send(c);
    submit_recv(c);
    return true;
  }

  void on_sent(Connection& c, int res) {
    c.sending = false;
    if (res < 0) throw_error(res, "send");
    c.sent += size_t(res);
    if (c.sent < c.out.size()) submit_send(c);  // a short send: the rest
  }

  void on_received(Connection& c, int res) {
    c.receiving = false;
    if (res < 0) throw_error(res, "recv");
    if (res == 0) throw_peer_closed(c.conversation->fd());
    if (c.conversation->received({c.in.data(), size_t(res)})) {
      c.complete = true;
    } else {
      submit_recv(c);
    }
  }

  void submit_send(Connection& c) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_send(sqe, c.conversation->fd(), c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, uint64_t(&c - conns_.data()) << 1);
    c.sending = true;
  }

  void submit_recv(Connection& c) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_recv(sqe, c.conversation->fd(), c.in.data(), c.in.size(), 0);
    io_uring_sqe_set_data64(sqe, (uint64_t(&c - conns_.data()) << 1) | 1);
    c.receiving = true;
  }

  io_uring_sqe* next_sqe() { return free_sqe(ring_); }

  io_uring ring_{};
  std::vector<Connection> conns_;
  DueQueue due_;  // open loop: connections waiting for their send time
};

// mux: a read in flight on every descriptor at once; each completion is an event, and the read is
// submitted again. Reads rather than receives, so pipes work as well as sockets.
RunOutcome multiplex_on_receives(MultiplexWork& work, const Cell& cell) {
  constexpr unsigned kBytes = 16;
  const size_t n = size_t(work.descriptors());
  std::vector<uint8_t> bufs(n * kBytes);
  io_uring ring{};
  bool ring_made = false;
  uint64_t calls = 0;
  auto submit_read = [&](size_t i) {
    io_uring_sqe* sqe = free_sqe(ring, &calls);
    io_uring_prep_read(sqe, work.read_fd(int(i)), &bufs[i * kBytes], kBytes, uint64_t(-1));
    io_uring_sqe_set_data64(sqe, i);
  };
  SingleThreadMultiplex driver;
  driver.prepare = [&]() -> uint64_t {
    unsigned entries = 64;
    while (entries < n && entries < 4096) entries *= 2;
    io_uring_params params{};
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = unsigned(std::min<size_t>(std::max<size_t>(2 * n, 128), 65536));
    if (const int err = uring_init(entries, ring, &params); err < 0) {
      throw_error(err, "io_uring_queue_init_params");
    }
    ring_made = true;
    for (size_t i = 0; i < n; ++i) submit_read(i);
    ++calls;
    if (const int err = io_uring_submit(&ring); err < 0) throw_error(err, "io_uring_submit");
    return 0;
  };
  driver.consume = [&](uint64_t target) -> uint64_t {
    calls = 0;
    uint64_t ended = 0;
    while (ended < target) {
      ++calls;
      if (const int err = io_uring_submit_and_wait(&ring, 1); err < 0 && err != -EINTR) {
        throw_error(err, "io_uring_submit_and_wait");
      }
      unsigned head, seen = 0;
      io_uring_cqe* cqe;
      io_uring_for_each_cqe(&ring, head, cqe) {
        ++seen;
        const size_t i = size_t(io_uring_cqe_get_data64(cqe));
        if (cqe->res < 0) throw_error(cqe->res, "read");
        if (cqe->res == 0) throw std::runtime_error(fmt::format("descriptor {} was closed before the last round", i));
        for (int k = 0; k < cqe->res; ++k) {
          if (forward_event(work, int(i), bufs[i * kBytes + size_t(k)])) {
            ++calls;
          } else {
            ++ended;
          }
        }
        submit_read(i);
      }
      io_uring_cq_advance(&ring, seen);
    }
    return calls;
  };
  try {
    RunOutcome out = multiplex_on_one_thread(work, cell, driver);
    if (ring_made) uring_exit(ring);
    return out;
  } catch (...) {
    if (ring_made) uring_exit(ring);
    throw;
  }
}

class IoUringRunner final : public Runner {
 public:
  std::string_view name() const override { return "io_uring"; }
  std::string_view summary() const override {
    return "connections driven by io_uring completions (send and recv submitted), one ring per loop thread";
  }
  unsigned shapes() const override { return kConversationShape | kMultiplexShape; }
  std::span<const ParamSpec> params() const override { return kParams; }
  std::string unsupported(const Scenario& scenario, const Cell& cell) const override {
    if (scenario.shape() == kMultiplexShape && cell.params.integer("loop_threads") != 1) {
      return "the multiplex shape runs on one loop thread";
    }
    if (std::string why = check_tasks(loop_threads_for(cell), "loop threads"); !why.empty()) return why;
    PollerOptions options;
    options.multishot = cell.params.str("uring_wait") == "poll";
    return poller_unsupported("io_uring", options, highest_fd_for(scenario, cell));
  }
  PlacedUnits placed_units(const Scenario& scenario, const Cell& cell) const override {
    return loop_units(scenario, cell);
  }
  RunOutcome run_conversations(ConversationWork& work, const Cell& cell) const override {
    return run_conversations_on_loops(work, cell, loop_threads_for(cell),
                                      [](std::span<Conversation* const> convs) { CompletionLoop(convs).run(); });
  }
  RunOutcome run_multiplex(MultiplexWork& work, const Cell& cell) const override {
    if (cell.params.str("uring_wait") == "poll") {
      PollerOptions options;
      options.multishot = true;
      options.capacity = unsigned(work.descriptors());
      return multiplex_on_poller(work, cell, "io_uring", options);
    }
    return multiplex_on_receives(work, cell);
  }
};

}  // namespace

const Runner* io_uring_runner() {
  static const IoUringRunner runner;
  return &runner;
}

}  // namespace versus
