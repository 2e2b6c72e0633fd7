#include "bench/api/cell.h"

#include <fmt/format.h>

#include "bench/sys/hgrm.h"

namespace versus {

std::string Cell::id() const {
  return fmt::format("{}/{}/workers:{}/{}", scenario, runner, workers, canonical_params());
}

std::string Cell::canonical_params() const {
  if (sized_param.empty()) return params.canonical();
  Params shown = params;
  shown.set(sized_param, "auto");
  return shown.canonical();
}

namespace {

const ParamSpec kCellParams[] = {
    placement_param(
        "placement",
        "where the workers run: none (the scheduler decides), same (all on one CPU), spread (distinct cores, "
        "cores before their SMT siblings, one NUMA node before the next; the two ends of a pair apart), compact "
        "(a core's hardware threads, then the next core) or cpus:LIST (say cpus:0,2-3; round-robin). Units are the "
        "runner's processes or threads: fiber_threads, loop_threads, the Python pool's workers. A wait that spins "
        "gives up spinning when its peer is bound to its own CPU; under none it cannot know and spins"),
};

}  // namespace

std::span<const ParamSpec> cell_params() { return kCellParams; }

namespace {
constexpr const char* kStatusNames[] = {"ok", "unsupported", "invalid", "failed", "crashed", "timeout"};
}

const char* status_name(Status s) { return kStatusNames[static_cast<int>(s)]; }

std::optional<Status> parse_status(std::string_view name) {
  for (int i = 0; i < 6; ++i) {
    if (name == kStatusNames[i]) return static_cast<Status>(i);
  }
  return std::nullopt;
}

Record record_for(const Cell& cell, int repetition) {
  Record r;
  r.cell = cell.id();
  r.scenario = cell.scenario;
  r.runner = cell.runner;
  r.workers = cell.workers;
  r.params = cell.canonical_params();
  if (!cell.sized_param.empty()) r.work_size = cell.sized_param + "=" + cell.params.str(cell.sized_param);
  r.repetition = repetition;
  return r;
}

double typical_handover_s(const Cell& cell) {
  const std::string& placement = cell.params.has("placement") ? cell.params.str("placement") : "none";
  if (placement == "same") return 3e-6;
  if (placement == "none") return 15e-6;
  return 30e-6;
}

void set_latency(Record& r, const LatencyHistogram& ns) {
  r.lat_p50_us = double(ns.quantile(0.5)) / 1e3;
  r.lat_p90_us = double(ns.quantile(0.9)) / 1e3;
  r.lat_p99_us = double(ns.quantile(0.99)) / 1e3;
  r.lat_p999_us = double(ns.quantile(0.999)) / 1e3;
  r.histogram_text = hgrm_text(ns);
}

}  // namespace versus
