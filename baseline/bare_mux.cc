// Many socketpairs, few active, one thread noticing the ready ones: each round writes one byte on
// `active` pairs spread over the set (the offset moving each round, as the mux scenario does),
// then waits and reads until every byte is back. One function per method, written as that
// method's manual page suggests.
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

#if VERSUS_HAVE_LIBURING
#include <liburing.h>
#endif

#include "baseline/bare.h"
#include "baseline/bare_common.h"
#include "bench/sys/errors.h"
#include "bench/sys/fd.h"
#include "bench/sys/measure.h"

namespace baseline {
namespace {

struct Pairs {
  std::vector<versus::UniqueFd> read_end, write_end;
  int fds, active;

  Pairs(int fds_, int active_) : fds(fds_), active(active_) {
    for (int i = 0; i < fds; ++i) {
      int sv[2];
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0) versus::throw_errno("socketpair");
      read_end.emplace_back(sv[0]);
      write_end.emplace_back(sv[1]);
    }
  }
  void start_round(int r) {
    const int stride = fds / active, offset = int((uint64_t(r) * 2654435761u) % uint64_t(fds));
    const char byte = 1;
    for (int k = 0; k < active; ++k) send_all(write_end[size_t((offset + k * stride) % fds)].get(), &byte, 1, "write");
  }
  // Reads what descriptor i holds; returns the bytes read (0 when it had none yet).
  int drain(int i) {
    char buf[64];
    const ssize_t n = read(read_end[size_t(i)].get(), buf, sizeof buf);
    if (n > 0) return int(n);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    if (n == 0) throw std::runtime_error("a bare mux pair was closed");
    versus::throw_errno("read");
  }
};

// Runs `rounds` rounds, each waiting with `consume` (which returns the bytes it read) until the
// round's bytes are in; returns µs per round.
template <typename Consume>
double time_rounds(Pairs& pairs, int rounds, Consume consume) {
  const int64_t t0 = versus::now_ns();
  for (int r = 0; r < rounds; ++r) {
    pairs.start_round(r);
    for (int got = 0; got < pairs.active;) got += consume();
  }
  return double(versus::now_ns() - t0) / 1e3 / rounds;
}

double with_select(Pairs& p, int rounds) {
  const int highest = p.read_end.back().get();
  if (highest >= FD_SETSIZE) throw std::invalid_argument("select: descriptors past FD_SETSIZE");
  return time_rounds(p, rounds, [&] {
    fd_set readable;
    FD_ZERO(&readable);
    for (const auto& fd : p.read_end) FD_SET(fd.get(), &readable);
    int n = select(highest + 1, &readable, nullptr, nullptr, nullptr);
    if (n < 0 && errno != EINTR) versus::throw_errno("select");
    int got = 0;
    for (int i = 0; i < p.fds && n > 0; ++i) {
      if (FD_ISSET(p.read_end[size_t(i)].get(), &readable)) got += p.drain(i), --n;
    }
    return got;
  });
}

double with_poll(Pairs& p, int rounds) {
  std::vector<pollfd> watched;
  for (const auto& fd : p.read_end) watched.push_back({fd.get(), POLLIN, 0});
  return time_rounds(p, rounds, [&] {
    int n = poll(watched.data(), watched.size(), -1);
    if (n < 0 && errno != EINTR) versus::throw_errno("poll");
    int got = 0;
    for (int i = 0; i < p.fds && n > 0; ++i) {
      if (watched[size_t(i)].revents) got += p.drain(i), --n;
    }
    return got;
  });
}

double with_epoll(Pairs& p, int rounds) {
  versus::UniqueFd ep(epoll_create1(EPOLL_CLOEXEC));
  if (!ep) versus::throw_errno("epoll_create1");
  for (int i = 0; i < p.fds; ++i) {
    epoll_event ev{EPOLLIN, {.u32 = uint32_t(i)}};
    if (epoll_ctl(ep.get(), EPOLL_CTL_ADD, p.read_end[size_t(i)].get(), &ev) < 0) versus::throw_errno("epoll_ctl");
  }
  std::vector<epoll_event> ready(size_t(p.fds));
  return time_rounds(p, rounds, [&] {
    const int n = epoll_wait(ep.get(), ready.data(), p.fds, -1);
    if (n < 0 && errno != EINTR) versus::throw_errno("epoll_wait");
    int got = 0;
    for (int k = 0; k < n; ++k) got += p.drain(int(ready[size_t(k)].data.u32));
    return got;
  });
}

#if VERSUS_HAVE_LIBURING
double with_io_uring(Pairs& p, int rounds) {
  io_uring ring;
  if (const int err = io_uring_queue_init(unsigned(p.fds) + 1, &ring, 0); err < 0) {
    versus::throw_error(err, "io_uring_queue_init");
  }
  struct Exit {
    io_uring* ring;
    ~Exit() { io_uring_queue_exit(ring); }
  } exit{&ring};
  for (int i = 0; i < p.fds; ++i) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    if (!sqe) throw std::runtime_error("io_uring_get_sqe: the submission queue is full");
    io_uring_prep_poll_multishot(sqe, p.read_end[size_t(i)].get(), POLLIN);
    io_uring_sqe_set_data64(sqe, uint64_t(i));
  }
  if (const int err = io_uring_submit(&ring); err < 0) versus::throw_error(err, "io_uring_submit");
  return time_rounds(p, rounds, [&] {
    io_uring_cqe* cqe;
    if (const int err = io_uring_wait_cqe(&ring, &cqe); err < 0 && err != -EINTR) {
      versus::throw_error(err, "io_uring_wait_cqe");
    }
    int got = 0;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      if (cqe->res < 0) versus::throw_error(cqe->res, "multishot poll");
      if (!(cqe->flags & IORING_CQE_F_MORE)) throw std::runtime_error("a multishot poll request ended");
      got += p.drain(int(io_uring_cqe_get_data64(cqe)));
      ++seen;
    }
    io_uring_cq_advance(&ring, seen);
    return got;
  });
}
#endif

}  // namespace

const std::vector<std::string_view>& mux_methods() {
  static const std::vector<std::string_view> methods = {"select", "poll", "epoll",
#if VERSUS_HAVE_LIBURING
                                                        "io_uring"
#endif
  };
  return methods;
}

double mux_round_us(const Cpus& cpus, std::string_view method, int fds, int active, int rounds) {
  if (active < 1 || active > fds) throw std::invalid_argument("mux: active must be from 1 to fds");
  pin_end(cpus, 0);
  Pairs pairs(fds, active);
  if (method == "select") return with_select(pairs, rounds);
  if (method == "poll") return with_poll(pairs, rounds);
  if (method == "epoll") return with_epoll(pairs, rounds);
#if VERSUS_HAVE_LIBURING
  if (method == "io_uring") return with_io_uring(pairs, rounds);
#endif
  throw std::invalid_argument("mux method '" + std::string(method) + "': accepted are select, poll, epoll" +
                              (mux_methods().size() > 3 ? ", io_uring" : ""));
}

}  // namespace baseline
