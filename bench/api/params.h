// Parameters: what a scenario or runner declares it accepts, and the values a cell carries.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace versus {

// Bad input from the user (command line, preset, resume folder): the message names what was
// wrong and what is accepted. Callers turn it into exit status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One declared parameter. Declared next to the code that reads it (a scenario's or runner's
// params() table), so `versus list` and validation always agree with what is used.
struct ParamSpec {
  enum class Kind { kChoice, kInteger, kSize, kEndpoint, kPlacement };

  std::string name;
  Kind kind = Kind::kInteger;
  std::string default_value;
  std::string help;
  std::vector<std::string> choices;  // kChoice: the accepted values; kEndpoint: the named ones
  int64_t min = 0;                   // kInteger and kSize: inclusive bounds
  int64_t max = INT64_MAX;
  // kEndpoint: the forms accepted besides the named ones, and the check of a value that is none
  // of those (empty when accepted, else why not). Unset: HOST:PORT, checked by parse_host_port.
  std::string endpoint_forms;
  std::function<std::string(std::string_view)> endpoint_check;

  // Empty when `value` is accepted; otherwise a message naming the value and what is accepted.
  std::string validate(std::string_view value) const;
  // "one of primes, membw" / "an integer from 1 to 1000" / "a size from 64 B to 1 MiB".
  std::string accepted() const;
  // The canonical spelling of a valid value (sizes become plain byte counts).
  std::string canonical(std::string_view value) const;
};

ParamSpec choice_param(std::string name, std::vector<std::string> choices, std::string help);
ParamSpec int_param(std::string name, int64_t def, int64_t min, int64_t max, std::string help);
ParamSpec size_param(std::string name, int64_t def, int64_t min, int64_t max, std::string help);
// One of `named` (the first is the default), or HOST:PORT of a server somewhere.
ParamSpec endpoint_param(std::string name, std::vector<std::string> named, std::string help);
// One of `named`, or a value of the other `forms` ("HOST:PORT, redis://host[:port]"), which
// `check` accepts (empty) or refuses saying why, without the accepted forms (they are added).
ParamSpec endpoint_param(std::string name, std::vector<std::string> named, std::string help, std::string forms,
                         std::function<std::string(std::string_view)> check);
// A parameter with a small grammar of its own (redis's rate, key_dist, ratio): one of `named`
// (the first is the default), or a value of `forms` that `check` accepts (empty) or refuses
// saying why. Kept as given, like an endpoint.
ParamSpec form_param(std::string name, std::vector<std::string> named, std::string help, std::string forms,
                     std::function<std::string(std::string_view)> check);
// Where the units of a cell run (bench/sys/placement.h): none, same, spread, compact or cpus:LIST.
ParamSpec placement_param(std::string name, std::string help);

// HOST:PORT split; nullopt unless HOST is non-empty and PORT is from 1 to 65535.
struct HostPort {
  std::string host;
  int port = 0;
};
std::optional<HostPort> parse_host_port(std::string_view text);

// "123", "64K", "1M", "2GiB", "512B" -> bytes (powers of 1024). Throws UsageError.
int64_t parse_size(std::string_view text);
// Strict decimal integer. Throws UsageError naming `what`.
int64_t parse_integer(std::string_view text, std::string_view what);
std::string format_size(int64_t bytes);

// A cell's parameter values, keyed and therefore ordered by name: the canonical form.
class Params {
 public:
  Params() = default;
  explicit Params(std::map<std::string, std::string> values) : values_(std::move(values)) {}

  bool has(std::string_view name) const;
  // The value of a parameter the cell must carry; a missing one is a programming error.
  const std::string& str(std::string_view name) const;
  int64_t integer(std::string_view name) const;
  void set(std::string name, std::string value) { values_[std::move(name)] = std::move(value); }
  const std::map<std::string, std::string>& values() const { return values_; }

  // "k=v;k=v", sorted by key: the `params` column of the CSV.
  std::string canonical() const;
  static Params parse_canonical(std::string_view text);

  bool operator==(const Params&) const = default;

 private:
  std::map<std::string, std::string> values_;
};

std::vector<std::string> split(std::string_view text, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);

}  // namespace versus
