// The server's listening socket and its child process: started, reported back, stopped, reaped.
#include "bench/sys/placement.h"
#include "scenarios/redis/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "bench/sys/child.h"
#include "bench/sys/errors.h"
#include "bench/sys/fd.h"
#include "bench/sys/measure.h"
#include "bench/api/params.h"

namespace versus::redis {
namespace {

// What trouble() keeps of the server's lines, and how long it waits for the server's end.
constexpr size_t kSaidLimit = size_t{8} << 10;
constexpr int64_t kLookNs = 10'000'000;

// Every descriptor from 3 up but `keep`: the parent's sockets, pipes and files are not the
// server's to hold open (a parent waiting for EOF on a pipe would wait for us too).
void close_inherited(int keep) {
  if ((keep <= 3 || close_range(3, unsigned(keep) - 1, 0) == 0) && close_range(unsigned(keep) + 1, ~0u, 0) == 0) {
    return;
  }
  if (errno != ENOSYS) throw_errno("close_range");
  // Kernels before 5.9: one by one, up to the descriptor limit.
  const long limit = std::min(sysconf(_SC_OPEN_MAX), 1L << 20);
  for (int fd = 3; fd < limit; ++fd) {
    if (fd != keep) close(fd);
  }
}

// Runs in the child after fork; returns its exit status. `report` carries "port N\n" or
// "error TEXT\n".
int child_main(const ServerOptions& options, int report) {
  bool reported = false;
  try {
    // The parent's handlers and blocked signals are not ours: SIGTERM must end the server.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (const int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD}) signal(sig, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    close_inherited(report);
    // The topology was loaded before the fork (the placement plan); binding only asks the kernel.
    if (!options.cpus.empty()) Topology::here().bind_thread(options.cpus);

    uint16_t port = 0;
    const int listen_fd = open_listener(options, port);
    const std::atomic<bool> never{false};
    // The port is reported once the loop is made (its epoll and timer too): a server start()
    // has returned for takes clients, and a loop that cannot be made is the start's error.
    run_server_loop(options, listen_fd, never, [&] {
      const std::string cpus = format_cpu_list(Topology::here().thread_binding());
      reported = write_all(report, fmt::format("port {} cpus {}\n", port, cpus));
      // From here the report pipe is where the server's errors go (log_error writes to stderr),
      // for trouble() to read. Non-blocking: with the pipe full, a message is lost, never the
      // loop stalled behind a parent that does not read.
      if (reported && report != STDERR_FILENO) {
        if (dup2(report, STDERR_FILENO) < 0) throw_errno("dup2 onto stderr");
        close(report);
        report = STDERR_FILENO;
      }
      if (reported) set_nonblocking(STDERR_FILENO);
    });
    return 0;
  } catch (const std::exception& e) {
    const std::string line = fmt::format("error {}\n", e.what());
    if (reported || !write_all(report, line)) {
      [[maybe_unused]] ssize_t w = write(STDERR_FILENO, line.data(), line.size());
    }
  }
  return 1;
}

}  // namespace

int open_listener(const ServerOptions& options, uint16_t& port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("socket");
  try {
    const int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) throw_errno("setsockopt(SO_REUSEADDR)");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(options.port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) throw_errno("bind");
    if (listen(fd, 511) < 0) throw_errno("listen");  // Redis's tcp-backlog
    socklen_t len = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) < 0) throw_errno("getsockname");
    port = ntohs(addr.sin_port);
    return fd;
  } catch (...) {
    close(fd);
    throw;
  }
}

void EmbeddedServer::start(const ServerOptions& options) {
  if (running()) throw std::logic_error("EmbeddedServer::start: already running");
  Child server = Child::run([&](int report) { return child_main(options, report); },
                            {.capture_output = true, .output_limit = kSaidLimit, .name = "embedded redis server"});
  // One line, or the child's end.
  server.wait({.stop = [&] { return server.output().find('\n') != std::string::npos; }});
  const std::string& line = server.output();
  unsigned port = 0;
  char cpus[256] = {};
  if (line.starts_with("port ") && sscanf(line.c_str(), "port %u cpus %255s", &port, cpus) == 2 && port > 0 &&
      port < 65536) {
    const size_t first_line = line.find('\n') + 1;  // `line` is the output taken here
    said_ = server.take_output().substr(first_line);
    child_ = std::move(server);
    port_ = uint16_t(port);
    cpus_ = cpus;
    end_.clear();
    return;
  }
  // No port: the child is on its way out, if not gone already.
  const ChildEnd end = server.wait();
  if (const size_t nl = line.find('\n'); line.starts_with("error ") && nl != std::string::npos) {
    throw std::runtime_error("embedded redis server: " + line.substr(6, nl - 6));
  }
  throw std::runtime_error(fmt::format("embedded redis server {} before it listened", end.describe()));
}

std::string EmbeddedServer::trouble() {
  if (!running()) return {};
  if (end_.empty()) {
    // What the server wrote before the repetition ended is in the pipe already; the wait is for
    // a server on its way out (its pipe closed, its end not yet known) to end.
    const ChildEnd end = child_.wait({.deadline_ns = now_ns() + kLookNs});
    if (end.how == ChildEnd::How::kExited || end.how == ChildEnd::How::kSignaled) {
      end_ = "embedded redis server " + end.describe();
    }
  }
  said_ += child_.take_output();
  if (said_.size() > kSaidLimit) {
    // The last lines whole: what is kept starts after the line the cut fell in.
    const size_t next_line = said_.find('\n', said_.size() - kSaidLimit);
    said_.erase(0, next_line == std::string::npos ? said_.size() : next_line + 1);
  }
  // Each line once, in order, with how often the server said it.
  std::vector<std::pair<std::string, int>> lines;
  for (std::string_view rest = said_; !rest.empty();) {
    const size_t nl = std::min(rest.find('\n'), rest.size());
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(std::min(nl + 1, rest.size()));
    for (std::string_view prefix : {"versus redis server: ", "versus: embedded redis server: ", "error "}) {
      if (line.starts_with(prefix)) line.remove_prefix(prefix.size());
    }
    if (line.empty()) continue;
    const auto seen = std::find_if(lines.begin(), lines.end(), [&](const auto& l) { return l.first == line; });
    if (seen != lines.end()) ++seen->second;
    else lines.emplace_back(line, 1);
  }
  std::vector<std::string> parts;
  for (const auto& [line, times] : lines) {
    parts.push_back(times == 1 ? "embedded redis server: " + line
                               : fmt::format("embedded redis server: {} ({} times)", line, times));
  }
  if (!end_.empty()) parts.push_back(end_);
  return join(parts, "; ");
}

void EmbeddedServer::stop(int grace_ms) {
  if (!running()) return;
  child_.end(grace_ms);
  child_ = Child();
  port_ = 0;
  cpus_.clear();
  said_.clear();
  end_.clear();
}

}  // namespace versus::redis
