// Readiness pollers: select, poll, epoll and io_uring (poll requests) behind one small interface,
// in the manner of libevent's `struct eventop`: one implementation per mechanism, listed in one
// table (poller.cc). The select/poll/epoll runners, the fiber scheduler's idle wait, the mux
// scenario and the embedded Redis server all stand on it, so each mechanism exists once.
//
// Registrations are level-triggered unless PollerOptions::edge_triggered is set (epoll only): a
// descriptor that stays readable is reported by every wait() until it is drained, modified or
// removed. Errors from the kernel throw std::system_error naming the call ("epoll_ctl: Bad file
// descriptor"); EINTR is retried inside wait().
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace versus {

// Event bits, the same for every poller. kHangup and kError are reported whether asked for or
// not, as poll(2) does.
enum PollBits : uint32_t {
  kReadable = 1u << 0,
  kWritable = 1u << 1,
  kHangup = 1u << 2,
  kError = 1u << 3,
};

struct PollEvent {
  int fd = -1;
  uint32_t events = 0;  // PollBits
  uint64_t token = 0;   // what the caller registered the descriptor with
};

struct PollerOptions {
  bool edge_triggered = false;  // epoll: EPOLLET; the others refuse it (poller_unsupported)
  unsigned capacity = 256;      // descriptors expected: sizes arrays and io_uring's rings
  // io_uring: one multishot poll request per descriptor (IORING_POLL_ADD_MULTI), rearmed by the
  // kernel, instead of a one-shot request rearmed by every wait(). A descriptor is reported each
  // time it becomes ready (new data, a new wake-up), not at every wait while it stays ready: much
  // like edge triggering. The others refuse it (poller_unsupported).
  bool multishot = false;
};

class Poller {
 public:
  virtual ~Poller() = default;
  virtual std::string_view name() const = 0;

  // Watches `fd` for `events` (kReadable | kWritable); `token` comes back in its events. A
  // descriptor is added once; adding it twice is an error.
  virtual void add(int fd, uint32_t events, uint64_t token) = 0;
  // Changes what `fd` is watched for (0: nothing for now, but stays registered).
  virtual void modify(int fd, uint32_t events, uint64_t token) = 0;
  // Stops watching `fd`. Must be called before the descriptor is closed.
  virtual void remove(int fd) = 0;
  // Waits up to `timeout_ms` (-1: without limit, 0: not at all) until at least one registered
  // descriptor is ready, and puts the ready ones in `ready` (cleared first). Returns how many;
  // 0 when the time ran out.
  virtual int wait(std::vector<PollEvent>& ready, int timeout_ms) = 0;
  // Descriptors registered now.
  virtual size_t size() const = 0;
};

// The mechanisms, in the order `versus list` shows them.
std::span<const std::string_view> poller_kinds();

// "" when a poller of `kind` with `options` can watch descriptors numbered below `max_fd` here;
// otherwise why not: an unknown kind, select past FD_SETSIZE, edge triggering outside epoll,
// io_uring refused by the kernel (it really tries to create a ring).
std::string poller_unsupported(std::string_view kind, const PollerOptions& options, int64_t max_fd);

// A poller of `kind`; throws std::invalid_argument for an unknown kind or an option it does not
// have (edge_triggered, multishot), and std::system_error when the kernel refuses.
std::unique_ptr<Poller> make_poller(std::string_view kind, const PollerOptions& options = {});

}  // namespace versus
