// A plain blocking Redis client for what the redis scenario does outside the measured phase:
// connecting the measured connections, loading keys, and the SCAN of ttl_scan. Every connection
// authenticates first when the endpoint has a password (AUTH, its +OK checked). Errors throw
// std::runtime_error naming the call and the server ("connect 127.0.0.1:6379: Connection
// refused", "AUTH: WRONGPASS invalid username-password pair or user is disabled.").
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/redis/endpoint.h"
#include "scenarios/redis/resp.h"

namespace versus::redis {

// A connected TCP socket to the server with TCP_NODELAY, blocking, authenticated when the
// endpoint has a password.
int connect_to(const RedisEndpoint& server);

class SetupClient {
 public:
  explicit SetupClient(const RedisEndpoint& server);
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
