// poll(2): the interest set is one pollfd array in user space that the kernel reads whole at
// every wait, and the answer is found by scanning it: the cost grows with the registered
// descriptors, not with the ready ones. Unlike select, any descriptor number works.
#include <poll.h>

#include <cerrno>
#include <system_error>

#include <fmt/format.h>

#include "bench/poller/backends.h"
#include "bench/sys/errors.h"

namespace versus {
namespace {

class PollPoller final : public Poller {
 public:
  explicit PollPoller(const PollerOptions& options) {
    fds_.reserve(options.capacity);
    tokens_.reserve(options.capacity);
  }

  std::string_view name() const override { return "poll"; }

  void add(int fd, uint32_t events, uint64_t token) override {
    if (fd < 0) throw std::system_error(EBADF, std::generic_category(), fmt::format("poll: add {}", fd));
    if (size_t(fd) >= index_.size()) index_.resize(size_t(fd) + 1, kNone);
    if (index_[size_t(fd)] != kNone) {
      throw std::system_error(EEXIST, std::generic_category(), fmt::format("poll: add {}", fd));
    }
    index_[size_t(fd)] = fds_.size();
    fds_.push_back({fd, short(to_poll_mask(events)), 0});
    tokens_.push_back(token);
  }

  void modify(int fd, uint32_t events, uint64_t token) override {
    const size_t i = slot(fd, "modify");
    fds_[i].events = short(to_poll_mask(events));
    tokens_[i] = token;
  }

  // The last entry takes the removed one's place, so removing costs the same at any size.
  void remove(int fd) override {
    const size_t i = slot(fd, "remove");
    const size_t last = fds_.size() - 1;
    if (i != last) {
      fds_[i] = fds_[last];
      tokens_[i] = tokens_[last];
      index_[size_t(fds_[i].fd)] = i;
    }
    fds_.pop_back();
    tokens_.pop_back();
    index_[size_t(fd)] = kNone;
  }

  int wait(std::vector<PollEvent>& ready, int timeout_ms) override {
    ready.clear();
    const WaitLimit limit(timeout_ms);
    int n;
    do {
      n = poll(fds_.data(), fds_.size(), limit.remaining_ms());
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno("poll");

    for (size_t i = 0; i < fds_.size() && int(ready.size()) < n; ++i) {
      if (fds_[i].revents) ready.push_back({fds_[i].fd, from_poll_mask(unsigned(fds_[i].revents)), tokens_[i]});
    }
    return n;
  }

  size_t size() const override { return fds_.size(); }

 private:
  static constexpr size_t kNone = SIZE_MAX;

  size_t slot(int fd, const char* what) const {
    if (fd < 0 || size_t(fd) >= index_.size() || index_[size_t(fd)] == kNone) {
      throw std::system_error(ENOENT, std::generic_category(), fmt::format("poll: {} {}", what, fd));
    }
    return index_[size_t(fd)];
  }

  std::vector<pollfd> fds_;       // what the kernel reads, registered descriptors only
  std::vector<uint64_t> tokens_;  // parallel to fds_
  std::vector<size_t> index_;     // by descriptor: its place in fds_, or kNone
};

}  // namespace

std::unique_ptr<Poller> make_poll_poller(const PollerOptions& options) { return std::make_unique<PollPoller>(options); }

}  // namespace versus
