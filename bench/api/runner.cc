#include "bench/api/runner.h"

#include <stdexcept>

#include <fmt/format.h>

namespace versus {

TaskLayout layout_of(const Scenario& scenario, const Cell& cell) {
  if (scenario.shape() == kMultiplexShape) return {int(scenario.watched_descriptors(cell)) + 1, 1, 0};
  const int group = scenario.shape() == kChannelShape ? 2 : 1;
  return {cell.workers * group, group, scenario.spawn_rounds(cell)};
}

std::array<std::span<const ParamSpec>, 3> param_tables(const Scenario& scenario, const Runner& runner) {
  return {scenario.params(), runner.params(), cell_params()};
}

PlacedUnits Runner::placed_units(const Scenario& scenario, const Cell& cell) const {
  const TaskLayout layout = layout_of(scenario, cell);
  return {layout.workers, layout.group};
}

PlacementPlan placement_plan(const Scenario& scenario, const Runner& runner, const Cell& cell) {
  const PlacedUnits placed = runner.placed_units(scenario, cell);
  return plan_placement(Topology::here(), parse_placement(cell.params.str("placement")), placed.units, placed.group);
}

void bind_unit(const Cell& cell, int unit) {
  if (cell.unit_cpus.empty()) return;
  const int cpu = cell.unit_cpus[size_t(unit) % cell.unit_cpus.size()];
  const Topology& topology = Topology::here();
  topology.bind_thread(cpu);
  // Read back: a row's cpus column is a checked fact, not what was asked for.
  if (const std::vector<int> now = topology.thread_binding(); now != std::vector<int>{cpu}) {
    throw std::runtime_error(
        fmt::format("unit {} was bound to CPU {} but may run on CPUs {}", unit, cpu, format_cpu_list(now)));
  }
}

ScopedBinding::ScopedBinding(const Cell& cell, std::optional<int> unit) {
  if (cell.unit_cpus.empty()) return;
  const Topology& topology = Topology::here();
  before_ = topology.thread_binding();
  if (unit) {
    bind_unit(cell, *unit);
    return;
  }
  topology.bind_thread(PlacementPlan{cell.unit_cpus, {}}.cpus());
}

ScopedBinding::~ScopedBinding() {
  if (before_.empty()) return;
  try {
    Topology::here().bind_thread(before_);
  } catch (const std::exception&) {
    // The thread keeps the cell's CPUs: only this process's later cells could notice.
  }
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
