// The redis scenario's open loop: what `rate` asks for, parsed once for validation and for the run.
#pragma once

#include <string>
#include <string_view>

namespace versus::redis {

// `rate`: 0 (closed loop), requests per second offered in all (a positive number), or `P%` of
// the closed-loop rate measured for the same cell in this run (P above 0; above 100 offers more
// than the cell can take, on purpose).
struct OfferedRate {
  double per_s = 0;    // a number given
  double percent = 0;  // P of `P%`
  bool open() const { return per_s > 0 || percent > 0; }
};

// Throws UsageError saying what is wrong with `text`.
OfferedRate parse_rate(std::string_view text);
// The forms parse_rate accepts, for the parameter's table.
inline constexpr std::string_view kRateForms =
    "a number of requests per second offered in all (say 20000), or P% of the closed-loop rate measured for the "
    "same cell in this run (say 50%)";

// The message of a repetition that fell more than 5% short of what it was offered; empty when it
// kept up.
std::string saturation_note(double offered_per_s, double achieved_per_s);

}  // namespace versus::redis
