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

int connect_to(const std::string& host, int port) {
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

SetupClient::SetupClient(const std::string& host, int port)
    : fd_(connect_to(host, port)), where_(fmt::format("{}:{}", host, port)), buf_(64 << 10, '\0') {}

SetupClient::~SetupClient() { close(fd_); }

std::vector<RespValue> SetupClient::pipeline(const std::string& requests, size_t count) {
  for (size_t sent = 0; sent < requests.size();) {
    const ssize_t n = send(fd_, requests.data() + sent, requests.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(fmt::format("send to {}: {}", where_, std::strerror(errno)));
    sent += size_t(n);
  }
  std::vector<RespValue> replies;
  replies.reserve(count);
  std::string_view pending;
  while (replies.size() < count) {
    if (pending.empty()) {
      const ssize_t n = recv(fd_, buf_.data(), buf_.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::runtime_error(fmt::format("recv from {}: {}", where_, std::strerror(errno)));
      if (n == 0) throw std::runtime_error(fmt::format("{} closed the connection", where_));
      pending = std::string_view(buf_.data(), size_t(n));
    }
    pending.remove_prefix(parser_.feed(pending));
    if (parser_.ready()) replies.push_back(parser_.take());
  }
  if (!pending.empty()) throw std::runtime_error(fmt::format("{} sent more replies than requests", where_));
  return replies;
}

RespValue SetupClient::command(std::initializer_list<std::string_view> args) {
  std::string request;
  encode_command(request, args);
  return std::move(pipeline(request, 1).front());
}

}  // namespace versus::redis
