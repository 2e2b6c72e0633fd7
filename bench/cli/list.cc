#include "bench/cli/commands.h"

#include <span>

#include <fmt/format.h>

#include "bench/harness/repetition.h"

namespace versus {

namespace {

void print_params(std::span<const ParamSpec> params) {
  for (const auto& p : params) {
    fmt::print("      {:<15} default {:<10} {}; {}\n", p.name, p.default_value, p.help, p.accepted());
  }
}

// The cell of `scenario` x `runner` with every default and one worker: enough to ask whether
// the pair can run here.
Cell default_cell(const Scenario& scenario, const Runner& runner) {
  Cell c;
  c.scenario = std::string(scenario.name());
  c.runner = std::string(runner.name());
  for (const auto& table : param_tables(scenario, runner)) {
    for (const auto& p : table) c.params.set(p.name, p.canonical(p.default_value));
  }
  return c;
}

}  // namespace

int list_command(const Catalog& catalog, const ListOptions& options) {
  fmt::print("Scenarios (what work is done):\n");
  for (const Scenario* s : catalog.scenarios) {
    if (s->internal() && !options.all) continue;
    fmt::print("  {:<10} [{}{}] {}\n", s->name(), shape_name(s->shape()), s->internal() ? ", internal" : "",
               s->summary());
    print_params(s->params());
  }
  fmt::print("\nRunners (how workers are made and how they wait):\n");
  for (const Runner* r : catalog.runners) {
    std::vector<std::string> shapes;
    for (const auto& sh : kShapes) {
      if (r->shapes() & sh.bit) shapes.emplace_back(sh.name);
    }
    fmt::print("  {:<10} [{}] {}\n", r->name(), join(shapes, ", "), r->summary());
    print_params(r->params());
  }
  fmt::print("\nEvery cell, whatever its scenario and runner:\n");
  print_params(cell_params());
  fmt::print("\nPairs (scenario x runner, with default parameters, here):\n");
  for (const Scenario* s : catalog.scenarios) {
    if (s->internal() && !options.all) continue;
    for (const Runner* r : catalog.runners) {
      const std::string why = why_unsupported(*s, *r, default_cell(*s, *r));
      fmt::print("  {:<10} {:<10} {}\n", s->name(), r->name(), why.empty() ? "supported" : "unsupported: " + why);
    }
  }
  return 0;
}

}  // namespace versus
