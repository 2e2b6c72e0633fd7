#include "scenarios/redis/offered_load.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "bench/api/params.h"

namespace versus::redis {
namespace {

// A finite number above 0, all of `text`.
bool positive_number(std::string_view text, double& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size() && std::isfinite(out) && out > 0;
}

}  // namespace

OfferedRate parse_rate(std::string_view text) {
  OfferedRate rate;
  if (text == "0") return rate;
  if (text.ends_with('%')) {
    if (!positive_number(text.substr(0, text.size() - 1), rate.percent)) {
      throw UsageError(fmt::format("'{}' is no percentage above 0", text));
    }
    return rate;
  }
  if (!positive_number(text, rate.per_s)) throw UsageError(fmt::format("'{}' is no rate above 0", text));
  return rate;
}

std::string saturation_note(double offered_per_s, double achieved_per_s) {
  if (achieved_per_s >= 0.95 * offered_per_s) return {};
  return fmt::format("saturated: {:.0f} requests/s achieved of {:.0f} offered ({:.0f}%)", achieved_per_s,
                     offered_per_s, 100 * achieved_per_s / offered_per_s);
}

}  // namespace versus::redis
