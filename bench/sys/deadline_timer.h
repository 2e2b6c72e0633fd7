// A timer a poller can wait on: a timerfd on CLOCK_MONOTONIC (now_ns()'s clock), armed for an
// absolute time. The pollers wait in whole milliseconds; an open-loop sender must wake at its
// send time to the microsecond, or the timer's slack would count as the server's latency.
#pragma once

#include <cstdint>

#include "bench/sys/fd.h"

namespace versus {

class DeadlineTimer {
 public:
  DeadlineTimer();  // non-blocking, disarmed; throws std::system_error when timerfd_create fails
  int fd() const { return fd_.get(); }
  // Readable from `due_ns` on (at once when it has passed); 0 disarms it.
  void arm(int64_t due_ns);
  // After it was reported readable: clears the expiry, so a level-triggered poller stops
  // reporting it.
  void clear();

 private:
  UniqueFd fd_;
  int64_t armed_ns_ = 0;
};

}  // namespace versus
