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

#include <fmt/format.h>

#include "bench/sys/child.h"
#include "bench/sys/errors.h"
#include "bench/sys/fd.h"

namespace versus::redis {
namespace {

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
    const std::string cpus = format_cpu_list(Topology::here().thread_binding());
    reported = write_all(report, fmt::format("port {} cpus {}\n", port, cpus));
    close(report);
    const std::atomic<bool> never{false};
    run_server_loop(options, listen_fd, never);
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
  Child server = Child::run([&](int report) { return child_main(options, report); }, {.capture_output = true});
  // One line, or the child's end.
  server.wait({.stop = [&] { return server.output().find('\n') != std::string::npos; }});
  const std::string& line = server.output();
  unsigned port = 0;
  char cpus[256] = {};
  if (line.starts_with("port ") && sscanf(line.c_str(), "port %u cpus %255s", &port, cpus) == 2 && port > 0 &&
      port < 65536) {
    child_ = std::move(server);
    port_ = uint16_t(port);
    cpus_ = cpus;
    return;
  }
  // No port: the child is on its way out, if not gone already.
  const ChildEnd end = server.wait();
  if (const size_t nl = line.find('\n'); line.starts_with("error ") && nl != std::string::npos) {
    throw std::runtime_error("embedded redis server: " + line.substr(6, nl - 6));
  }
  throw std::runtime_error(fmt::format("embedded redis server {} before it listened", end.describe()));
}

void EmbeddedServer::stop(int grace_ms) {
  if (!running()) return;
  child_.end(grace_ms);
  child_ = Child();
  port_ = 0;
  cpus_.clear();
}

}  // namespace versus::redis
