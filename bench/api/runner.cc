#include "bench/api/runner.h"

#include <stdexcept>

#include <fmt/format.h>

namespace versus {

TaskLayout layout_of(const Scenario& scenario, const Cell& cell) {
  if (scenario.shape() == kMultiplexShape) return {int(scenario.watched_descriptors(cell)) + 1, 1, 0};
  const int group = scenario.shape() == kChannelShape ? 2 : 1;
  return {cell.workers * group, group, scenario.spawn_rounds(cell)};
}

RunOutcome Runner::run_task(TaskWork&, const Cell&, const TaskLayout&) const {
  throw std::logic_error(fmt::format("runner {} does not drive the task shape", name()));
}

RunOutcome Runner::run_conversations(ConversationWork&, const Cell&) const {
  throw std::logic_error(fmt::format("runner {} does not drive the conversation shape", name()));
}

RunOutcome Runner::run_multiplex(MultiplexWork&, const Cell&) const {
  throw std::logic_error(fmt::format("runner {} does not drive the multiplex shape", name()));
}

const Scenario* Catalog::scenario(std::string_view name) const {
  for (const Scenario* s : scenarios) {
    if (s->name() == name) return s;
  }
  return nullptr;
}

const Runner* Catalog::runner(std::string_view name) const {
  for (const Runner* r : runners) {
    if (r->name() == name) return r;
  }
  return nullptr;
}

}  // namespace versus
