// Workers made and ended, and hand-overs between fibers: fork, pthread_create, Boost.Context.
// Also memcpy, the reference a shared-memory stream is set against.
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/context/fiber.hpp>
#include <boost/context/fixedsize_stack.hpp>
#include <boost/context/pooled_fixedsize_stack.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>

#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "baseline/bare.h"
#include "baseline/bare_common.h"
#include "bench/sys/errors.h"
#include "bench/sys/measure.h"

namespace ctx = boost::context;

namespace baseline {
namespace {

double per_item(int64_t t0, int count, double scale) { return double(versus::now_ns() - t0) / scale / count; }

void* returns_at_once(void*) { return nullptr; }

template <typename Allocator>
double time_fibers(Allocator allocator, int count) {
  int ran = 0;
  const int64_t t0 = versus::now_ns();
  for (int i = 0; i < count; ++i) {
    ctx::fiber f(std::allocator_arg, allocator, [&](ctx::fiber&& caller) {
      ++ran;
      return std::move(caller);
    });
    f = std::move(f).resume();
  }
  const double ns = per_item(t0, count, 1.0);
  if (ran != count) throw std::logic_error("a bare fiber did not run");
  return ns;
}

}  // namespace

double fork_wait_us(const Cpus& cpus, int count) {
  pin_end(cpus, 0);
  const int64_t t0 = versus::now_ns();
  for (int i = 0; i < count; ++i) {
    const pid_t pid = fork();
    if (pid < 0) versus::throw_errno("fork");
    if (pid == 0) _exit(0);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) versus::throw_errno("waitpid");
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("a bare forked child failed");
  }
  return per_item(t0, count, 1e3);
}

double pthread_create_join_us(const Cpus& cpus, int count) {
  pin_end(cpus, 0);
  const int64_t t0 = versus::now_ns();
  for (int i = 0; i < count; ++i) {
    pthread_t thread;
    if (const int err = pthread_create(&thread, nullptr, returns_at_once, nullptr); err != 0) {
      versus::throw_error(err, "pthread_create");
    }
    if (const int err = pthread_join(thread, nullptr); err != 0) versus::throw_error(err, "pthread_join");
  }
  return per_item(t0, count, 1e3);
}

double fiber_create_ns(const Cpus& cpus, std::string_view stack, size_t stack_bytes, int count) {
  pin_end(cpus, 0);
  if (stack == "fixed") return time_fibers(ctx::fixedsize_stack(stack_bytes), count);
  if (stack == "protected") return time_fibers(ctx::protected_fixedsize_stack(stack_bytes), count);
  if (stack == "pooled") return time_fibers(ctx::pooled_fixedsize_stack(stack_bytes), count);
  throw std::invalid_argument("fiber stack '" + std::string(stack) + "': accepted are fixed, protected, pooled");
}

double fiber_switch_ns(const Cpus& cpus, int count) {
  pin_end(cpus, 0);
  // The peer hands straight back each time: every resume() is one hand-over.
  int switches = 0;
  ctx::fiber peer(std::allocator_arg, ctx::fixedsize_stack(64 * 1024), [&](ctx::fiber&& back) {
    for (;;) {
      ++switches;
      back = std::move(back).resume();
    }
    return std::move(back);
  });
  const int pairs = count / 2;
  const int64_t t0 = versus::now_ns();
  for (int i = 0; i < pairs; ++i) peer = std::move(peer).resume();
  const double ns = per_item(t0, 2 * pairs, 1.0);
  if (switches != pairs) throw std::logic_error("the bare fiber pair lost a switch");
  return ns;  // `peer` is unwound by Boost.Context as it goes
}

double memcpy_bytes_per_s(const Cpus& cpus, size_t bytes, int passes) {
  pin_end(cpus, 0);
  std::vector<char> from(bytes, 1), to(bytes, 0);
  std::memcpy(to.data(), from.data(), bytes);  // every page touched before the clock starts
  const int64_t t0 = versus::now_ns();
  for (int p = 0; p < passes; ++p) {
    from[size_t(p) % bytes] = char(p);
    std::memcpy(to.data(), from.data(), bytes);
  }
  const double s = double(versus::now_ns() - t0) / 1e9;
  if (to[size_t(passes - 1) % bytes] != char(passes - 1)) throw std::logic_error("memcpy copied the wrong bytes");
  return double(bytes) * passes / s;
}

}  // namespace baseline
