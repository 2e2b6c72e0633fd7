// epoll: the kernel keeps the interest set; a wait costs by the ready descriptors only.
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "bench/poller/backends.h"
#include "bench/sys/errors.h"

namespace versus {
namespace {

uint32_t to_epoll(uint32_t events, bool edge) {
  uint32_t e = 0;
  if (events & kReadable) e |= EPOLLIN | EPOLLRDHUP;
  if (events & kWritable) e |= EPOLLOUT;
  if (edge) e |= EPOLLET;
  return e;
}

uint32_t from_epoll(uint32_t e) {
  uint32_t events = 0;
  if (e & EPOLLIN) events |= kReadable;
  if (e & EPOLLOUT) events |= kWritable;
  if (e & (EPOLLHUP | EPOLLRDHUP)) events |= kHangup;
  if (e & EPOLLERR) events |= kError;
  return events;
}

class EpollPoller final : public Poller {
 public:
  explicit EpollPoller(const PollerOptions& options) : edge_(options.edge_triggered) {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) throw_errno("epoll_create1");
    batch_.resize(options.capacity ? options.capacity : 1);
  }
  ~EpollPoller() override { close(epfd_); }

  std::string_view name() const override { return "epoll"; }

  void add(int fd, uint32_t events, uint64_t token) override {
    control(EPOLL_CTL_ADD, fd, events, token);
    ++count_;
    if (count_ > batch_.size()) batch_.resize(count_);
  }
  void modify(int fd, uint32_t events, uint64_t token) override { control(EPOLL_CTL_MOD, fd, events, token); }
  void remove(int fd) override {
    if (epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr) < 0) {
      throw_errno("epoll_ctl(EPOLL_CTL_DEL)");
    }
    --count_;
  }

  int wait(std::vector<PollEvent>& ready, int timeout_ms) override {
    ready.clear();
    const WaitLimit limit(timeout_ms);
    int n;
    do {
      n = epoll_wait(epfd_, batch_.data(), static_cast<int>(batch_.size()), limit.remaining_ms());
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno("epoll_wait");
    for (int i = 0; i < n; ++i) {
      const int fd = batch_[i].data.fd;
      ready.push_back({fd, from_epoll(batch_[i].events), tokens_[size_t(fd)]});
    }
    return n;
  }

  size_t size() const override { return count_; }

 private:
  void control(int op, int fd, uint32_t events, uint64_t token) {
    epoll_event ev{};
    ev.events = to_epoll(events, edge_);
    ev.data.fd = fd;
    if (epoll_ctl(epfd_, op, fd, &ev) < 0) {
      throw_errno(op == EPOLL_CTL_ADD ? "epoll_ctl(EPOLL_CTL_ADD)" : "epoll_ctl(EPOLL_CTL_MOD)");
    }
    if (size_t(fd) >= tokens_.size()) tokens_.resize(size_t(fd) + 1);
    tokens_[size_t(fd)] = token;
  }

  int epfd_ = -1;
  bool edge_;
  size_t count_ = 0;
  std::vector<epoll_event> batch_;
  std::vector<uint64_t> tokens_;  // by descriptor
};

}  // namespace

std::unique_ptr<Poller> make_epoll_poller(const PollerOptions& options) {
  return std::make_unique<EpollPoller>(options);
}

}  // namespace versus
