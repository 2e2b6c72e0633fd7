#include "scenarios/redis/endpoint.h"

#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

#include "bench/api/params.h"

namespace versus::redis {
namespace {

constexpr std::string_view kScheme = "redis://";
constexpr int kDefaultPort = 6379;

// Characters that would break the params column ("k=v;k=v") or a --set list ("a,b"), or that
// have no place in a host name.
constexpr std::string_view kNeverRaw = ";, ";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `what` ("the user", "the password") with its %XX escapes decoded.
std::string percent_decoded(std::string_view text, std::string_view what) {
  if (text.find_first_of(kNeverRaw) != std::string_view::npos) {
    throw UsageError(
        fmt::format("{} in a redis:// URL holds ';', ',' or a space: write it percent-encoded "
                    "(%3B, %2C, %20) or put the password in REDISCLI_AUTH",
                    what));
  }
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    const int hi = i + 2 < text.size() ? hex_digit(text[i + 1]) : -1;
    const int lo = hi >= 0 ? hex_digit(text[i + 2]) : -1;
    if (lo < 0) throw UsageError(fmt::format("{} in a redis:// URL has a '%' not followed by two hex digits", what));
    out += char(hi * 16 + lo);
    i += 2;
  }
  return out;
}

int port_of(std::string_view digits) {
  int port = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || port < 1 || port > 65535) {
    throw UsageError("the port of a redis:// URL must be a number from 1 to 65535");
  }
  return port;
}

// host[:port] or [ipv6][:port].
void parse_host_and_port(std::string_view text, RedisEndpoint& e) {
  std::string_view host = text, port;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) throw UsageError("a redis:// URL's '[' before an IPv6 address has no ']'");
    host = text.substr(1, close - 1);
    const std::string_view after = text.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) throw UsageError("a redis:// URL has text after its ']'");
    if (!after.empty()) port = after.substr(1);
    if (after == ":") port = ":";  // an empty port: refused below
  } else if (const size_t colon = text.find(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (port.empty()) port = ":";
  }
  if (host.empty()) throw UsageError("a redis:// URL has no host");
  if (host.find_first_of(kNeverRaw) != std::string_view::npos || host.find_first_of("=%") != std::string_view::npos) {
    throw UsageError("the host of a redis:// URL holds a character a host name cannot");
  }
  e.host = std::string(host);
  e.port = port.empty() ? kDefaultPort : port_of(port);
}

RedisEndpoint parse_url(std::string_view rest, const char* auth_env) {
  if (rest.find_first_of("/?#") != std::string_view::npos) {
    throw UsageError(
        "a redis:// URL with a path, query or fragment (/DB, ?...) is not accepted: versus uses database 0");
  }
  RedisEndpoint e;
  const size_t at = rest.rfind('@');
  bool has_password = false;
  if (at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    const size_t colon = userinfo.find(':');
    e.user = percent_decoded(userinfo.substr(0, colon), "the user");
    if (colon != std::string_view::npos) {
      e.password = percent_decoded(userinfo.substr(colon + 1), "the password");
      if (e.password.empty()) throw UsageError("a redis:// URL has an empty password after ':'");
      has_password = true;
    }
    if (!has_password && e.user.empty()) throw UsageError("a redis:// URL has an '@' with nothing before it");
    rest.remove_prefix(at + 1);
  }
  parse_host_and_port(rest, e);
  if (!has_password && auth_env != nullptr) e.password = auth_env;
  if (!e.user.empty() && e.password.empty()) {
    throw UsageError(fmt::format(
        "a redis:// URL names the user '{}' without a password, and REDISCLI_AUTH, where it would come from, is {}",
        e.user, auth_env == nullptr ? "not set" : "empty"));
  }
  return e;
}

}  // namespace

std::string RedisEndpoint::where() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

RedisEndpoint parse_redis_endpoint(std::string_view server, const char* auth_env) {
  RedisEndpoint e;
  if (server == "embedded") {
    e.embedded = true;
    return e;
  }
  if (server.starts_with("rediss://")) throw UsageError("rediss:// is Redis over TLS: TLS is not built into versus");
  if (server.starts_with(kScheme)) return parse_url(server.substr(kScheme.size()), auth_env);
  if (server.find("://") != std::string_view::npos) throw UsageError("the only URL scheme accepted is redis://");
  if (server.find('@') != std::string_view::npos) throw UsageError("a user or password needs a redis:// URL");
  const std::optional<HostPort> hp = parse_host_port(server);
  // Not repeated: a value this far off may still hold a password.
  if (!hp) throw UsageError("the value is not embedded, HOST:PORT (a port from 1 to 65535) or a redis:// URL");
  e.host = hp->host;
  e.port = hp->port;
  return e;
}

RedisEndpoint redis_endpoint(std::string_view server) {
  return parse_redis_endpoint(server, std::getenv("REDISCLI_AUTH"));
}

}  // namespace versus::redis
