// Channels between the two peers of a pair: one small class per mechanism behind one interface.
// A channel is made in the repetition's process before the peers exist, so that under fork both
// children inherit it (descriptors, shared mappings) and under threads both share it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "bench/sys/errors.h"
#include "bench/api/scenario.h"

namespace versus::ipc {

// One side of a channel; both sides can send and receive (pingpong replies on the same channel).
class Endpoint {
 public:
  virtual ~Endpoint() = default;
  // From now on never block in the kernel: where the call would wait, ctx.yield() and try again
  // (fibers sharing one OS thread). Called by the peer that uses this side, before any transfer.
  virtual void set_cooperative() = 0;
  // Called by the peer that uses this side, in its own thread once the runner has bound it: a
  // channel whose waits spin learns where its side runs (bench/sys/peer_cpus.h).
  virtual void publish_binding() {}
  // After the repetition: what the row should say about how the channel waited ("" if nothing).
  virtual std::string waiting_note() const { return {}; }
  // Sends exactly `n` bytes: one message. Stream channels may move it in several pieces.
  virtual void send(const std::byte* data, size_t n, WorkerContext& ctx) = 0;
  // Receives exactly `n` bytes: one message.
  virtual void recv(std::byte* data, size_t n, WorkerContext& ctx) = 0;
};

struct Channel {
  std::unique_ptr<Endpoint> producer;
  std::unique_ptr<Endpoint> consumer;
};

// The mechanisms; `msg_size` is the largest message the channel will carry, `pair` names it.
Channel make_pipe_channel();
Channel make_socketpair_channel();
Channel make_tcp_channel();
Channel make_mq_channel(size_t msg_size, int pair);
// shm: a side that finds the ring empty (or full) spins up to spin_us before it sleeps.
Channel make_shm_channel(size_t msg_size, int spin_us);
Channel make_queue_channel(size_t msg_size);

// mq: "" when `pairs` pairs of queues for messages of `msg_size` fit this system's limits,
// else which limit, with its value.
std::string mq_unsupported(size_t msg_size, int pairs);

}  // namespace versus::ipc
