#include "scenarios/redis/setup_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace versus::redis {
namespace {

int connect_tcp(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int err = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); err != 0) {
    throw std::runtime_error(fmt::format("getaddrinfo {}: {}", host, gai_strerror(err)));
  }
  int last_errno = 0;
  for (addrinfo* a = found; a; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    int rc;
    do {
      rc = connect(fd, a->ai_addr, a->ai_addrlen);
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) {
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      freeaddrinfo(found);
      return fd;
    }
    last_errno = errno;
    close(fd);
  }
  freeaddrinfo(found);
  throw std::runtime_error(fmt::format("connect {}:{}: {}", host, port, std::strerror(last_errno)));
}

// Sends the encoded `requests` (`count` of them) at once on the blocking `fd` and returns their
// replies in order.
std::vector<RespValue> round_trip(int fd, const std::string& where, RespParser& parser, std::string& buf,
                                  const std::string& requests, size_t count) {
  for (size_t sent = 0; sent < requests.size();) {
    const ssize_t n = send(fd, requests.data() + sent, requests.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(fmt::format("send to {}: {}", where, std::strerror(errno)));
    sent += size_t(n);
  }
  std::vector<RespValue> replies;
  replies.reserve(count);
  std::string_view pending;
  while (replies.size() < count) {
    if (pending.empty()) {
      const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::runtime_error(fmt::format("recv from {}: {}", where, std::strerror(errno)));
      if (n == 0) throw std::runtime_error(fmt::format("{} closed the connection", where));
      pending = std::string_view(buf.data(), size_t(n));
    }
    pending.remove_prefix(parser.feed(pending));
    if (parser.ready()) replies.push_back(parser.take());
  }
  if (!pending.empty()) throw std::runtime_error(fmt::format("{} sent more replies than requests", where));
  return replies;
}

// AUTH [user] password, before anything else on the connection; anything but +OK throws with
// the server's own reply.
void authenticate(int fd, const RedisEndpoint& server) {
  if (server.password.empty()) return;
  std::string request;
  if (server.user.empty()) encode_command(request, {"AUTH", server.password});
  else encode_command(request, {"AUTH", server.user, server.password});
  RespParser parser;
  std::string buf(4096, '\0');
  const RespValue reply = std::move(round_trip(fd, server.where(), parser, buf, request, 1).front());
  if (reply.type == RespType::kSimple && reply.str == "OK") return;
  throw std::runtime_error(
      fmt::format("AUTH: {}", reply.type == RespType::kError ? reply.str : "answered " + describe(reply)));
}

}  // namespace

int connect_to(const RedisEndpoint& server) {
  const int fd = connect_tcp(server.host, server.port);
  try {
    authenticate(fd, server);
  } catch (...) {
    close(fd);
    throw;
  }
  return fd;
}

SetupClient::SetupClient(const RedisEndpoint& server)
    : fd_(connect_to(server)), where_(server.where()), buf_(64 << 10, '\0') {}

SetupClient::~SetupClient() { close(fd_); }

std::vector<RespValue> SetupClient::pipeline(const std::string& requests, size_t count) {
  return round_trip(fd_, where_, parser_, buf_, requests, count);
}

RespValue SetupClient::command(std::initializer_list<std::string_view> args) {
  std::string request;
  encode_command(request, args);
  return std::move(pipeline(request, 1).front());
}

}  // namespace versus::redis
