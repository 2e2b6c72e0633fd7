// What the bare measurements share: pinning an end, a peer process, reading and writing whole
// buffers. None of it runs inside a timed loop.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>

#include "baseline/bare.h"
#include "bench/sys/child.h"

namespace baseline {

// Binds the calling thread to end `end`'s CPU; nothing when `cpus` is empty.
void pin_end(const Cpus& cpus, int end);

// The peer end of a pair: a process forked now, bound to end 1's CPU, running `body`. It is
// killed and reaped when the Peer goes; finish() waits for it and throws unless it exited 0.
class Peer {
 public:
  Peer(const Cpus& cpus, const std::function<void()>& body);
  void finish();

 private:
  versus::Child child_;
};

// Writes or reads all `size` bytes, retrying short transfers and EINTR; throws naming `what`.
void send_all(int fd, const void* data, size_t size, const char* what);
void read_all(int fd, void* data, size_t size, const char* what);

}  // namespace baseline
