// What the io_uring poller and the io_uring runner share. Only for code built with liburing.
#pragma once

#include <liburing.h>

#include <cerrno>
#include <cstdint>
#include <mutex>
#include <stdexcept>

#include "bench/sys/errors.h"

namespace versus {

// Every ring is made and torn down through these two. liburing maps and unmaps a ring with its own
// system calls, past the thread sanitizer's view: a ring mapped where another thread's ring was just
// unmapped looks to it like memory two threads write without order, and it reports a race. One
// lock around making and tearing down gives the order it cannot see. Each happens once per poller
// or loop thread, never per round or request (a loop thread of the redis cells makes its ring
// inside the timed run: the lock may queue one thread's set-up, some 35 µs, behind another's).
// Returns what io_uring_queue_init(_params) returns: 0 or -errno.
inline std::mutex& uring_lifetime_lock() {
  static std::mutex lock;
  return lock;
}

inline int uring_init(unsigned entries, io_uring& ring, io_uring_params* params = nullptr) {
  const std::lock_guard hold(uring_lifetime_lock());
  return params ? io_uring_queue_init_params(entries, &ring, params) : io_uring_queue_init(entries, &ring, 0);
}

inline void uring_exit(io_uring& ring) {
  const std::lock_guard hold(uring_lifetime_lock());
  io_uring_queue_exit(&ring);
}

// A free submission entry; when the queue is full, what is queued goes to the kernel first
// (one more system call, counted in `submits` where given).
inline io_uring_sqe* free_sqe(io_uring& ring, uint64_t* submits = nullptr) {
  if (io_uring_sqe* sqe = io_uring_get_sqe(&ring)) return sqe;
  if (submits) ++*submits;
  int r;
  do {
    r = io_uring_submit(&ring);
  } while (r == -EINTR);
  if (r < 0) throw_error(r, "io_uring_submit");
  if (io_uring_sqe* sqe = io_uring_get_sqe(&ring)) return sqe;
  throw std::runtime_error("io_uring: no submission entry free after submitting");
}

}  // namespace versus
