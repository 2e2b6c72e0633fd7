// epoll: connections as state machines on epoll loops; the interest set lives in the kernel and
// a wait costs by the ready descriptors only. `trigger=edge` drains each socket on every report.
#include "runners/event_loop.h"
#include "runners/registry.h"

namespace versus {
namespace {
const ParamSpec kParams[] = {
    loop_threads_param(),
    choice_param("trigger", {"level", "edge"},
                 "level: a ready descriptor is reported until drained; edge: once per change (EPOLLET)"),
};
}  // namespace

const Runner* epoll_runner() {
  static const PollerLoopRunner runner("epoll", "non-blocking connections on epoll loops", kParams);
  return &runner;
}

}  // namespace versus
