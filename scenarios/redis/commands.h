// The embedded server's commands, replying as Redis 7 does: PING, GET, SET (EX, PX, NX, XX),
// DEL, EXPIRE, TTL, DBSIZE, SCAN (MATCH, COUNT, TYPE), FLUSHALL, INFO, QUIT, and the two that
// redis-cli and redis-benchmark send before their work: COMMAND (an empty array) and CONFIG GET
// (save and appendonly). Checked against redis-server 7.0, the replies are the same byte for
// byte, but for what is left out: EXPIRE takes no NX/XX/GT/LT, CONFIG knows no other subcommand
// and no other parameter, COMMAND describes nothing, INFO has a few fields of each section.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "scenarios/redis/store.h"

namespace versus::redis {

// What the commands see of the server besides the keyspace (INFO reports it).
struct CommandContext {
  Store& store;
  int64_t now_ms = 0;  // the loop's monotonic clock
  int64_t started_ms = 0;
  int port = 0;
  size_t connected_clients = 0;
  uint64_t commands_processed = 0;
};

enum class AfterReply { kKeepOpen, kClose };

// Runs the request `argv` (not empty) and appends its reply to `out`. kClose: QUIT, close the
// connection once the reply is sent.
AfterReply execute_command(CommandContext& ctx, std::span<const std::string_view> argv, std::string& out);

}  // namespace versus::redis
