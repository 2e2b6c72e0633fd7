// For the redis tests: RespValue builders, and a plain blocking client (a TCP socket to
// 127.0.0.1 and a RespParser).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "scenarios/redis/resp.h"
#include "bench/sys/errors.h"

namespace versus::redis {

inline RespValue simple(std::string s) { return {RespType::kSimple, 0, std::move(s), {}}; }
inline RespValue error(std::string s) { return {RespType::kError, 0, std::move(s), {}}; }
inline RespValue integer(int64_t i) { return {RespType::kInteger, i, {}, {}}; }
inline RespValue bulk(std::string s) { return {RespType::kBulk, 0, std::move(s), {}}; }
inline RespValue nil() { return {RespType::kNil, 0, {}, {}}; }
inline RespValue nil_array() { return {RespType::kNilArray, 0, {}, {}}; }
inline RespValue array(std::vector<RespValue> e) { return {RespType::kArray, 0, {}, std::move(e)}; }
inline const RespValue kOk = simple("OK");

inline int connect_loopback(uint16_t port, int timeout_s = 10) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("socket");
  // A server that stops answering fails the test instead of hanging it.
  timeval tv{timeout_s, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
    const int e = errno;
    close(fd);
    throw std::system_error(e, std::generic_category(), "connect");
  }
  return fd;
}

class TestClient {
 public:
  explicit TestClient(uint16_t port, int timeout_s = 10) : fd_(connect_loopback(port, timeout_s)) {}
  ~TestClient() {
    if (fd_ >= 0) close(fd_);
  }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  int fd() const { return fd_; }

  void send_raw(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t w = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw_errno("send");
      bytes.remove_prefix(size_t(w));
    }
  }

  void send_command(std::initializer_list<std::string_view> args) {
    std::string wire;
    encode_command(wire, args);
    send_raw(wire);
  }

  // Reads one reply, at most `chunk` bytes per recv.
  RespValue read_reply(size_t chunk = 64 << 10) {
    for (;;) {
      if (pos_ < pending_.size()) {
        pos_ += parser_.feed(std::string_view(pending_).substr(pos_));
        if (parser_.ready()) return parser_.value();
      }
      pending_.resize(chunk);
      pos_ = 0;
      const ssize_t r = recv(fd_, pending_.data(), chunk, 0);
      pending_.resize(r > 0 ? size_t(r) : 0);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) throw std::runtime_error("recv: the server closed the connection");
      if (r < 0) throw_errno("recv");
    }
  }

  RespValue call(std::initializer_list<std::string_view> args) {
    send_command(args);
    return read_reply();
  }

  // True when the server has closed the connection (reading what it sent before).
  bool closed_by_server() {
    char buf[4096];
    for (;;) {
      const ssize_t r = recv(fd_, buf, sizeof buf, 0);
      if (r == 0) return true;
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return errno == ECONNRESET;
    }
  }

 private:
  int fd_;
  RespParser parser_;
  std::string pending_;  // received, parsed up to pos_
  size_t pos_ = 0;
};

}  // namespace versus::redis
