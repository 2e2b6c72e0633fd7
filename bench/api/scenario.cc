#include "bench/api/scenario.h"

#include <poll.h>
#include <time.h>

#include <cerrno>
#include <system_error>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "bench/api/conversation.h"
#include "bench/api/multiplex.h"
#include "bench/poller/poller.h"
#include "bench/sys/errors.h"

namespace versus {

const char* shape_name(Shape s) {
  for (const auto& info : kShapes) {
    if (info.bit == s) return info.name;
  }
  return "?";
}

void WorkerResult::fail(std::string_view why) {
  failed = 1;
  const size_t n = std::min(why.size(), sizeof(message) - 1);
  std::memcpy(message, why.data(), n);
  message[n] = '\0';
}

uint64_t Work::answer(std::span<const WorkerResult> results) const {
  uint64_t sum = 0;
  for (const auto& r : results) sum += r.value;
  return sum;
}

std::unique_ptr<TaskWork> Scenario::make_task(const Cell&) const {
  throw std::logic_error(fmt::format("scenario {} has no task shape", name()));
}

std::unique_ptr<ConversationWork> Scenario::make_conversations(const Cell&) const {
  throw std::logic_error(fmt::format("scenario {} has no conversation shape", name()));
}

std::unique_ptr<MultiplexWork> Scenario::make_multiplex(const Cell&) const {
  throw std::logic_error(fmt::format("scenario {} has no multiplex shape", name()));
}

void WorkerContext::wait_for(int fd, uint32_t events) {
  pollfd p{fd, 0, 0};
  if (events & kReadable) p.events |= POLLIN;
  if (events & kWritable) p.events |= POLLOUT;
  while (poll(&p, 1, -1) < 0) {
    if (errno != EINTR) throw_errno("poll");
  }
}

void WorkerContext::sleep_until(int64_t due_ns) {
  const timespec at{time_t(due_ns / 1000000000), long(due_ns % 1000000000)};
  // clock_nanosleep returns the error rather than setting errno.
  while (const int err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr)) {
    if (err != EINTR) throw_error(err, "clock_nanosleep");
  }
}

}  // namespace versus
