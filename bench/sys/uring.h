// What the io_uring poller and the io_uring runner share. Only for code built with liburing.
#pragma once

#include <liburing.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>

#include "bench/sys/errors.h"

namespace versus {

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
