// `versus run ... --dry-run`: the cells a run would measure, what each is expected to take here
// and which cannot run here and why, with nothing run and nothing written.
#include <map>

#include <fmt/format.h>

#include "bench/cli/commands.h"
#include "bench/harness/estimate.h"
#include "bench/harness/progress.h"

namespace versus {

void print_dry_run(const std::vector<Cell>& cells, const Catalog& catalog) {
  struct Tally {
    int cells = 0, unsupported = 0, repetitions = 0;
    double seconds = 0;
  };
  std::map<std::string, Tally> by_scenario;
  Tally all;
  fmt::print("versus: dry run; nothing is run or written\n");
  for (const Cell& c : cells) {
    const CellEstimate e = estimate_cell(catalog, c);
    Tally& t = by_scenario[c.scenario];
    for (Tally* x : {&t, &all}) {
      ++x->cells;
      x->unsupported += !e.unsupported.empty();
      x->repetitions += c.repetitions;
      x->seconds += e.seconds;
    }
    if (e.unsupported.empty()) {
      fmt::print("  {}  {} x {:.3g} s{}\n", c.id(), c.repetitions, e.repetition_s,
                 e.before_first_s > 0 ? fmt::format(" + {:.2g} s before", e.before_first_s) : std::string());
    } else {
      fmt::print("  {}  unsupported here: {}\n", c.id(), e.unsupported);
    }
  }
  fmt::print("\n{:<10} {:>6} {:>12} {:>12} {:>10}\n", "scenario", "cells", "unsupported", "repetitions", "about");
  for (const auto& [name, t] : by_scenario) {
    fmt::print("{:<10} {:>6} {:>12} {:>12} {:>10}\n", name, t.cells, t.unsupported, t.repetitions,
               duration_text(t.seconds));
  }
  fmt::print("{:<10} {:>6} {:>12} {:>12} {:>10}\n", "in all", all.cells, all.unsupported, all.repetitions,
             duration_text(all.seconds));
}

}  // namespace versus
