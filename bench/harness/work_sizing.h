// Work sized by time (--min-time S), as Google Benchmark grows its iteration count until a run
// lasts min_time: a cell whose work-size parameter (Scenario::work_param) was left at its default
// gets a value chosen here so that one repetition lasts about S on this machine. Fixed counts
// cannot serve every box: a cpu cell at 64 workers on 64 cores lasts milliseconds, too short to
// time, while a large-message round-trip cell on two cores lasts tens of seconds.
//
// The value is found by probe repetitions, isolated repetitions like the measured ones whose rows
// are discarded: the first sized so the scenario's model expects S/5, then, while a probe lasts
// under S/10 (too short to extrapolate from), ten times larger, and a probe whose CPUs something
// else took (bench/sys/interference.h) again as it was; from a probe long enough the value
// is scaled to S and rounded up to 1, 2, 3 or 5 times a power of ten, so that the same machine
// picks the same value from run to run. Probes stand in for the cell's warm-ups.
//
// Cells that a claim compares by their time keep the same work: the cells of a scenario that
// splits one total work over its workers (Scenario::strong_scaling) share one value across
// runners of like speed and worker counts, sized by CPU time so that the fastest of them, the
// work spread over every CPU it may use, still lasts S.
#pragma once

#include "bench/harness/layer.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bench/api/cell.h"
#include "bench/api/runner.h"

namespace versus {

// Marks `cell` for sizing when `min_time_s` > 0, its scenario names a work-size parameter for it,
// and the user did not give that parameter (`given` says whether they did).
void mark_for_sizing(Cell& cell, const Scenario& scenario, double min_time_s,
                     const std::function<bool(const std::string&)>& given);

// How many CPUs `cell` can keep busy at once: its workers, bounded by the CPUs its placement
// allows; 1 for a runner that runs them one after another.
int usable_cpus(const Scenario& scenario, const Runner& runner, const Cell& cell);

// The value a probe's measure suggests: `value` scaled by target/measured, rounded up to 1, 2, 3
// or 5 times a power of ten, within [lowest, highest].
int64_t scaled_work(int64_t value, double measured_s, double target_s, int64_t lowest, int64_t highest);

class WorkSizer {
 public:
  // Runs one isolated repetition of a cell (repetition 0) and gives its row.
  using Probe = std::function<Record(const Cell&)>;

  // `cells`: every cell of the run, so that a group sharing one total work knows its widest cell.
  WorkSizer(const Catalog& catalog, const std::vector<Cell>& cells);

  // The cell to run: its sized parameter set to its group's value, chosen first by probing this
  // cell when the group has none. `probes` is set to the probes run here. A group whose probe was
  // not ok keeps the default value; `note` says why, for each of its rows.
  struct Sized {
    Cell cell;
    int probes = 0;
    std::string note;
  };
  Sized size(const Cell& cell, const Probe& probe);

  // About how long one repetition of a sized cell lasts, for estimates: S, times the group's
  // CPUs over this cell's when the work is shared, times the typical overshoot of the rounding,
  // and what the repetition does whatever its size.
  static double expected_repetition_s(const Catalog& catalog, const Cell& cell);

 private:
  struct Group {
    bool shared = false;   // one total work over every cell of the group (strong scaling)
    int cpus = 1;          // shared: how many CPUs the group's fastest cell can use
    bool chosen = false;
    int64_t value = 0;
    std::string note;
  };
  std::string group_key(const Cell& cell) const;
  void choose(Group& group, const Cell& cell, const Probe& probe, int& probes);

  Catalog catalog_;  // pointers to the registries' entries: a copy is cheap and cannot dangle
  std::map<std::string, Group> groups_;
};

}  // namespace versus
