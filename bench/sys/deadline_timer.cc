#include "bench/sys/deadline_timer.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>

#include "bench/sys/errors.h"

namespace versus {

DeadlineTimer::DeadlineTimer() : fd_(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {
  if (!fd_) throw_errno("timerfd_create");
}

void DeadlineTimer::arm(int64_t due_ns) {
  if (due_ns == armed_ns_) return;  // armed for it already: no system call
  itimerspec spec{};  // an it_value of zero disarms
  if (due_ns > 0) spec.it_value = {time_t(due_ns / 1000000000), long(due_ns % 1000000000)};
  if (timerfd_settime(fd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) < 0) throw_errno("timerfd_settime");
  armed_ns_ = due_ns;
}

void DeadlineTimer::clear() {
  uint64_t expiries;
  while (read(fd_.get(), &expiries, sizeof expiries) < 0) {
    if (errno == EAGAIN) break;  // reported, but another read took it
    if (errno != EINTR) throw_errno("read of a timerfd");
  }
  armed_ns_ = 0;
}

}  // namespace versus
