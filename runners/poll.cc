// poll: connections as state machines on poll(2) loops: no descriptor limit, but every wait
// hands the kernel the whole array and scans it back.
#include "runners/event_loop.h"
#include "runners/registry.h"

namespace versus {
namespace {
const ParamSpec kParams[] = {
    loop_threads_param(),
};
}  // namespace

const Runner* poll_runner() {
  static const PollerLoopRunner runner("poll", "non-blocking connections on poll(2) loops", kParams);
  return &runner;
}

}  // namespace versus
