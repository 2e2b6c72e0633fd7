// io_uring as a readiness poller: one IORING_OP_POLL_ADD request per descriptor, its completion
// saying the descriptor is ready. The kernel keeps no interest set here; each request is one
// question asked once.
//
// Level-triggered by default: requests are one-shot, and wait() arms again every descriptor it
// reported last time. If it is still ready the kernel completes the new request at once, so a
// descriptor left undrained is reported at every wait, as with poll.
//
// PollerOptions::multishot arms one IORING_POLL_ADD_MULTI request per descriptor instead: the
// kernel posts a completion each time the file becomes ready (a wake-up, such as new data) and
// keeps the request armed, so nothing is submitted per wait, but a descriptor left undrained is
// not reported again. When the kernel ends a multishot request itself (a completion without
// IORING_CQE_F_MORE, e.g. when the completion queue overflowed) the next wait arms it again. A
// kernel without multishot poll fails the request with EINVAL, which wait() throws;
// poller_unsupported() finds that out beforehand.
//
// modify and remove cancel the armed request (IORING_OP_POLL_REMOVE). Its completion may already
// be on its way, so every request carries a generation in its user_data, and a completion whose
// generation is not the descriptor's armed one is stale and dropped.
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <fmt/format.h>

#include "bench/poller/backends.h"
#include "bench/sys/uring.h"

namespace versus {
namespace {

// user_data: the descriptor in the low half, the request's generation in the high half. The
// cancellations' own completions carry kCancelData, which no descriptor reaches.
constexpr uint64_t kCancelData = UINT64_MAX;
uint64_t user_data(int fd, uint32_t generation) { return uint64_t(generation) << 32 | uint32_t(fd); }

constexpr unsigned kMinEntries = 64;
constexpr unsigned kMaxEntries = 32768;  // the kernel's IORING_MAX_ENTRIES

class UringPoller final : public Poller {
 public:
  explicit UringPoller(const PollerOptions& options) : multishot_(options.multishot) {
    const unsigned entries = std::bit_ceil(std::clamp(options.capacity, kMinEntries, kMaxEntries));
    if (const int r = uring_init(entries, ring_); r < 0) throw_error(r, "io_uring_queue_init");
  }
  ~UringPoller() override { uring_exit(ring_); }

  std::string_view name() const override { return "io_uring"; }

  void add(int fd, uint32_t events, uint64_t token) override {
    if (fd < 0) throw_error(-EBADF, fmt::format("io_uring: add {}", fd));
    if (size_t(fd) >= entries_.size()) entries_.resize(size_t(fd) + 1);
    Entry& e = entries_[size_t(fd)];
    if (e.registered) throw_error(-EEXIST, fmt::format("io_uring: add {}", fd));
    e = {.registered = true, .events = events, .token = token};
    ++count_;
    arm(fd);
  }

  void modify(int fd, uint32_t events, uint64_t token) override {
    Entry& e = registered(fd, "modify");
    disarm(fd);
    e.events = events;
    e.token = token;
    arm(fd);
  }

  void remove(int fd) override {
    registered(fd, "remove");
    disarm(fd);
    entries_[size_t(fd)].registered = false;
    --count_;
    // An armed request holds a reference to the file: cancel it now, so that closing the
    // descriptor right after really closes the file (a peer then sees its end go away).
    submit();
  }

  int wait(std::vector<PollEvent>& ready, int timeout_ms) override {
    ready.clear();
    ++wait_serial_;
    for (const int fd : reported_) {
      if (entries_[size_t(fd)].registered && !entries_[size_t(fd)].armed) arm(fd);
    }
    reported_.clear();

    const WaitLimit limit(timeout_ms);
    for (;;) {
      int r;
      // Completions already posted (a multishot request's, most often) need no system call to
      // wait for: submit what is queued, if anything, and take them.
      if (timeout_ms == 0 || io_uring_cq_ready(&ring_) > 0) {
        submit();
        r = 0;
      } else {
        const int left = limit.remaining_ms();
        __kernel_timespec ts{left / 1000, (left % 1000) * 1000000LL};
        io_uring_cqe* first = nullptr;
        r = io_uring_submit_and_wait_timeout(&ring_, &first, 1, left < 0 ? nullptr : &ts, nullptr);
      }
      if (r < 0 && r != -ETIME && r != -EINTR) throw_error(r, "io_uring_submit_and_wait_timeout");
      drain(ready);
      if (!ready.empty() || r == -ETIME || limit.expired()) break;
    }
    return static_cast<int>(ready.size());
  }

  size_t size() const override { return count_; }

 private:
  struct Entry {
    bool registered = false;
    bool armed = false;  // a request is in the kernel, and `generation` is its
    uint32_t events = 0;
    uint64_t token = 0;
    uint32_t generation = 0;
    uint64_t reported_in = 0;  // the wait that last reported it, and where in `ready`
    size_t ready_index = 0;
  };

  Entry& registered(int fd, const char* what) {
    if (fd < 0 || size_t(fd) >= entries_.size() || !entries_[size_t(fd)].registered) {
      throw_error(-ENOENT, fmt::format("io_uring: {} {}", what, fd));
    }
    return entries_[size_t(fd)];
  }

  // Asks once more (even for no events: hangups and errors are reported regardless, as poll does).
  void arm(int fd) {
    Entry& e = entries_[size_t(fd)];
    io_uring_sqe* sqe = next_sqe();
    if (multishot_) {
      io_uring_prep_poll_multishot(sqe, fd, to_poll_mask(e.events));
    } else {
      io_uring_prep_poll_add(sqe, fd, to_poll_mask(e.events));
    }
    // A global counter, not a per-descriptor one: a descriptor number reused after remove and
    // close must not match a completion meant for the old file.
    e.generation = ++next_generation_;
    e.armed = true;
    io_uring_sqe_set_data64(sqe, user_data(fd, e.generation));
  }

  void disarm(int fd) {
    Entry& e = entries_[size_t(fd)];
    if (!e.armed) return;
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_poll_remove(sqe, user_data(fd, e.generation));
    io_uring_sqe_set_data64(sqe, kCancelData);
    e.armed = false;  // from now on its completion, whatever it says, is stale
  }

  io_uring_sqe* next_sqe() { return free_sqe(ring_); }

  void submit() {
    int r;
    do {
      r = io_uring_submit(&ring_);
    } while (r == -EINTR);
    if (r < 0) throw_error(r, "io_uring_submit");
  }

  // Takes every completion there is, including those the kernel kept aside when the completion
  // queue was full (io_uring_peek_cqe flushes them).
  void drain(std::vector<PollEvent>& ready) {
    io_uring_cqe* cqe = nullptr;
    while (io_uring_peek_cqe(&ring_, &cqe) == 0) {
      const uint64_t data = io_uring_cqe_get_data64(cqe);
      const int res = cqe->res;
      const bool more = cqe->flags & IORING_CQE_F_MORE;
      io_uring_cqe_seen(&ring_, cqe);
      if (data == kCancelData) {
        // ENOENT, EALREADY: the request had completed already; its completion is stale anyway.
        if (res < 0 && res != -ENOENT && res != -EALREADY) throw_error(res, "io_uring poll remove");
        continue;
      }
      const int fd = int(uint32_t(data));
      Entry& e = entries_[size_t(fd)];
      if (!e.registered || !e.armed || e.generation != uint32_t(data >> 32)) continue;
      if (!more) {
        e.armed = false;
        reported_.push_back(fd);  // armed again by the next wait
      }
      if (res == -ECANCELED) continue;  // ended by the kernel, not by us: ask again next wait
      if (res < 0) throw_error(res, fmt::format("io_uring poll on descriptor {}", fd));
      const uint32_t events = from_poll_mask(unsigned(res));
      if (!events) continue;
      // A multishot request may complete twice before a wait collects it: one event per descriptor.
      if (e.reported_in == wait_serial_) {
        ready[e.ready_index].events |= events;
      } else {
        e.reported_in = wait_serial_;
        e.ready_index = ready.size();
        ready.push_back({fd, events, e.token});
      }
    }
  }

  io_uring ring_{};
  bool multishot_;
  size_t count_ = 0;
  uint32_t next_generation_ = 0;
  uint64_t wait_serial_ = 0;
  std::vector<Entry> entries_;  // by descriptor
  std::vector<int> reported_;   // one-shot requests completed, to arm again at the next wait
};

// Whether the kernel keeps a multishot poll request armed: arm one on a pipe, make it ready, and
// read the completion's flags.
std::string multishot_refused(io_uring& ring) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) < 0) return fmt::format("pipe2: {}", std::strerror(errno));
  std::string why;
  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  io_uring_prep_poll_multishot(sqe, pipe_fds[0], POLLIN);
  io_uring_cqe* cqe = nullptr;
  int r = -EIO;
  if (write(pipe_fds[1], "x", 1) != 1) {
    why = fmt::format("write: {}", std::strerror(errno));
  } else if ((r = io_uring_submit_and_wait(&ring, 1)) < 0 || (r = io_uring_peek_cqe(&ring, &cqe)) < 0) {
    why = fmt::format("io_uring_submit_and_wait: {}", std::strerror(-r));
  } else if (cqe->res < 0) {
    why = fmt::format("io_uring refuses multishot poll (IORING_POLL_ADD_MULTI): {}", std::strerror(-cqe->res));
  } else if (!(cqe->flags & IORING_CQE_F_MORE)) {
    why = "io_uring ended a multishot poll request after its first completion (IORING_POLL_ADD_MULTI unsupported)";
  }
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  return why;
}

}  // namespace

std::string uring_unsupported(const PollerOptions& options, int64_t) {
  io_uring ring{};
  if (const int r = uring_init(8, ring); r < 0) {
    return fmt::format("io_uring_queue_init: {}", std::strerror(-r));
  }
  std::string why = options.multishot ? multishot_refused(ring) : std::string();
  uring_exit(ring);
  return why;
}

std::unique_ptr<Poller> make_uring_poller(const PollerOptions& options) {
  return std::make_unique<UringPoller>(options);
}

}  // namespace versus
