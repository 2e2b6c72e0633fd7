// The runners compiled into this build, listed in one table (runners/registry.cc).
#pragma once

#include <span>

#include "bench/api/runner.h"

namespace versus {

const Runner* serial_runner();
const Runner* fork_runner();
const Runner* pthread_runner();
const Runner* fiber_runner();
const Runner* select_runner();
const Runner* poll_runner();
const Runner* epoll_runner();
#ifdef VERSUS_HAVE_LIBURING
const Runner* io_uring_runner();
#endif
const Runner* py_thread_runner();
const Runner* py_process_runner();
const Runner* py_asyncio_runner();

// Every runner of this build, in the order `versus list` shows them.
std::span<const Runner* const> all_runners();

}  // namespace versus
