// Whether spinning can pay: a waiter spins so as to see its peer's hand-over without sleeping,
// which works only while the peer runs at the same time elsewhere. Bound to the very CPU the
// waiter holds, the peer cannot run until the spin ends, and every spin is a whole wasted
// slice (42 µs a shm round trip instead of 2). Each side publishes the CPU it is bound to
// before the start line; a waiter whose peer shares its one CPU sleeps at once.
#pragma once

#include <atomic>

namespace versus {

// The one CPU the calling thread may run on, or -1 when it may run on more than one (placement
// none: the peer's CPU cannot be known, and spinning stays as asked).
int sole_cpu_of_this_thread();

// Lives in memory both sides see (a SharedArray under fork).
struct PeerCpus {
  std::atomic<int> cpu[2] = {-1, -1};

  // Side 0 or 1 says where it is bound; called in the worker's own thread before the start line.
  void publish(int side) { cpu[side].store(sole_cpu_of_this_thread(), std::memory_order_release); }
  // True when both sides are bound to the same single CPU: spinning would only delay the peer.
  bool share_one_cpu() const {
    const int a = cpu[0].load(std::memory_order_acquire);
    return a >= 0 && a == cpu[1].load(std::memory_order_acquire);
  }
};

}  // namespace versus
