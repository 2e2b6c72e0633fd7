// The constructors of the pollers, one per file, gathered by the table in poller.cc, and what the
// files share.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "bench/poller/poller.h"

namespace versus {

std::unique_ptr<Poller> make_select_poller(const PollerOptions& options);
std::unique_ptr<Poller> make_poll_poller(const PollerOptions& options);
std::unique_ptr<Poller> make_epoll_poller(const PollerOptions& options);
std::unique_ptr<Poller> make_uring_poller(const PollerOptions& options);

// Why a poller cannot run here with these options ("" when it can), for the kinds that have
// limits of their own beyond the table's edge and multishot columns.
std::string select_unsupported(const PollerOptions& options, int64_t max_fd);
std::string uring_unsupported(const PollerOptions& options, int64_t max_fd);

// PollBits to poll(2)'s event mask and back: the poll poller and io_uring's poll requests speak it.
unsigned to_poll_mask(uint32_t events);
uint32_t from_poll_mask(unsigned mask);

// A wait's time limit, so that a wait cut short (EINTR, or a wake-up that brought only stale
// news) goes on for what is left rather than starting over.
class WaitLimit {
 public:
  explicit WaitLimit(int timeout_ms)
      : timeout_ms_(timeout_ms),
        deadline_(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms)) {}

  // Milliseconds left, rounded up so a wait never ends early; -1 (no limit) stays -1.
  int remaining_ms() const {
    if (timeout_ms_ < 0) return -1;
    const auto left = deadline_ - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return 0;
    return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
  }
  bool expired() const { return remaining_ms() == 0; }

 private:
  int timeout_ms_;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace versus
