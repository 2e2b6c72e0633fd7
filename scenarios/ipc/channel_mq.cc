// POSIX message queues, one per direction. The names are unlinked as soon as both descriptors
// are open: the queues live on in the descriptors (inherited under fork) and no name can
// outlive the cell, whatever happens to it.
#include <fcntl.h>
#include <mqueue.h>
#include <sys/resource.h>

#include <cerrno>
#include <fstream>

#include <fmt/format.h>

#include "bench/sys/cell_names.h"
#include "scenarios/ipc/channel.h"

namespace versus::ipc {

namespace {

long read_sysctl(const char* path, long fallback) {
  std::ifstream in(path);
  long v = 0;
  return (in >> v) ? v : fallback;
}

long queue_depth() { return std::min(10L, read_sysctl("/proc/sys/fs/mqueue/msg_max", 10)); }

class MqEndpoint final : public Endpoint {
 public:
  MqEndpoint(mqd_t in, mqd_t out) : in_(in), out_(out) {}
  ~MqEndpoint() override {
    mq_close(in_);
    mq_close(out_);
  }

  void set_cooperative() override {
    for (mqd_t q : {in_, out_}) {
      mq_attr attr{};
      attr.mq_flags = O_NONBLOCK;
      if (mq_setattr(q, &attr, nullptr) < 0) throw_errno("mq_setattr(O_NONBLOCK)");
    }
  }

  void send(const std::byte* data, size_t n, WorkerContext& ctx) override {
    while (mq_send(out_, reinterpret_cast<const char*>(data), n, 0) < 0) {
      if (errno == EAGAIN) ctx.yield();
      else if (errno != EINTR) throw_errno("mq_send");
    }
  }

  void recv(std::byte* data, size_t n, WorkerContext& ctx) override {
    // mq_receive wants room for the largest message the queue allows.
    while (true) {
      const ssize_t r = mq_receive(in_, reinterpret_cast<char*>(data), n, nullptr);
      if (r == ssize_t(n)) return;
      if (r >= 0) throw std::runtime_error(fmt::format("mq_receive: a message of {} bytes, {} expected", r, n));
      if (errno == EAGAIN) ctx.yield();
      else if (errno != EINTR) throw_errno("mq_receive");
    }
  }

 private:
  mqd_t in_, out_;
};

// Creates a queue and opens it a second time, so that each endpoint owns its own descriptor.
std::pair<mqd_t, mqd_t> open_queue(const std::string& name, size_t msg_size) {
  mq_attr attr{};
  attr.mq_maxmsg = queue_depth();
  attr.mq_msgsize = long(msg_size);
  const mqd_t a = mq_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &attr);
  if (a == mqd_t(-1)) throw_errno("mq_open");
  const mqd_t b = mq_open(name.c_str(), O_RDWR | O_CLOEXEC);
  mq_unlink(name.c_str());
  if (b == mqd_t(-1)) {
    mq_close(a);
    throw_errno("mq_open");
  }
  return {a, b};
}

}  // namespace

std::string mq_unsupported(size_t msg_size, int pairs) {
  const long max_size = read_sysctl("/proc/sys/fs/mqueue/msgsize_max", 8192);
  if (long(msg_size) > max_size) {
    return fmt::format(
        "a POSIX message queue carries messages of at most {} bytes here "
        "(/proc/sys/fs/mqueue/msgsize_max); {} asked",
        max_size, msg_size);
  }
  const long max_queues = read_sysctl("/proc/sys/fs/mqueue/queues_max", 256);
  if (2L * pairs > max_queues) {
    return fmt::format("{} pairs need {} message queues; /proc/sys/fs/mqueue/queues_max is {}", pairs, 2 * pairs,
                       max_queues);
  }
  // Each queue counts against RLIMIT_MSGQUEUE at its full size; raise the soft limit if we may.
  const rlim_t need = rlim_t(2 * pairs) * rlim_t(queue_depth()) * rlim_t(msg_size + 64) + 65536;
  rlimit lim{};
  getrlimit(RLIMIT_MSGQUEUE, &lim);
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < need) {
    rlimit want = lim;
    want.rlim_cur = need;
    if (want.rlim_max != RLIM_INFINITY && want.rlim_max < need) want.rlim_max = need;  // root only
    if (setrlimit(RLIMIT_MSGQUEUE, &want) < 0) {
      return fmt::format(
          "{} pairs of queues of {} messages of {} bytes need {} bytes of RLIMIT_MSGQUEUE; the "
          "limit is {} and could not be raised",
          pairs, queue_depth(), msg_size, need, lim.rlim_cur);
    }
  }
  return {};
}

Channel make_mq_channel(size_t msg_size, int pair) {
  const auto there = open_queue(cell_ipc_name(fmt::format("ipc.{}.there", pair)), msg_size);
  const auto back = open_queue(cell_ipc_name(fmt::format("ipc.{}.back", pair)), msg_size);
  return {std::make_unique<MqEndpoint>(back.first, there.first),
          std::make_unique<MqEndpoint>(there.second, back.second)};
}

}  // namespace versus::ipc
