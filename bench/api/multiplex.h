// The multiplex shape: many descriptors, few of them active at a time (the mux scenario, in the
// manner of libevent's bench). The scenario owns N descriptor pairs and, each round, writes one
// byte on `active` of them; the runner waits on all N read ends, reads each byte that arrives
// and hands it to the scenario, which says where the event goes on to (a chain of hops). The
// round ends when each of its chains has ended: counting ends rather than events, a byte gone
// wrong ends its chain early and the round still ends, for the check to say what went wrong.
// The runner decides how it waits: a readiness loop (select, poll, epoll), io_uring
// completions, a blocked thread per descriptor (pthread), or a fiber per descriptor parked on a
// poller (fiber).
#pragma once

#include <cstdint>

#include "bench/api/scenario.h"

namespace versus {

// Never an event: a runner with a worker per descriptor writes it to tell that worker to end.
constexpr uint8_t kMultiplexStopByte = 0xff;

class MultiplexWork : public Work {
 public:
  // N: the descriptor pairs. read_fd(i) is what the runner waits on (it may switch it to
  // non-blocking); write_fd(i) is where a forwarded event is written.
  virtual int descriptors() const = 0;
  virtual int read_fd(int i) const = 0;
  virtual int write_fd(int i) const = 0;
  virtual int rounds() const = 0;
  // How many events a round consumes in all, hops included (the repetition's ops).
  virtual uint64_t events_per_round() const = 0;
  // How many chains start_round starts: each ends once, where consumed() returns -1.
  virtual uint64_t chains_per_round() const = 0;
  // Starts round r by writing its first events, from the runner's driving thread.
  virtual void start_round(int r) = 0;
  // Descriptor i delivered `byte`. Returns the pair the event goes on to, where the runner
  // writes `byte - 1`, or -1 when the chain ends here. Safe to call from any thread.
  virtual int consumed(int i, uint8_t byte) = 0;
};

}  // namespace versus
