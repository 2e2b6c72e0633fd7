// The server's event loop: one thread, one poller, every client a small state machine.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "bench/poller/poller.h"
#include "scenarios/redis/commands.h"
#include "scenarios/redis/request_parser.h"
#include "scenarios/redis/resp.h"
#include "scenarios/redis/server.h"
#include "bench/sys/errors.h"
#include "bench/sys/measure.h"

namespace versus::redis {
namespace {

constexpr uint64_t kListenerToken = 0;
constexpr uint64_t kTimerToken = 1;
constexpr size_t kReadSize = 64 << 10;
constexpr size_t kCompactAt = 64 << 10;  // drop consumed bytes from a buffer's front past this
// A listener set aside when accept4 ran out of descriptors or memory tries again after this.
constexpr int kAcceptRetryMs = 100;

// Written with write(2): the child of a multithreaded parent keeps away from stdio's locks.
void log_error(const std::string& text) {
  const std::string line = "versus redis server: " + text + "\n";
  [[maybe_unused]] ssize_t r = write(STDERR_FILENO, line.data(), line.size());
}

struct Client {
  int fd = -1;
  uint64_t token = 0;  // tells this client from an earlier one on the same descriptor
  RequestParser parser;
  std::string in;
  size_t in_pos = 0;  // start of the request being parsed
  std::string out;
  size_t out_pos = 0;    // sent up to here
  size_t out_ready = 0;  // may be sent up to here; what follows is held by the delay
  uint32_t interest = 0;
  bool eof = false;      // the client will send nothing more
  bool closing = false;  // QUIT or a protocol error: no more requests; close once sent
  bool paused = false;   // requests left unparsed while the output backlog is too large
  bool dead = false;     // the socket failed: close now
};

// Replies waiting for their time, in deadline order (the delay is the same for all).
struct HeldReplies {
  int64_t deadline_ns;
  int fd;
  uint64_t token;
  size_t bytes;
};

class ServerLoop {
 public:
  ServerLoop(const ServerOptions& options, int listen_fd);
  ~ServerLoop();
  ServerLoop(const ServerLoop&) = delete;
  ServerLoop& operator=(const ServerLoop&) = delete;

  void run(const std::atomic<bool>& stop);
  void stall();

 private:
  void accept_clients();
  void resume_accepting();
  void on_event(Client& c, uint32_t events);
  void read_input(Client& c);
  void process_input(Client& c);
  void reply_error(Client& c, std::string_view message);
  void queue_reply(Client& c, size_t bytes);
  void flush(Client& c);
  void release_due();
  void arm_timer();
  // Whatever happened to `c`: resumes parsing, closes it, or updates what it waits for. `c` may
  // be gone afterwards.
  void settle(Client& c);
  void close_client(Client& c);
  size_t backlog(const Client& c) const { return c.out.size() - c.out_pos; }
  Client* find(int fd, uint64_t token) {
    return size_t(fd) < clients_.size() && clients_[size_t(fd)] && clients_[size_t(fd)]->token == token
               ? clients_[size_t(fd)].get()
               : nullptr;
  }

  ServerOptions options_;
  RequestLimits limits_;
  int listen_fd_;
  int timer_fd_ = -1;
  std::unique_ptr<Poller> poller_;
  std::vector<std::unique_ptr<Client>> clients_;  // by descriptor
  size_t client_count_ = 0;
  uint64_t next_token_ = 2;
  bool accepting_ = true;
  bool said_cannot_accept_ = false;  // once per spell of failures, not at every retry
  int64_t retry_accept_ns_ = 0;      // when a listener set aside for want of descriptors tries again
  std::deque<HeldReplies> held_;
  int64_t timer_deadline_ = 0;  // what the timerfd is armed for; 0: not armed
  int64_t now_ns_ = 0;
  Store store_;
  CommandContext ctx_{store_};
  std::vector<char> read_buf_;
  std::vector<PollEvent> ready_;
};

ServerLoop::ServerLoop(const ServerOptions& options, int listen_fd)
    : options_(options),
      limits_{options.max_bulk, options.max_args, RequestLimits{}.max_inline},
      listen_fd_(listen_fd),
      poller_(make_poller("epoll", {.edge_triggered = false, .capacity = 1024})),
      read_buf_(kReadSize) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) < 0) throw_errno("getsockname");
  now_ns_ = now_ns();
  ctx_.port = ntohs(addr.sin_port);
  ctx_.started_ms = ctx_.now_ms = now_ns_ / 1'000'000;

  timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer_fd_ < 0) throw_errno("timerfd_create");
  poller_->add(listen_fd_, kReadable, kListenerToken);
  poller_->add(timer_fd_, kReadable, kTimerToken);
}

// The whole loop stops for stall_ms, as Redis does while it forks for a snapshot or runs a long
// command: nothing is read, answered or accepted meanwhile.
void ServerLoop::stall() {
  timespec left{time_t(options_.stall_ms / 1000), long(options_.stall_ms % 1000) * 1'000'000};
  while (nanosleep(&left, &left) < 0) {
    if (errno != EINTR) throw_errno("nanosleep");
  }
}

ServerLoop::~ServerLoop() {
  for (auto& c : clients_) {
    if (c) close_client(*c);
  }
  poller_->remove(listen_fd_);
  poller_->remove(timer_fd_);
  close(timer_fd_);
}

void ServerLoop::run(const std::atomic<bool>& stop) {
  const int64_t stall_every_ns = int64_t(options_.stall_every_ms) * 1'000'000;
  int64_t next_stall_ns = options_.stall_ms > 0 ? now_ns_ + stall_every_ns : 0;
  while (!stop.load(std::memory_order_relaxed)) {
    int wait_ms = 50;
    if (next_stall_ns > 0) {
      if (now_ns() >= next_stall_ns) {
        stall();
        next_stall_ns += stall_every_ns;
      }
      wait_ms = int(std::clamp<int64_t>((next_stall_ns - now_ns()) / 1'000'000, 0, 50));
    }
    poller_->wait(ready_, wait_ms);
    now_ns_ = now_ns();
    ctx_.now_ms = now_ns_ / 1'000'000;
    for (const PollEvent& ev : ready_) {
      if (ev.token == kListenerToken) {
        accept_clients();
      } else if (ev.token == kTimerToken) {
        uint64_t expirations;
        if (read(timer_fd_, &expirations, sizeof expirations) < 0 && errno != EAGAIN) throw_errno("read(timerfd)");
        timer_deadline_ = 0;
      } else if (Client* c = find(ev.fd, ev.token)) {
        on_event(*c, ev.events);
      }
    }
    if (!accepting_ && now_ns_ >= retry_accept_ns_) resume_accepting();
    release_due();
    arm_timer();
  }
}

void ServerLoop::accept_clients() {
  for (int i = 0; i < 1000; ++i) {  // then let the clients already in have their turn
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // The listener would stay readable and spin the loop: set it aside until a client leaves,
        // or for a while, since what ran out may be freed by another process, or held by none of
        // our clients.
        if (!said_cannot_accept_) {
          log_error(fmt::format("accept4: {}; not accepting until a client closes, or for {} ms",
                                strerror(errno), kAcceptRetryMs));
          said_cannot_accept_ = true;
        }
        poller_->modify(listen_fd_, 0, kListenerToken);
        accepting_ = false;
        retry_accept_ns_ = now_ns_ + int64_t(kAcceptRetryMs) * 1'000'000;
        return;
      }
      throw_errno("accept4");
    }
    said_cannot_accept_ = false;
    if (client_count_ >= options_.max_clients) {
      static constexpr std::string_view kFull = "-ERR max number of clients reached\r\n";
      [[maybe_unused]] ssize_t w = send(fd, kFull.data(), kFull.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      close(fd);
      continue;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // a reply is one small write
    if (size_t(fd) >= clients_.size()) clients_.resize(size_t(fd) + 1);
    auto c = std::make_unique<Client>();
    c->fd = fd;
    c->token = next_token_++;
    c->parser = RequestParser(limits_);
    c->interest = kReadable;
    poller_->add(fd, kReadable, c->token);
    clients_[size_t(fd)] = std::move(c);
    ++client_count_;
  }
}

void ServerLoop::on_event(Client& c, uint32_t events) {
  if (events & kError) {
    c.dead = true;
  } else if (c.interest & kReadable) {
    if (events & (kReadable | kHangup)) read_input(c);
  } else if (events & kHangup) {
    c.dead = true;  // hung up both ways: nothing can be sent any more
  }
  if (!c.dead && (events & kWritable)) flush(c);
  settle(c);
}

void ServerLoop::read_input(Client& c) {
  const ssize_t n = recv(c.fd, read_buf_.data(), read_buf_.size(), 0);
  if (n > 0) {
    c.in.append(read_buf_.data(), size_t(n));
  } else if (n == 0) {
    c.eof = true;
  } else {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) c.dead = true;
    return;
  }
  process_input(c);
  flush(c);
}

void ServerLoop::process_input(Client& c) {
  while (!c.closing && !c.dead) {
    if (backlog(c) >= options_.max_output_backlog) {
      c.paused = true;
      break;
    }
    const std::string_view in(c.in.data() + c.in_pos, c.in.size() - c.in_pos);
    const RequestParser::Status status = c.parser.parse(in);
    if (status == RequestParser::Status::kIncomplete) {
      if (in.size() > options_.max_query_buffer) {
        reply_error(c, fmt::format("ERR Protocol error: request over the query buffer limit of {} bytes",
                                   options_.max_query_buffer));
      } else if (c.eof) {
        c.closing = true;  // a partial request nobody will finish
      }
      break;
    }
    if (status == RequestParser::Status::kProtocolError) {
      reply_error(c, "ERR " + c.parser.error());
      break;
    }
    const size_t before = c.out.size();
    const auto& args = c.parser.args();
    if (!args.empty()) {
      ctx_.connected_clients = client_count_;
      if (execute_command(ctx_, args, c.out) == AfterReply::kClose) c.closing = true;
    }
    c.in_pos += c.parser.consumed();
    c.parser.next();
    queue_reply(c, c.out.size() - before);
  }
  if (c.in_pos == c.in.size()) {
    c.in.clear();
    c.in_pos = 0;
  } else if (c.in_pos > kCompactAt && c.in_pos > c.in.size() / 2) {
    c.in.erase(0, c.in_pos);  // the parser counts from the request's start, so it is unaffected
    c.in_pos = 0;
  }
}

void ServerLoop::reply_error(Client& c, std::string_view message) {
  const size_t before = c.out.size();
  append_error(c.out, message);
  queue_reply(c, c.out.size() - before);
  c.closing = true;
}

void ServerLoop::queue_reply(Client& c, size_t bytes) {
  if (bytes == 0) return;
  if (options_.delay_us == 0) {
    c.out_ready = c.out.size();
    return;
  }
  const int64_t deadline = now_ns_ + int64_t(options_.delay_us) * 1000;
  if (!held_.empty() && held_.back().token == c.token && held_.back().deadline_ns == deadline) {
    held_.back().bytes += bytes;
  } else {
    held_.push_back({deadline, c.fd, c.token, bytes});
  }
}

void ServerLoop::flush(Client& c) {
  while (c.out_pos < c.out_ready) {
    const ssize_t n = send(c.fd, c.out.data() + c.out_pos, c.out_ready - c.out_pos, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_pos += size_t(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) c.dead = true;
      break;
    }
  }
  if (c.out_pos == c.out.size()) {
    c.out.clear();
    c.out_pos = c.out_ready = 0;
  } else if (c.out_pos > kCompactAt && c.out_pos > c.out.size() / 2) {
    c.out.erase(0, c.out_pos);
    c.out_ready -= c.out_pos;
    c.out_pos = 0;
  }
}

void ServerLoop::release_due() {
  while (!held_.empty() && held_.front().deadline_ns <= now_ns_) {
    const HeldReplies h = held_.front();
    held_.pop_front();
    if (Client* c = find(h.fd, h.token)) {
      c->out_ready += h.bytes;
      flush(*c);
      settle(*c);
    }
  }
}

void ServerLoop::arm_timer() {
  if (held_.empty() || held_.front().deadline_ns == timer_deadline_) return;
  timer_deadline_ = held_.front().deadline_ns;
  itimerspec when{};
  when.it_value.tv_sec = timer_deadline_ / 1'000'000'000;
  when.it_value.tv_nsec = timer_deadline_ % 1'000'000'000;
  if (timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &when, nullptr) < 0) throw_errno("timerfd_settime");
}

void ServerLoop::settle(Client& c) {
  if (!c.dead && c.paused && backlog(c) < options_.max_output_backlog) {
    c.paused = false;
    process_input(c);
    flush(c);
  }
  if (c.dead || (c.closing && c.out_pos == c.out.size())) return close_client(c);
  uint32_t want = 0;
  if (!c.closing && !c.eof && !c.paused) want |= kReadable;
  if (c.out_pos < c.out_ready) want |= kWritable;
  if (want != c.interest) {
    poller_->modify(c.fd, want, c.token);
    c.interest = want;
  }
}

void ServerLoop::close_client(Client& c) {
  const int fd = c.fd;
  poller_->remove(fd);
  close(fd);
  --client_count_;
  if (!accepting_) resume_accepting();
  clients_[size_t(fd)].reset();
}

void ServerLoop::resume_accepting() {
  poller_->modify(listen_fd_, kReadable, kListenerToken);
  accepting_ = true;
}

}  // namespace

void run_server_loop(const ServerOptions& options, int listen_fd, const std::atomic<bool>& stop,
                     const std::function<void()>& ready) {
  ServerLoop loop(options, listen_fd);
  if (ready) ready();
  loop.run(stop);
}

}  // namespace versus::redis
