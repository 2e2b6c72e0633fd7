#include "baseline/bare_common.h"

#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "bench/sys/errors.h"
#include "bench/sys/fd.h"
#include "bench/sys/placement.h"

namespace baseline {

void pin_end(const Cpus& cpus, int end) {
  if (cpus.empty()) return;
  versus::Topology::here().bind_thread(cpus[size_t(end) % cpus.size()]);
}

Peer::Peer(const Cpus& cpus, const std::function<void()>& body)
    : child_(versus::Child::run([&](int) {
        pin_end(cpus, 1);
        body();
        return 0;
      })) {}

void Peer::finish() {
  const versus::ChildEnd end = child_.wait();
  if (end.how != versus::ChildEnd::How::kExited || end.code() != 0) {
    throw std::runtime_error("the bare peer process " + end.describe());
  }
}

void send_all(int fd, const void* data, size_t size, const char* what) {
  if (!versus::write_all(fd, {static_cast<const char*>(data), size})) versus::throw_errno(what);
}

void read_all(int fd, void* data, size_t size, const char* what) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) versus::throw_errno(what);
    if (n == 0) throw std::runtime_error(std::string(what) + ": the peer closed its end early");
    p += n;
    size -= size_t(n);
  }
}

}  // namespace baseline
