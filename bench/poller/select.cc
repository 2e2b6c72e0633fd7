// select(2): the interest set lives in user space as two fd_sets. Every wait copies them (select
// overwrites its arguments with the answer), hands the kernel descriptors up to the highest one,
// and scans the same range for the answer: the cost grows with the highest descriptor, not with
// the ready ones, which is what the benchmark shows against poll and epoll.
//
// select has no hangup bit: a peer that closed makes the descriptor readable (read returns 0),
// and an error makes it readable and writable, so kHangup and kError are never reported here.
#include <sys/select.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "bench/poller/backends.h"
#include "bench/sys/errors.h"

namespace versus {
namespace {

class SelectPoller final : public Poller {
 public:
  explicit SelectPoller(const PollerOptions& options) {
    FD_ZERO(&read_master_);
    FD_ZERO(&write_master_);
    entries_.reserve(std::min<size_t>(options.capacity, FD_SETSIZE));
  }

  std::string_view name() const override { return "select"; }

  void add(int fd, uint32_t events, uint64_t token) override {
    // FD_SET past FD_SETSIZE writes outside the fd_set: refuse before it can happen.
    if (fd < 0 || fd >= FD_SETSIZE) {
      throw std::invalid_argument(
          fmt::format("select: descriptor {} is outside what an fd_set holds (0 to FD_SETSIZE-1 = {}); "
                      "use poll, epoll or io_uring for descriptors this high",
                      fd, FD_SETSIZE - 1));
    }
    if (size_t(fd) >= entries_.size()) entries_.resize(size_t(fd) + 1);
    if (entries_[size_t(fd)].registered) {
      throw std::system_error(EEXIST, std::generic_category(), fmt::format("select: add {}", fd));
    }
    entries_[size_t(fd)].registered = true;
    ++count_;
    set(fd, events, token);
    max_fd_ = std::max(max_fd_, fd);
  }

  void modify(int fd, uint32_t events, uint64_t token) override {
    registered(fd, "modify");
    set(fd, events, token);
  }

  void remove(int fd) override {
    registered(fd, "remove");
    set(fd, 0, 0);
    entries_[size_t(fd)].registered = false;
    --count_;
    while (max_fd_ >= 0 && !entries_[size_t(max_fd_)].registered) --max_fd_;
  }

  int wait(std::vector<PollEvent>& ready, int timeout_ms) override {
    ready.clear();
    timeval limit{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    fd_set readable, writable;
    int n;
    do {
      // Copied again after EINTR too: select may have left the sets half-written.
      readable = read_master_;
      writable = write_master_;
      // Linux writes the time left back into `limit`, so a retry waits only for the rest.
      n = select(max_fd_ + 1, &readable, &writable, nullptr, timeout_ms < 0 ? nullptr : &limit);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno("select");

    // n counts set bits, a descriptor readable and writable twice; stop once all are found.
    for (int fd = 0, bits_left = n; fd <= max_fd_ && bits_left > 0; ++fd) {
      const bool in = FD_ISSET(fd, &readable), out = FD_ISSET(fd, &writable);
      if (!in && !out) continue;
      bits_left -= int(in) + int(out);
      ready.push_back({fd, (in ? kReadable : 0u) | (out ? kWritable : 0u), entries_[size_t(fd)].token});
    }
    return static_cast<int>(ready.size());
  }

  size_t size() const override { return count_; }

 private:
  struct Entry {
    bool registered = false;
    uint64_t token = 0;
  };

  void registered(int fd, const char* what) const {
    if (fd < 0 || size_t(fd) >= entries_.size() || !entries_[size_t(fd)].registered) {
      throw std::system_error(ENOENT, std::generic_category(), fmt::format("select: {} {}", what, fd));
    }
  }

  void set(int fd, uint32_t events, uint64_t token) {
    if (events & kReadable) {
      FD_SET(fd, &read_master_);
    } else {
      FD_CLR(fd, &read_master_);
    }
    if (events & kWritable) {
      FD_SET(fd, &write_master_);
    } else {
      FD_CLR(fd, &write_master_);
    }
    entries_[size_t(fd)].token = token;
  }

  fd_set read_master_;
  fd_set write_master_;
  int max_fd_ = -1;
  size_t count_ = 0;
  std::vector<Entry> entries_;  // by descriptor
};

}  // namespace

std::string select_unsupported(const PollerOptions&, int64_t max_fd) {
  if (max_fd > FD_SETSIZE) {
    return fmt::format("select watches descriptors below FD_SETSIZE ({}) only; this needs descriptors up to {}",
                       FD_SETSIZE, max_fd - 1);
  }
  return {};
}

std::unique_ptr<Poller> make_select_poller(const PollerOptions& options) {
  return std::make_unique<SelectPoller>(options);
}

}  // namespace versus
