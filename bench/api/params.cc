#include "bench/api/params.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "bench/sys/placement.h"

namespace versus {

ParamSpec choice_param(std::string name, std::vector<std::string> choices, std::string help) {
  ParamSpec p;
  p.name = std::move(name);
  p.kind = ParamSpec::Kind::kChoice;
  p.default_value = choices.front();
  p.choices = std::move(choices);
  p.help = std::move(help);
  return p;
}

ParamSpec int_param(std::string name, int64_t def, int64_t min, int64_t max, std::string help) {
  ParamSpec p;
  p.name = std::move(name);
  p.kind = ParamSpec::Kind::kInteger;
  p.default_value = std::to_string(def);
  p.min = min;
  p.max = max;
  p.help = std::move(help);
  return p;
}

ParamSpec size_param(std::string name, int64_t def, int64_t min, int64_t max, std::string help) {
  ParamSpec p = int_param(std::move(name), def, min, max, std::move(help));
  p.kind = ParamSpec::Kind::kSize;
  return p;
}

ParamSpec endpoint_param(std::string name, std::vector<std::string> named, std::string help) {
  ParamSpec p = choice_param(std::move(name), std::move(named), std::move(help));
  p.kind = ParamSpec::Kind::kEndpoint;
  return p;
}

ParamSpec endpoint_param(std::string name, std::vector<std::string> named, std::string help, std::string forms,
                         std::function<std::string(std::string_view)> check) {
  ParamSpec p = endpoint_param(std::move(name), std::move(named), std::move(help));
  p.endpoint_forms = std::move(forms);
  p.endpoint_check = std::move(check);
  return p;
}

ParamSpec form_param(std::string name, std::vector<std::string> named, std::string help, std::string forms,
                     std::function<std::string(std::string_view)> check) {
  return endpoint_param(std::move(name), std::move(named), std::move(help), std::move(forms), std::move(check));
}

ParamSpec placement_param(std::string name, std::string help) {
  ParamSpec p;
  p.name = std::move(name);
  p.kind = ParamSpec::Kind::kPlacement;
  p.default_value = "none";
  p.help = std::move(help);
  return p;
}

std::optional<HostPort> parse_host_port(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  const std::string_view host = text.substr(0, colon);
  if (host.find_first_of(",;= ") != std::string_view::npos) return std::nullopt;
  int port = 0;
  const std::string_view digits = text.substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || port < 1 || port > 65535) {
    return std::nullopt;
  }
  return HostPort{std::string(host), port};
}

int64_t parse_integer(std::string_view text, std::string_view what) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw UsageError(fmt::format("{}: '{}' is not an integer", what, text));
  }
  return value;
}

int64_t parse_size(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) throw UsageError(fmt::format("'{}' is not a size (say 4096, 64K, 1M or 1GiB)", text));
  int64_t number = parse_integer(text.substr(0, digits), "size");
  std::string unit(text.substr(digits));
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  int shift = 0;
  if (unit.empty() || unit == "B") shift = 0;
  else if (unit == "K" || unit == "KB" || unit == "KIB") shift = 10;
  else if (unit == "M" || unit == "MB" || unit == "MIB") shift = 20;
  else if (unit == "G" || unit == "GB" || unit == "GIB") shift = 30;
  else throw UsageError(fmt::format("'{}' is not a size: unit '{}' is not B, K, M or G", text, unit));
  if (number > (INT64_MAX >> shift)) throw UsageError(fmt::format("size '{}' is too large", text));
  return number << shift;
}

std::string format_size(int64_t bytes) {
  if (bytes >= (1 << 30) && bytes % (1 << 30) == 0) return fmt::format("{} GiB", bytes >> 30);
  if (bytes >= (1 << 20) && bytes % (1 << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  if (bytes >= (1 << 10) && bytes % (1 << 10) == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} B", bytes);
}

std::string ParamSpec::accepted() const {
  switch (kind) {
    case Kind::kChoice: return "one of " + join(choices, ", ");
    case Kind::kInteger:
      return max == INT64_MAX ? fmt::format("an integer of at least {}", min)
                              : fmt::format("an integer from {} to {}", min, max);
    case Kind::kSize: return fmt::format("a size from {} to {}", format_size(min), format_size(max));
    case Kind::kEndpoint:
      if (endpoint_check) return join(choices, ", ") + ", " + endpoint_forms;
      return join(choices, ", ") + ", or HOST:PORT (a port from 1 to 65535)";
    case Kind::kPlacement:
      return fmt::format("none, same, spread, compact, or cpus:LIST of the CPUs allowed here ({})",
                         format_cpu_list(Topology::here().cpus()));
  }
  return {};
}

std::string ParamSpec::validate(std::string_view value) const {
  try {
    switch (kind) {
      case Kind::kChoice:
        for (const auto& c : choices) {
          if (c == value) return {};
        }
        break;
      case Kind::kInteger: {
        int64_t v = parse_integer(value, name);
        if (v >= min && v <= max) return {};
        break;
      }
      case Kind::kSize: {
        int64_t v = parse_size(value);
        if (v >= min && v <= max) return {};
        break;
      }
      case Kind::kEndpoint:
        for (const auto& c : choices) {
          if (c == value) return {};
        }
        if (endpoint_check) {
          // The check's reason, not the value: it may hold a password.
          const std::string why = endpoint_check(value);
          return why.empty() ? why : fmt::format("parameter '{}': {}; accepted: {}", name, why, accepted());
        }
        if (parse_host_port(value)) return {};
        break;
      case Kind::kPlacement: {
        // A CPU list is checked against this machine here, before anything runs.
        const Placement placement = parse_placement(value);
        const auto& allowed = Topology::here().cpus();
        for (int cpu : placement.list) {
          if (std::find(allowed.begin(), allowed.end(), cpu) == allowed.end()) {
            return fmt::format("parameter '{}': '{}' names CPU {}, which versus may not use here; accepted: {}", name,
                               value, cpu, accepted());
          }
        }
        return {};
      }
    }
  } catch (const UsageError& e) {
    if (kind == Kind::kPlacement) {  // the message names the accepted forms already
      return fmt::format("parameter '{}': {} (the CPUs allowed here: {})", name, e.what(),
                         format_cpu_list(Topology::here().cpus()));
    }
  }
  return fmt::format("parameter '{}': '{}' is not accepted; accepted: {}", name, value, accepted());
}

std::string ParamSpec::canonical(std::string_view value) const {
  if (kind == Kind::kSize) return std::to_string(parse_size(value));
  if (kind == Kind::kPlacement) return placement_name(parse_placement(value));
  return std::string(value);
}

bool Params::has(std::string_view name) const { return values_.find(std::string(name)) != values_.end(); }

const std::string& Params::str(std::string_view name) const {
  auto it = values_.find(std::string(name));
  if (it == values_.end()) throw std::logic_error(fmt::format("cell has no parameter '{}'", name));
  return it->second;
}

int64_t Params::integer(std::string_view name) const { return parse_integer(str(name), name); }

std::string Params::canonical() const {
  std::vector<std::string> parts;
  for (const auto& [k, v] : values_) parts.push_back(k + "=" + v);
  return join(parts, ";");
}

Params Params::parse_canonical(std::string_view text) {
  Params p;
  if (text.empty()) return p;
  for (const auto& part : split(text, ';')) {
    auto eq = part.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError(fmt::format("params '{}': '{}' is not key=value", text, part));
    }
    p.set(part.substr(0, eq), part.substr(eq + 1));
  }
  return p;
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t pos = text.find(sep, start);
    parts.emplace_back(text.substr(start, pos == std::string_view::npos ? text.npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

}  // namespace versus
