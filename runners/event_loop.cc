#include "runners/event_loop.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include "bench/sys/errors.h"
#include "bench/sys/fd.h"
#include "bench/sys/limits.h"
#include "bench/sys/measure.h"
#include "bench/sys/deadline_timer.h"
#include "runners/conversation_io.h"
#include "runners/due_queue.h"
#include "runners/multiplex_drivers.h"

namespace versus {
namespace {

// One connection's state in a loop: the request bytes not yet sent, and whether the poller is
// watching for writability (only while a send is stuck, so a level-triggered poller does not
// report a writable socket on every wait).
struct Connection {
  Conversation* conversation = nullptr;
  std::string out;
  size_t sent = 0;
  bool watching_writes = false;
  bool done = false;
};

// The token of the loop's send timer in the poller: no connection's index.
constexpr uint64_t kTimerToken = UINT64_MAX;

class ReadinessLoop {
 public:
  ReadinessLoop(Poller& poller, bool edge, std::span<Conversation* const> conversations)
      : poller_(poller), edge_(edge), buf_(16 << 10) {
    conns_.resize(conversations.size());
    for (size_t i = 0; i < conns_.size(); ++i) conns_[i].conversation = conversations[i];
  }

  void run() {
    for (size_t i = 0; i < conns_.size(); ++i) {
      set_nonblocking(conns_[i].conversation->fd());
      poller_.add(conns_[i].conversation->fd(), kReadable, i);
    }
    size_t active = conns_.size();
    for (size_t i = 0; i < conns_.size(); ++i) {
      if (!ask_next(conns_[i])) --active;
    }
    std::vector<PollEvent> ready;
    while (active > 0) {
      if (!due_.empty()) active -= send_due();
      if (active == 0) break;
      poller_.wait(ready, -1);
      for (const PollEvent& ev : ready) {
        if (ev.token == kTimerToken) {
          timer_->clear();  // send_due, next round, takes who is due
          continue;
        }
        Connection& c = conns_[ev.token];
        if (c.done) continue;
        if (ev.events & kWritable) flush(c);
        if (ev.events & (kReadable | kHangup | kError)) {
          if (!read_ready(c)) --active;
        }
      }
    }
  }

 private:
  // Sends the next batch now, or, open loop, queues the connection until the batch is due. False
  // when the conversation is over.
  bool ask_next(Connection& c) {
    if (const int64_t due = c.conversation->wait_until_ns()) {
      if (!timer_) {
        timer_.emplace();
        poller_.add(timer_->fd(), kReadable, kTimerToken);
      }
      due_.push(due, size_t(&c - conns_.data()));
      return true;
    }
    return send_next(c);
  }

  // Sends the batches that are due, and sets the timer for the next; returns how many
  // conversations turned out to be over.
  size_t send_due() {
    size_t over = 0;
    due_.take_due(now_ns(), [&](size_t i) {
      if (!send_next(conns_[i])) ++over;
    });
    timer_->arm(due_.earliest());
    return over;
  }

  // Takes the next batch and starts sending it; false when the conversation is over.
  bool send_next(Connection& c) {
    c.out.clear();
    c.sent = 0;
    if (!c.conversation->next(c.out)) {
      c.done = true;
      poller_.remove(c.conversation->fd());
      return false;
    }
    flush(c);
    return true;
  }

  void flush(Connection& c) {
    const int fd = c.conversation->fd();
    while (c.sent < c.out.size()) {
      const ssize_t n = send(fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
      if (n >= 0) {
        c.sent += size_t(n);
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!c.watching_writes) watch_writes(c, true);
        return;
      } else if (errno != EINTR) {
        throw_errno("send");
      }
    }
    if (c.watching_writes) watch_writes(c, false);
  }

  void watch_writes(Connection& c, bool on) {
    c.watching_writes = on;
    poller_.modify(c.conversation->fd(), on ? kReadable | kWritable : kReadable, size_t(&c - conns_.data()));
  }

  // Reads what is there (level-triggered: one read, the poller reports the rest; edge-triggered:
  // until the socket is drained). False once the conversation is over.
  bool read_ready(Connection& c) {
    const int fd = c.conversation->fd();
    for (;;) {
      const ssize_t n = recv(fd, buf_.data(), buf_.size(), 0);
      if (n > 0) {
        if (c.conversation->received({buf_.data(), size_t(n)}) && !ask_next(c)) return false;
        if (!edge_) return true;
      } else if (n == 0) {
        throw_peer_closed(fd);
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return true;
      } else if (errno != EINTR) {
        throw_errno("recv");
      }
    }
  }

  Poller& poller_;
  bool edge_;
  std::vector<char> buf_;
  std::vector<Connection> conns_;
  DueQueue due_;                        // open loop: connections waiting for their send time
  std::optional<DeadlineTimer> timer_;  // made at the first wait for a send time
};

}  // namespace

ParamSpec loop_threads_param() {
  return int_param("loop_threads", 1, 1, 1024, "event-loop threads the connections are spread over");
}

int loop_threads_for(const Cell& cell) {
  return int(std::clamp<int64_t>(cell.params.integer("loop_threads"), 1, cell.workers));
}

int64_t highest_fd_for(const Scenario& scenario, const Cell& cell) {
  const int64_t held = scenario.shape() == kMultiplexShape ? 2 * scenario.watched_descriptors(cell) : cell.workers;
  return held + 32;
}

PollerOptions PollerLoopRunner::options_for(const Cell& cell, int64_t descriptors_per_loop) const {
  PollerOptions options;
  options.edge_triggered = cell.params.has("trigger") && cell.params.str("trigger") == "edge";
  options.capacity = unsigned(std::max<int64_t>(1, descriptors_per_loop));
  return options;
}

std::string PollerLoopRunner::unsupported(const Scenario& scenario, const Cell& cell) const {
  const bool mux = scenario.shape() == kMultiplexShape;
  if (mux && cell.params.integer("loop_threads") != 1) return "the multiplex shape runs on one loop thread";
  if (std::string why = check_tasks(loop_threads_for(cell), "loop threads"); !why.empty()) return why;
  return poller_unsupported(kind_, options_for(cell, 1), highest_fd_for(scenario, cell));
}

PlacedUnits loop_units(const Scenario& scenario, const Cell& cell) {
  return {scenario.shape() == kMultiplexShape ? 1 : loop_threads_for(cell), 1};
}

PlacedUnits PollerLoopRunner::placed_units(const Scenario& scenario, const Cell& cell) const {
  return loop_units(scenario, cell);
}

RunOutcome PollerLoopRunner::run_multiplex(MultiplexWork& work, const Cell& cell) const {
  return multiplex_on_poller(work, cell, kind_, options_for(cell, work.descriptors()));
}

RunOutcome PollerLoopRunner::run_conversations(ConversationWork& work, const Cell& cell) const {
  const PollerOptions options = options_for(cell, cell.workers / loop_threads_for(cell) + 1);
  return run_conversations_on_loops(work, cell, loop_threads_for(cell), [&](std::span<Conversation* const> convs) {
    std::unique_ptr<Poller> poller = make_poller(kind_, options);
    ReadinessLoop(*poller, options.edge_triggered, convs).run();
  });
}

}  // namespace versus
