// Spinning before sleeping: a waiter that expects its peer on another CPU soon looks again and
// again for a while, since waking a sleeper costs far more (on a VM tens of microseconds).
#pragma once

#include <cstdint>

#include "bench/sys/futex.h"
#include "bench/sys/measure.h"

namespace versus {

// Looks at `ready` until it holds (true) or about `spin_ns` have passed (false), pausing between
// looks; no look when spin_ns is 0 or less. The clock is read every 64 looks only, the first time
// to start the count (so a wait spins 64 looks more than spin_ns): a wait that ends within 64
// looks reads no clock, and on the path of a round trip a clock read is not free.
template <typename Ready>
bool spin_until_ready(int64_t spin_ns, Ready ready) {
  if (spin_ns <= 0) return false;
  int64_t until = 0;
  for (int i = 0;; ++i) {
    if (ready()) return true;
    cpu_relax();
    if (i % 64 == 63) {
      const int64_t now = now_ns();
      if (until == 0) {
        until = now + spin_ns;
      } else if (now >= until) {
        return false;
      }
    }
  }
}

}  // namespace versus
