// The table of pollers and what they can do here.
#include "bench/poller.h"

#include <stdexcept>

#include <fmt/format.h>

#include "bench/poller_impl.h"

namespace versus {
namespace {

struct PollerEntry {
  std::string_view kind;
  std::unique_ptr<Poller> (*make)(const PollerOptions&);
  bool edge;  // can deliver edge-triggered readiness
};

const PollerEntry kPollers[] = {
    {"epoll", make_epoll_poller, true},
};

const PollerEntry* find(std::string_view kind) {
  for (const auto& p : kPollers) {
    if (p.kind == kind) return &p;
  }
  return nullptr;
}

}  // namespace

std::span<const std::string_view> poller_kinds() {
  static const std::vector<std::string_view> kinds = [] {
    std::vector<std::string_view> v;
    for (const auto& p : kPollers) v.push_back(p.kind);
    return v;
  }();
  return kinds;
}

std::string poller_unsupported(std::string_view kind, const PollerOptions& options, int64_t max_fd) {
  (void)max_fd;
  const PollerEntry* p = find(kind);
  if (!p) return fmt::format("no poller named '{}'", kind);
  if (options.edge_triggered && !p->edge) return fmt::format("{} has no edge-triggered mode", kind);
  return {};
}

std::unique_ptr<Poller> make_poller(std::string_view kind, const PollerOptions& options) {
  const PollerEntry* p = find(kind);
  if (!p) throw std::invalid_argument(fmt::format("no poller named '{}'", kind));
  return p->make(options);
}

}  // namespace versus
