#include "runners/registry.h"

namespace versus {

std::span<const Runner* const> all_runners() {
  static const Runner* const kRunners[] = {
      serial_runner(),    fork_runner(),       pthread_runner(),    fiber_runner(),
      select_runner(),    poll_runner(),       epoll_runner(),
#ifdef VERSUS_HAVE_LIBURING
      io_uring_runner(),
#endif
      py_thread_runner(), py_process_runner(), py_asyncio_runner(),
  };
  return kRunners;
}

}  // namespace versus
