// Stream channels over descriptors: pipe (two, one per direction), socketpair (AF_UNIX stream)
// and tcp (loopback, TCP_NODELAY). Partial reads and writes are the normal case for large
// messages; a cooperative peer uses them non-blocking and yields on EAGAIN.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include <fmt/format.h>

#include "scenarios/ipc/channel.h"
#include "bench/sys/errors.h"
#include "bench/sys/fd.h"
#include "bench/sys/hot_path.h"

namespace versus::ipc {

namespace {

class FdEndpoint final : public Endpoint {
 public:
  FdEndpoint(int read_fd, int write_fd) : in_(read_fd), out_(write_fd) {}

  void set_cooperative() override {
    set_nonblocking(in_.get());
    set_nonblocking(out_.get());
  }

  VERSUS_HOT void send(const std::byte* data, size_t n, WorkerContext& ctx) override {
    while (n > 0) {
      const ssize_t w = write(out_.get(), data, n);
      if (w > 0) {
        data += w;
        n -= size_t(w);
      } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        ctx.yield();
      } else if (w < 0 && errno != EINTR) {
        throw_errno("write");
      }
    }
  }

  VERSUS_HOT void recv(std::byte* data, size_t n, WorkerContext& ctx) override {
    while (n > 0) {
      const ssize_t r = read(in_.get(), data, n);
      if (r > 0) {
        data += r;
        n -= size_t(r);
      } else if (r == 0) {
        throw std::runtime_error("read: the peer closed the channel");
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        ctx.yield();
      } else if (errno != EINTR) {
        throw_errno("read");
      }
    }
  }

 private:
  UniqueFd in_, out_;
};

void set_nodelay(int fd) {
  const int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) throw_errno("setsockopt(TCP_NODELAY)");
}

}  // namespace

Channel make_pipe_channel() {
  int there[2], back[2];
  if (pipe2(there, O_CLOEXEC) < 0) throw_errno("pipe2");
  if (pipe2(back, O_CLOEXEC) < 0) {
    close(there[0]);
    close(there[1]);
    throw_errno("pipe2");
  }
  return {std::make_unique<FdEndpoint>(back[0], there[1]), std::make_unique<FdEndpoint>(there[0], back[1])};
}

Channel make_socketpair_channel() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
  // One descriptor serves both directions of a side; each endpoint owns a duplicate for writing.
  const int a_out = dup(sv[0]), b_out = dup(sv[1]);
  if (a_out < 0 || b_out < 0) throw_errno("dup");
  return {std::make_unique<FdEndpoint>(sv[0], a_out), std::make_unique<FdEndpoint>(sv[1], b_out)};
}

Channel make_tcp_channel() {
  UniqueFd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.get() < 0) throw_errno("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // never beyond loopback
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) throw_errno("bind(127.0.0.1)");
  if (listen(listener.get(), 1) < 0) throw_errno("listen");
  if (getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) < 0) throw_errno("getsockname");
  const int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (client < 0) throw_errno("socket");
  if (connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    close(client);
    throw_errno("connect(127.0.0.1)");
  }
  const int server = accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
  if (server < 0) {
    close(client);
    throw_errno("accept");
  }
  set_nodelay(client);
  set_nodelay(server);
  const int client_out = dup(client), server_out = dup(server);
  if (client_out < 0 || server_out < 0) throw_errno("dup");
  return {std::make_unique<FdEndpoint>(client, client_out), std::make_unique<FdEndpoint>(server, server_out)};
}

}  // namespace versus::ipc
