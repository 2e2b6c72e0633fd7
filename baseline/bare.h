// The bare form of each primitive versus measures, written as anyone would write it: system
// calls and Boost.Context directly, no versus type in a measured loop. Each function binds its
// ends to the CPUs given (one per end; an end bound to the same CPU as its peer shares it), does
// its warm-up, then times its work and returns one figure in the unit its comment names.
// Failures throw std::system_error naming the call; every process, thread and descriptor a
// function starts is ended before it returns, whatever happens.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace baseline {

// The ends' CPUs: ends[0] runs the caller's side (parent, producer, spawner, loop), ends[1] the
// peer's. Empty: unpinned.
using Cpus = std::vector<int>;

// Microseconds per worker: fork + _exit + waitpid, `count` times.
double fork_wait_us(const Cpus& cpus, int count);
// Microseconds per worker: pthread_create + join of a thread that returns at once.
double pthread_create_join_us(const Cpus& cpus, int count);
// Nanoseconds per fiber: a Boost.Context fiber with a stack of `stack` kind ("fixed",
// "protected", "pooled") and `stack_bytes`, created, run to its end and destroyed.
double fiber_create_ns(const Cpus& cpus, std::string_view stack, size_t stack_bytes, int count);
// Nanoseconds per hand-over: two fibers switching straight to each other, `count` switches.
double fiber_switch_ns(const Cpus& cpus, int count);

// Median microseconds of a round trip of `size` bytes between two processes, over `channel`
// ("pipe", "socketpair", "shm": a mailbox in shared memory, waited for on a futex). The peer
// reads each message whole and writes the answer back, as versus's does.
double pingpong_p50_us(const Cpus& cpus, std::string_view channel, size_t size, int round_trips, int warmup);
// Bytes per second streamed one way between two processes in `size`-byte messages, `bytes` in
// all, over `channel` ("pipe", "socketpair", "shm": a ring of message slots in shared memory).
// `check_each` (pipe and socketpair only): the reader also passes over every message it takes
// with the checksum versus's ipc consumer computes (scenarios/ipc/message.h), and fails if one
// differs from the first.
double stream_bytes_per_s(const Cpus& cpus, std::string_view channel, size_t size, size_t bytes,
                          bool check_each = false);
// Bytes per second copied by memcpy between two buffers of `bytes` each (pick them larger than
// the last-level cache, and the copy runs from DRAM).
double memcpy_bytes_per_s(const Cpus& cpus, size_t bytes, int passes);

// Microseconds per round of `fds` socketpairs, `active` of them written one byte each round, all
// noticed and read by one thread waiting with `method` ("select", "poll", "epoll", "io_uring":
// a multishot poll request per descriptor).
double mux_round_us(const Cpus& cpus, std::string_view method, int fds, int active, int rounds);

// The methods mux_round_us knows here (io_uring only where liburing was found).
const std::vector<std::string_view>& mux_methods();

}  // namespace baseline
