// The server's listening socket and its child process: started, reported back, stopped, reaped.
#include "scenarios/redis/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <csignal>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "bench/sys/process.h"
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

// Runs in the child after fork; never returns. `report` carries "port N\n" or "error TEXT\n".
[[noreturn]] void child_main(const ServerOptions& options, int report, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(71);  // the parent died before we could ask
  bool reported = false;
  try {
    // The parent's handlers and blocked signals are not ours: SIGTERM must end the server.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (const int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD}) signal(sig, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    close_inherited(report);

    uint16_t port = 0;
    const int listen_fd = open_listener(options, port);
    reported = write_all(report, fmt::format("port {}\n", port));
    close(report);
    const std::atomic<bool> never{false};
    run_server_loop(options, listen_fd, never);
    _exit(0);
  } catch (const std::exception& e) {
    const std::string line = fmt::format("error {}\n", e.what());
    if (reported || !write_all(report, line)) {
      [[maybe_unused]] ssize_t w = write(STDERR_FILENO, line.data(), line.size());
    }
  }
  _exit(1);
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
  if (pid_ > 0) throw std::logic_error("EmbeddedServer::start: already running");
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) throw_errno("pipe2");
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int e = errno;
    close(fds[0]);
    close(fds[1]);
    throw std::system_error(e, std::generic_category(), "fork");
  }
  if (pid == 0) {
    close(fds[0]);
    child_main(options, fds[1], parent);
  }
  close(fds[1]);

  // One line, then EOF (the child closes its end, or dies).
  std::string line;
  char buf[512];
  while (line.find('\n') == std::string::npos) {
    const ssize_t r = read(fds[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    line.append(buf, size_t(r));
  }
  close(fds[0]);

  unsigned port = 0;
  if (line.starts_with("port ") && sscanf(line.c_str(), "port %u", &port) == 1 && port > 0 && port < 65536) {
    pid_ = pid;
    port_ = uint16_t(port);
    return;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (const size_t nl = line.find('\n'); line.starts_with("error ") && nl != std::string::npos) {
    throw std::runtime_error("embedded redis server: " + line.substr(6, nl - 6));
  }
  throw std::runtime_error(
      fmt::format("embedded redis server {} before it listened", describe_wait_status(status)));
}

void EmbeddedServer::stop(int grace_ms) {
  if (pid_ <= 0) return;
  const pid_t pid = pid_;
  pid_ = -1;
  port_ = 0;
  kill(pid, SIGTERM);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  int status = 0;
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) return;  // reaped, or not ours to reap (ECHILD)
    if (std::chrono::steady_clock::now() >= give_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  kill(pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace versus::redis
