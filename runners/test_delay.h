// A regression on purpose, for checking that the gate (versus compare) catches one: a build
// configured with -DVERSUS_TEST_DELAY_RUNNER=NAME makes runner NAME's workers spin 10% longer than
// their work took, and nothing else changes. Never set in a build whose figures are kept.
#pragma once

#include <cstdint>
#include <string_view>

#include "bench/sys/measure.h"

namespace versus {

inline constexpr double kTestDelayShare = 0.10;

// Called by a worker of `runner` just after its work, which started at `work_start_ns`.
inline void test_delay(std::string_view runner, int64_t work_start_ns) {
#ifdef VERSUS_TEST_DELAY_RUNNER
  if (runner != VERSUS_TEST_DELAY_RUNNER) return;
  const int64_t until = now_ns() + int64_t(double(now_ns() - work_start_ns) * kTestDelayShare);
  while (now_ns() < until) {
  }
#else
  (void)runner;
  (void)work_start_ns;
#endif
}

}  // namespace versus
