#include "scenarios/redis/commands.h"

#include <unistd.h>

#include <algorithm>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "scenarios/redis/request_parser.h"
#include "scenarios/redis/resp.h"

namespace versus::redis {
namespace {

using Args = std::span<const std::string_view>;

constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
constexpr std::string_view kSyntax = "ERR syntax error";

bool equals_nocase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

// now + amount * unit, or false when that overflows (Redis: "invalid expire time").
bool deadline(int64_t now_ms, int64_t amount, int64_t unit_ms, int64_t& at) {
  if (amount > (std::numeric_limits<int64_t>::max() - now_ms) / unit_ms) return false;
  if (amount < (std::numeric_limits<int64_t>::min() + now_ms) / unit_ms) return false;
  at = now_ms + amount * unit_ms;
  return true;
}

AfterReply ping(CommandContext&, Args a, std::string& out) {
  if (a.size() > 2) {
    append_error(out, "ERR wrong number of arguments for 'ping' command");
  } else if (a.size() == 2) {
    append_bulk(out, a[1]);
  } else {
    append_simple(out, "PONG");
  }
  return AfterReply::kKeepOpen;
}

AfterReply get(CommandContext& ctx, Args a, std::string& out) {
  const std::string* v = ctx.store.get(a[1], ctx.now_ms);
  v ? append_bulk(out, *v) : append_nil(out);
  return AfterReply::kKeepOpen;
}

AfterReply set(CommandContext& ctx, Args a, std::string& out) {
  int64_t expire_at = 0;
  bool nx = false, xx = false, timed = false;
  for (size_t i = 3; i < a.size(); ++i) {
    if (equals_nocase(a[i], "NX") && !xx) {
      nx = true;
    } else if (equals_nocase(a[i], "XX") && !nx) {
      xx = true;
    } else if ((equals_nocase(a[i], "EX") || equals_nocase(a[i], "PX")) && !timed && i + 1 < a.size()) {
      timed = true;
      int64_t amount = 0;
      if (!parse_int64(a[i + 1], amount)) {
        append_error(out, kNotInteger);
        return AfterReply::kKeepOpen;
      }
      const int64_t unit = equals_nocase(a[i], "EX") ? 1000 : 1;
      if (amount <= 0 || !deadline(ctx.now_ms, amount, unit, expire_at)) {
        append_error(out, "ERR invalid expire time in 'set' command");
        return AfterReply::kKeepOpen;
      }
      ++i;
    } else {
      append_error(out, kSyntax);
      return AfterReply::kKeepOpen;
    }
  }
  const bool exists = (nx || xx) && ctx.store.exists(a[1], ctx.now_ms);
  if ((nx && exists) || (xx && !exists)) {
    append_nil(out);
  } else {
    ctx.store.set(a[1], a[2], expire_at);
    append_simple(out, "OK");
  }
  return AfterReply::kKeepOpen;
}

AfterReply del(CommandContext& ctx, Args a, std::string& out) {
  int64_t n = 0;
  for (size_t i = 1; i < a.size(); ++i) n += ctx.store.del(a[i], ctx.now_ms);
  append_integer(out, n);
  return AfterReply::kKeepOpen;
}

AfterReply expire(CommandContext& ctx, Args a, std::string& out) {
  int64_t seconds = 0, at = 0;
  if (!parse_int64(a[2], seconds)) {
    append_error(out, kNotInteger);
  } else if (!deadline(ctx.now_ms, seconds, 1000, at)) {
    append_error(out, "ERR invalid expire time in 'expire' command");
  } else {
    append_integer(out, ctx.store.expire_at(a[1], at, ctx.now_ms));
  }
  return AfterReply::kKeepOpen;
}

AfterReply ttl(CommandContext& ctx, Args a, std::string& out) {
  const int64_t ms = ctx.store.ttl_ms(a[1], ctx.now_ms);
  append_integer(out, ms < 0 ? ms : (ms + 500) / 1000);  // Redis rounds to the nearest second
  return AfterReply::kKeepOpen;
}

AfterReply dbsize(CommandContext& ctx, Args, std::string& out) {
  append_integer(out, int64_t(ctx.store.size(ctx.now_ms)));
  return AfterReply::kKeepOpen;
}

AfterReply scan(CommandContext& ctx, Args a, std::string& out) {
  // Redis reads the cursor with strtoul: a sign may lead, and "-1" wraps to 2^64 - 1.
  std::string_view c = a[1];
  const bool negative = !c.empty() && c[0] == '-';
  if (!c.empty() && (c[0] == '-' || c[0] == '+')) c.remove_prefix(1);
  if (c.empty() || c.size() > 20 || !std::all_of(c.begin(), c.end(), [](char d) { return d >= '0' && d <= '9'; }) ||
      (c.size() == 20 && c > "18446744073709551615")) {
    append_error(out, "ERR invalid cursor");
    return AfterReply::kKeepOpen;
  }
  uint64_t cursor = 0;
  for (const char d : c) cursor = cursor * 10 + uint64_t(d - '0');
  if (negative) cursor = 0 - cursor;

  std::string_view pattern;
  int64_t count = 10;
  bool strings = true;  // TYPE: every key here holds a string
  for (size_t i = 2; i < a.size(); i += 2) {
    if (i + 1 >= a.size()) {
      append_error(out, kSyntax);
      return AfterReply::kKeepOpen;
    }
    if (equals_nocase(a[i], "MATCH")) {
      pattern = a[i + 1];
    } else if (equals_nocase(a[i], "COUNT")) {
      if (!parse_int64(a[i + 1], count)) {
        append_error(out, kNotInteger);
        return AfterReply::kKeepOpen;
      }
      if (count < 1) {
        append_error(out, kSyntax);
        return AfterReply::kKeepOpen;
      }
    } else if (equals_nocase(a[i], "TYPE")) {
      strings = equals_nocase(a[i + 1], "string");
    } else {
      append_error(out, kSyntax);
      return AfterReply::kKeepOpen;
    }
  }

  std::vector<std::string_view> keys;
  const uint64_t next = ctx.store.scan(cursor, size_t(count), pattern, ctx.now_ms, keys);
  if (!strings) keys.clear();
  append_array_header(out, 2);
  append_bulk(out, std::to_string(next));
  append_array_header(out, int64_t(keys.size()));
  for (const auto k : keys) append_bulk(out, k);
  return AfterReply::kKeepOpen;
}

AfterReply flushall(CommandContext& ctx, Args a, std::string& out) {
  if (a.size() > 2 || (a.size() == 2 && !equals_nocase(a[1], "ASYNC") && !equals_nocase(a[1], "SYNC"))) {
    append_error(out, kSyntax);
  } else {
    ctx.store.clear();
    append_simple(out, "OK");
  }
  return AfterReply::kKeepOpen;
}

AfterReply info(CommandContext& ctx, Args, std::string& out) {
  std::string text = fmt::format(
      "# Server\r\nredis_version:7.0.0\r\nredis_mode:standalone\r\nprocess_id:{}\r\ntcp_port:{}\r\n"
      "uptime_in_seconds:{}\r\n\r\n# Clients\r\nconnected_clients:{}\r\n\r\n# Memory\r\nused_memory:{}\r\n\r\n"
      "# Stats\r\ntotal_commands_processed:{}\r\n\r\n# Keyspace\r\n",
      getpid(), ctx.port, (ctx.now_ms - ctx.started_ms) / 1000, ctx.connected_clients, ctx.store.used_bytes(),
      ctx.commands_processed);
  // As in Redis, only a database that holds keys has a line.
  if (const size_t keys = ctx.store.size(ctx.now_ms)) {
    text += fmt::format("db0:keys={},expires={},avg_ttl=0\r\n", keys, ctx.store.volatile_size(ctx.now_ms));
  }
  append_bulk(out, text);
  return AfterReply::kKeepOpen;
}

AfterReply quit(CommandContext&, Args, std::string& out) {
  append_simple(out, "OK");
  return AfterReply::kClose;
}

AfterReply command(CommandContext&, Args, std::string& out) {
  append_array_header(out, 0);
  return AfterReply::kKeepOpen;
}

AfterReply config(CommandContext&, Args a, std::string& out) {
  if (!equals_nocase(a[1], "GET")) {
    append_error(out, fmt::format("ERR unknown subcommand '{:.128}'. Try CONFIG HELP.", a[1]));
    return AfterReply::kKeepOpen;
  }
  if (a.size() < 3) {
    append_error(out, "ERR wrong number of arguments for 'config|get' command");
    return AfterReply::kKeepOpen;
  }
  // No persistence: what redis-benchmark asks before it starts.
  static constexpr std::string_view kParams[][2] = {{"save", ""}, {"appendonly", "no"}};
  std::vector<std::string_view> pairs;
  for (const auto& p : kParams) {
    const bool asked = std::any_of(a.begin() + 2, a.end(), [&](std::string_view pattern) {
      std::string lower(pattern);
      for (char& ch : lower) ch = char(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
      return glob_match(lower, p[0]);
    });
    if (asked) pairs.insert(pairs.end(), {p[0], p[1]});
  }
  append_array_header(out, int64_t(pairs.size()));
  for (const auto s : pairs) append_bulk(out, s);
  return AfterReply::kKeepOpen;
}

struct Command {
  std::string_view name;  // lower case
  int arity;              // as Redis: N exactly, -N at least
  AfterReply (*run)(CommandContext&, Args, std::string&);
};

const Command kCommands[] = {
    {"get", 2, get},        {"set", -3, set},      {"ping", -1, ping},
    {"del", -2, del},       {"expire", 3, expire}, {"ttl", 2, ttl},
    {"dbsize", 1, dbsize},  {"scan", -2, scan},    {"flushall", -1, flushall},
    {"info", -1, info},     {"quit", -1, quit},    {"command", -1, command},
    {"config", -2, config},
};

void unknown_command(Args a, std::string& out) {
  std::string args;
  for (size_t i = 1; i < a.size() && args.size() < 128; ++i) {
    args += fmt::format("'{}' ", a[i].substr(0, 128 - args.size()));
  }
  append_error(out, fmt::format("ERR unknown command '{}', with args beginning with: {}", a[0].substr(0, 128), args));
}

}  // namespace

AfterReply execute_command(CommandContext& ctx, std::span<const std::string_view> argv, std::string& out) {
  ++ctx.commands_processed;
  const Command* cmd = nullptr;
  for (const auto& c : kCommands) {
    if (equals_nocase(argv[0], c.name)) {
      cmd = &c;
      break;
    }
  }
  if (!cmd) {
    unknown_command(argv, out);
    return AfterReply::kKeepOpen;
  }
  const auto argc = int64_t(argv.size());
  if ((cmd->arity > 0 && argc != cmd->arity) || argc < -cmd->arity) {
    append_error(out, fmt::format("ERR wrong number of arguments for '{}' command", cmd->name));
    return AfterReply::kKeepOpen;
  }
  return cmd->run(ctx, argv, out);
}

}  // namespace versus::redis
