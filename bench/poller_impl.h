// The constructors of the pollers, one per file, gathered by the table in poller.cc.
#pragma once

#include <memory>

#include "bench/poller.h"

namespace versus {

std::unique_ptr<Poller> make_epoll_poller(const PollerOptions& options);

}  // namespace versus
