// The embedded Redis server: what the redis scenario talks to when no real Redis is given. Like
// Redis, it is one thread running one event loop, over versus::Poller (epoll), listening on
// 127.0.0.1 only. Connections are non-blocking, each with an input and an output buffer;
// pipelined requests are answered in order, and output the socket cannot take yet waits for
// kWritable. Requests are RESP arrays of bulk strings or inline commands; the commands and their
// replies are listed in commands.h.
//
// delay_us models a slower service without serialising clients: each command runs as soon as it
// is read, but its reply is held until delay_us after that, in a FIFO of deadlines (the delay is
// the same for every request, so arrival order is deadline order) driven by a timerfd in the
// poller. Nothing sleeps, so other connections go on meanwhile; replies on one connection keep
// their order. The clock is read once per loop turn, so requests read together share a deadline.
//
// stall_ms models a server that stops now and then (Redis forking for a snapshot, a long
// command): once per stall_every_ms the whole loop sleeps stall_ms, every connection waits.
//
// Bad input never stops the server: an unknown command or bad arguments get an error reply; a
// framing error (a bad length, a missing CRLF, a line or bulk over the limits) gets
// "-ERR Protocol error: ..." and the connection is closed once it is sent. A client that stops
// reading is not read from while its output holds more than max_output_backlog bytes.
//
// EmbeddedServer runs the loop in a child process, as a real Redis is a process of its own: the
// benchmark's workers and the server share no address space and no allocator, and the server's
// CPU time is counted apart. run_server_loop runs the loop anywhere, e.g. in a thread of a test
// under a sanitizer.
//
// What the server reports once it listens (an accept4 out of descriptors) it writes on its
// standard error, which is the pipe it reported its port on: trouble() reads it back, so that a
// repetition's row can say what went wrong on the server's side.
//
// Stricter than Redis where the protocol is broken: a bulk string must end in CRLF (Redis skips
// two bytes unread), arguments are at most max_bulk (64 MiB; Redis: 512 MiB), a request has at
// most max_args arguments.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bench/sys/child.h"

namespace versus::redis {

struct ServerOptions {
  uint16_t port = 0;                            // on 127.0.0.1; 0: an ephemeral port, reported by port()
  uint32_t delay_us = 0;                        // each reply is sent this long after its request was read
  uint32_t stall_ms = 0;                        // the loop stops this long once per stall_every_ms (0: never)
  uint32_t stall_every_ms = 0;
  size_t max_clients = 10000;                   // one more is told "-ERR max number of clients reached"
  int64_t max_bulk = int64_t{64} << 20;         // one argument (Redis: 512 MiB)
  int64_t max_args = int64_t{1} << 20;          // arguments in one request
  size_t max_query_buffer = size_t{256} << 20;  // unparsed input held for one connection
  size_t max_output_backlog = size_t{4} << 20;  // stop reading a client above this much output
  std::vector<int> cpus = {};                   // EmbeddedServer: bind the server to these (empty: anywhere)
};

// A listening, non-blocking TCP socket on 127.0.0.1:options.port; `port` gets the port it has.
// Throws std::system_error naming the call.
int open_listener(const ServerOptions& options, uint16_t& port);

// Serves clients accepted on `listen_fd` until `stop` becomes true (checked at least every
// 50 ms), then closes every client. `listen_fd` stays the caller's to close. Throws
// std::system_error when the kernel refuses the loop itself (epoll, timerfd). `ready`, when given,
// is called once the loop has all it needs and before it serves anyone.
void run_server_loop(const ServerOptions& options, int listen_fd, const std::atomic<bool>& stop,
                     const std::function<void()>& ready = {});

// The server in a child process. start() forks; the child dies with the thread that called
// start() (PR_SET_PDEATHSIG), so call it from a thread that outlives the server.
//
// After fork the child runs the whole loop, which allocates (std::string, std::vector). In a
// multithreaded parent that is only safe because glibc's fork resets malloc's locks in the
// child; the child takes no other lock the parent's threads may have held (no stdio: it reports
// with write(2); no dlopen). Before the loop it only resets signals, closes inherited descriptors
// and opens its socket.
class EmbeddedServer {
 public:
  EmbeddedServer() = default;
  EmbeddedServer(const EmbeddedServer&) = delete;
  EmbeddedServer& operator=(const EmbeddedServer&) = delete;
  ~EmbeddedServer() { stop(); }

  // Forks the server and returns once it listens. Throws std::runtime_error with the child's own
  // message if it could not ("embedded redis server: bind: Address already in use").
  void start(const ServerOptions& options);
  // SIGTERM, then SIGKILL after `grace_ms`; always reaped. Does nothing if not running.
  void stop(int grace_ms = 1000);

  // What the server reported since it started, its lines "; "-separated (the last few KiB of
  // them), and its end if it has ended ("embedded redis server killed by signal SIGKILL
  // (Killed)"); empty when neither. Reads what it wrote, waiting a few milliseconds at most.
  std::string trouble();

  bool running() const { return child_.pid() > 0; }
  // The CPUs the server may run on, as it read them back once bound: "1", "0-1".
  const std::string& cpus() const { return cpus_; }
  uint16_t port() const { return port_; }
  pid_t pid() const { return child_.pid(); }

 private:
  Child child_;
  uint16_t port_ = 0;
  std::string cpus_;
  std::string said_;  // what the server wrote after its port line
  std::string end_;   // how it ended, once trouble() saw it end
};

}  // namespace versus::redis
