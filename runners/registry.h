// The runners compiled into this build, listed in one table (runners/registry.cc).
#pragma once

#include <span>

#include "bench/runner.h"

namespace versus {

const Runner* serial_runner();
const Runner* fork_runner();
const Runner* pthread_runner();
const Runner* fiber_runner();

// Every runner of this build, in the order `versus list` shows them.
std::span<const Runner* const> all_runners();

}  // namespace versus
