// Where the redis scenario's server is, and how versus proves who it is there: the `server`
// parameter, parsed in one place for validation (before anything runs) and for the work.
//
//   embedded                                versus's own server, no password
//   HOST:PORT                               a running Redis, no AUTH
//   redis://[user[:password]@]host[:port]   a running Redis (port 6379 by default); with a password,
//                                           AUTH password (the default user) or AUTH user password
//
// A redis:// URL without a password takes the one in the environment variable REDISCLI_AUTH, as
// redis-cli does, so that no password need be written in the parameter (whose value goes into
// results.csv and matrix.json); a user without a password needs it. User and password may be
// percent-encoded (%3B for ';'). rediss:// (TLS) is refused: TLS is not built into versus.
#pragma once

#include <string>
#include <string_view>

namespace versus::redis {

// The forms besides "embedded", as validation names them.
inline constexpr std::string_view kServerForms = "HOST:PORT, redis://[user[:password]@]host[:port]";

struct RedisEndpoint {
  bool embedded = false;
  std::string host;
  int port = 0;
  std::string user;      // an ACL user; empty: the default user
  std::string password;  // empty: no AUTH

  std::string where() const;  // "host:port", for messages (never the password)
};

// The `server` parameter's value. `auth_env` is REDISCLI_AUTH's value (nullptr when unset).
// Throws versus::UsageError saying what is wrong, without the accepted forms and without
// repeating a password.
RedisEndpoint parse_redis_endpoint(std::string_view server, const char* auth_env);
// The same with REDISCLI_AUTH read from this process's environment.
RedisEndpoint redis_endpoint(std::string_view server);

}  // namespace versus::redis
