#include "bench/harness/work_sizing.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "bench/sys/placement.h"

namespace versus {

namespace {

constexpr int kMaxProbes = 5;
// A probe shorter than this share of the target is too short to extrapolate from: timer
// resolution, start-up and a scheduler tick weigh too much in it.
constexpr double kShortestUseful = 0.1;
// The first probe is aimed at this share of the target by the scenario's model, which may be off
// several times either way.
constexpr double kFirstProbe = 0.2;
// Rounding up to 1, 2, 3 or 5 times a power of ten overshoots by 1.4 on the average (at most 2).
constexpr double kTypicalOvershoot = 1.4;

const ParamSpec& spec_of(const Scenario& scenario, const std::string& name) {
  for (const auto& p : scenario.params()) {
    if (p.name == name) return p;
  }
  throw std::logic_error(fmt::format("{}: work parameter '{}' is not among its parameters", scenario.name(), name));
}

Cell with_value(const Cell& cell, int64_t value) {
  Cell c = cell;
  c.params.set(c.sized_param, std::to_string(value));
  return c;
}

}  // namespace

int usable_cpus(const Scenario& scenario, const Runner& runner, const Cell& cell) {
  if (!runner.concurrent()) return 1;
  int cpus = static_cast<int>(Topology::here().cpus().size());
  try {
    const PlacementPlan plan = placement_plan(scenario, runner, cell);
    if (!plan.cpu_of.empty()) cpus = static_cast<int>(plan.cpus().size());
  } catch (const UsageError&) {
    // A placement this machine cannot make: the cell is unsupported, and the count is moot.
  }
  return std::max(1, std::min(cell.workers, cpus));
}

void mark_for_sizing(Cell& cell, const Scenario& scenario, double min_time_s,
                     const std::function<bool(const std::string&)>& given) {
  if (min_time_s <= 0) return;
  const std::string name(scenario.work_param(cell));
  if (name.empty() || given(name)) return;
  cell.sized_param = name;
  cell.min_time_s = min_time_s;
}

int64_t scaled_work(int64_t value, double measured_s, double target_s, int64_t lowest, int64_t highest) {
  const double wanted = double(value) * target_s / std::max(measured_s, 1e-9);
  if (!(wanted < double(highest))) return highest;
  int64_t step = 1;
  while (double(step) * 10 <= wanted && step < INT64_MAX / 100) step *= 10;
  int64_t out = 10 * step;
  for (int m : {1, 2, 3, 5}) {
    if (double(m * step) >= wanted) {
      out = m * step;
      break;
    }
  }
  return std::clamp(out, lowest, highest);
}

WorkSizer::WorkSizer(const Catalog& catalog, const std::vector<Cell>& cells) : catalog_(catalog) {
  for (const Cell& cell : cells) {
    if (cell.sized_param.empty()) continue;
    const Scenario& scenario = *catalog.scenario(cell.scenario);
    Group& g = groups_[group_key(cell)];
    g.shared = scenario.strong_scaling();
    if (g.shared) g.cpus = std::max(g.cpus, usable_cpus(scenario, *catalog.runner(cell.runner), cell));
  }
}

std::string WorkSizer::group_key(const Cell& cell) const {
  const Scenario& scenario = *catalog_.scenario(cell.scenario);
  if (!scenario.strong_scaling()) return cell.id();
  // The scenario's own parameters and the cell's (placement): the runner's and the worker count
  // do not change the work. Runners far slower at it (an interpreter) get a work of their own.
  Params work;
  for (const auto& table : {scenario.params(), cell_params()}) {
    for (const auto& p : table) {
      if (p.name != cell.sized_param) work.set(p.name, cell.params.str(p.name));
    }
  }
  return fmt::format("{}/{}/slowdown:{}", cell.scenario, work.canonical(),
                     catalog_.runner(cell.runner)->slowdown());
}

WorkSizer::Sized WorkSizer::size(const Cell& cell, const Probe& probe) {
  Sized out{cell, 0, {}};
  if (cell.sized_param.empty()) return out;
  Group& g = groups_[group_key(cell)];
  if (!g.chosen) choose(g, cell, probe, out.probes);
  out.cell = with_value(cell, g.value);
  out.note = g.note;
  return out;
}

void WorkSizer::choose(Group& g, const Cell& cell, const Probe& probe, int& probes) {
  const Scenario& scenario = *catalog_.scenario(cell.scenario);
  const Runner& runner = *catalog_.runner(cell.runner);
  const ParamSpec& spec = spec_of(scenario, cell.sized_param);
  const int64_t given = cell.params.integer(cell.sized_param);
  const double target = cell.min_time_s;
  g.chosen = true;
  g.value = given;
  // What one repetition at `value` lasts, as the group counts it: a shared work by its CPU time
  // spread over the group's CPUs (the fastest cell), any other by its wall time.
  const auto lasts = [&](const Record& r) {
    if (g.shared && r.cpu_user_s && r.cpu_sys_s) return (*r.cpu_user_s + *r.cpu_sys_s) / g.cpus;
    return *r.wall_s;
  };
  const double modelled = scenario.expected_seconds(cell) * runner.slowdown() / (g.shared ? g.cpus : 1);
  int64_t value = scaled_work(given, modelled, target * kFirstProbe, spec.min, spec.max);
  for (int i = 0; i < kMaxProbes; ++i) {
    const Record r = probe(with_value(cell, value));
    ++probes;
    if (r.status == Status::kUnsupported) {  // its row says why; another cell of the group sizes it
      g.chosen = false;
      return;
    }
    if (r.status != Status::kOk || !r.wall_s) {
      g.note = fmt::format("work not sized: the probe at {}={} ended {}{}; run at the default", cell.sized_param,
                           value, status_name(r.status), r.message.empty() ? "" : " (" + r.message + ")");
      return;
    }
    // Something else took the probe's CPUs: its time says little of the work's. Try again as is.
    if (r.interfered && i + 1 < kMaxProbes) continue;
    const double t = lasts(r);
    if (t >= target * kShortestUseful || value >= spec.max || i + 1 == kMaxProbes) {
      g.value = scaled_work(value, t, target, spec.min, spec.max);
      return;
    }
    value = std::min(spec.max, value * 10);
  }
}

double WorkSizer::expected_repetition_s(const Catalog& catalog, const Cell& cell) {
  const Scenario& scenario = *catalog.scenario(cell.scenario);
  const Runner& runner = *catalog.runner(cell.runner);
  double s = cell.min_time_s * kTypicalOvershoot;
  if (scenario.strong_scaling()) {
    const int all = static_cast<int>(Topology::here().cpus().size());
    s *= double(all) / usable_cpus(scenario, runner, cell);
  }
  // What the repetition does whatever its size (keys loaded, a warm-up exchange): the model's
  // time for the smallest work.
  const Cell smallest = with_value(cell, spec_of(scenario, cell.sized_param).min);
  return s + scenario.expected_seconds(smallest) * runner.slowdown();
}

}  // namespace versus
