// A plain blocking Redis client for what the redis scenario does outside the measured phase:
// connecting the measured connections, loading keys, and the SCAN of ttl_scan. Errors throw
// std::runtime_error naming the call and the server ("connect 127.0.0.1:6379: Connection refused").
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/redis/resp.h"

namespace versus::redis {

// A connected TCP socket to host:port with TCP_NODELAY, blocking.
int connect_to(const std::string& host, int port);

class SetupClient {
 public:
  SetupClient(const std::string& host, int port);
  ~SetupClient();
  SetupClient(const SetupClient&) = delete;
  SetupClient& operator=(const SetupClient&) = delete;

  // Sends the encoded `requests` (`count` of them) at once and returns their replies in order.
  std::vector<RespValue> pipeline(const std::string& requests, size_t count);
  RespValue command(std::initializer_list<std::string_view> args);

 private:
  int fd_ = -1;
  std::string where_;
  RespParser parser_;
  std::string buf_;
};

}  // namespace versus::redis
