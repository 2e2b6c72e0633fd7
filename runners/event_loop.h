// The readiness-loop runners (select, poll, epoll): each loop thread drives many non-blocking
// connections as state machines over one poller (bench/poller/poller.h). The runners differ only in
// the poller and its options, so they share this class; each has its own small file that names
// it and declares its parameters.
#pragma once

#include <span>
#include <string_view>

#include "bench/poller/poller.h"
#include "bench/api/runner.h"

namespace versus {

class PollerLoopRunner : public Runner {
 public:
  PollerLoopRunner(std::string_view kind, std::string_view summary, std::span<const ParamSpec> params)
      : kind_(kind), summary_(summary), params_(params) {}

  std::string_view name() const override { return kind_; }
  std::string_view summary() const override { return summary_; }
  unsigned shapes() const override { return kConversationShape | kMultiplexShape; }
  std::span<const ParamSpec> params() const override { return params_; }
  std::string unsupported(const Scenario& scenario, const Cell& cell) const override;
  PlacedUnits placed_units(const Scenario& scenario, const Cell& cell) const override;
  RunOutcome run_conversations(ConversationWork& work, const Cell& cell) const override;
  RunOutcome run_multiplex(MultiplexWork& work, const Cell& cell) const override;

 private:
  PollerOptions options_for(const Cell& cell, int64_t descriptors_per_loop) const;

  std::string_view kind_;
  std::string_view summary_;
  std::span<const ParamSpec> params_;
};

// The `loop_threads` parameter of every loop runner.
ParamSpec loop_threads_param();

// Loop threads for a cell: `loop_threads`, but never more than there are connections.
int loop_threads_for(const Cell& cell);

// What a loop runner binds: its loop threads, each a worker of the pthread runner's task
// (run_conversations_on_loops), or the one loop of the multiplex shape.
PlacedUnits loop_units(const Scenario& scenario, const Cell& cell);

// The highest descriptor number a cell may reach: its connections, or both ends of each of its
// multiplexed pairs, and what the process holds besides (standard streams, the server's, the
// harness's pipes).
int64_t highest_fd_for(const Scenario& scenario, const Cell& cell);

}  // namespace versus
