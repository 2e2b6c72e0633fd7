// select: connections as state machines on select(2) loops. Descriptors past FD_SETSIZE (1024)
// cannot be watched: such a cell is `unsupported`, never undefined behaviour.
#include "runners/event_loop.h"
#include "runners/registry.h"

namespace versus {
namespace {
const ParamSpec kParams[] = {
    loop_threads_param(),
};
}  // namespace

const Runner* select_runner() {
  static const PollerLoopRunner runner("select", "non-blocking connections on select(2) loops", kParams);
  return &runner;
}

}  // namespace versus
