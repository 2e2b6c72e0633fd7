// How the runners drive the multiplex shape (bench/api/multiplex.h). Two ways, shared:
//  - one thread waits on every descriptor through a readiness poller (select, poll, epoll, and
//    io_uring's poll requests), consuming what is ready and starting each round itself;
//  - a worker per descriptor (a thread, or a fiber parked on its scheduler's poller) blocks on its
//    own descriptor, and a driver worker starts each round and sleeps until the last event of the
//    round wakes it (an eventfd).
// Both time the rounds only (wall_s), the set-up before them (setup_s), and count the system
// calls they make.
#pragma once

#include <functional>
#include <string_view>

#include "bench/api/multiplex.h"
#include "bench/poller/poller.h"
#include "bench/api/runner.h"

namespace versus {

RunOutcome multiplex_on_poller(MultiplexWork& work, const Cell& cell, std::string_view kind,
                               const PollerOptions& options);

RunOutcome multiplex_per_descriptor(const Runner& runner, MultiplexWork& work, const Cell& cell);

// One thread's part, for drivers of their own (io_uring's receives): `prepare` readies the
// descriptors (timed as setup_s), then for each round the work's start_round, then
// `consume(target)` until `target` chains of the round have ended. Both return the system calls
// they made.
struct SingleThreadMultiplex {
  std::function<uint64_t()> prepare;
  std::function<uint64_t(uint64_t target)> consume;
};
RunOutcome multiplex_on_one_thread(MultiplexWork& work, const Cell& cell, const SingleThreadMultiplex& driver);

// Hands byte `b` read from descriptor i to the work and writes the event on where it goes, one
// system call. Returns false when the event's chain ended here instead.
bool forward_event(MultiplexWork& work, int i, uint8_t b);

}  // namespace versus
