// The table of pollers and what they can do here.
#include "bench/poller/poller.h"

#include <poll.h>

#include <stdexcept>

#include <fmt/format.h>

#include "bench/poller/backends.h"

namespace versus {
namespace {

struct PollerEntry {
  std::string_view kind;
  std::unique_ptr<Poller> (*make)(const PollerOptions&);
  bool edge;       // can deliver edge-triggered readiness
  bool multishot;  // has PollerOptions::multishot
  // Limits of its own (descriptor numbers, what the kernel allows), or null when it has none.
  std::string (*unsupported)(const PollerOptions&, int64_t max_fd);
};

const PollerEntry kPollers[] = {
    {"select", make_select_poller, false, false, select_unsupported},
    {"poll", make_poll_poller, false, false, nullptr},
    {"epoll", make_epoll_poller, true, false, nullptr},
#ifdef VERSUS_HAVE_LIBURING
    {"io_uring", make_uring_poller, false, true, uring_unsupported},
#endif
};

const PollerEntry* find(std::string_view kind) {
  for (const auto& p : kPollers) {
    if (p.kind == kind) return &p;
  }
  return nullptr;
}

std::string not_here(std::string_view kind) {
#ifndef VERSUS_HAVE_LIBURING
  if (kind == "io_uring") return "io_uring: built without liburing";
#endif
  return fmt::format("no poller named '{}'", kind);
}

// What the table alone says against these options.
std::string option_refused(const PollerEntry& p, const PollerOptions& options) {
  if (options.edge_triggered && !p.edge) return fmt::format("{} has no edge-triggered mode", p.kind);
  if (options.multishot && !p.multishot) return fmt::format("{} has no multishot mode", p.kind);
  return {};
}

}  // namespace

unsigned to_poll_mask(uint32_t events) {
  unsigned e = 0;
  if (events & kReadable) e |= POLLIN | POLLRDHUP;
  if (events & kWritable) e |= POLLOUT;
  return e;
}

uint32_t from_poll_mask(unsigned mask) {
  uint32_t events = 0;
  if (mask & POLLIN) events |= kReadable;
  if (mask & POLLOUT) events |= kWritable;
  if (mask & (POLLHUP | POLLRDHUP)) events |= kHangup;
  // POLLNVAL: the descriptor was closed while still registered.
  if (mask & (POLLERR | POLLNVAL)) events |= kError;
  return events;
}

std::span<const std::string_view> poller_kinds() {
  static const std::vector<std::string_view> kinds = [] {
    std::vector<std::string_view> v;
    for (const auto& p : kPollers) v.push_back(p.kind);
    return v;
  }();
  return kinds;
}

std::string poller_unsupported(std::string_view kind, const PollerOptions& options, int64_t max_fd) {
  const PollerEntry* p = find(kind);
  if (!p) return not_here(kind);
  if (std::string why = option_refused(*p, options); !why.empty()) return why;
  return p->unsupported ? p->unsupported(options, max_fd) : std::string();
}

std::unique_ptr<Poller> make_poller(std::string_view kind, const PollerOptions& options) {
  const PollerEntry* p = find(kind);
  if (!p) throw std::invalid_argument(not_here(kind));
  // Silently level-triggered when edge triggering was asked for would measure the wrong thing.
  if (std::string why = option_refused(*p, options); !why.empty()) throw std::invalid_argument(why);
  return p->make(options);
}

}  // namespace versus
