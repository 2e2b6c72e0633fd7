#include "runners/registry.h"

namespace versus {

std::span<const Runner* const> all_runners() {
  static const Runner* const kRunners[] = {
      serial_runner(),
      fork_runner(),
      pthread_runner(),
      fiber_runner(),
      select_runner(),
      poll_runner(),
      epoll_runner(),
#ifdef VERSUS_HAVE_LIBURING
      io_uring_runner(),
#endif
  };
  return kRunners;
}

}  // namespace versus
