#include "bench/api/cell.h"

#include <fmt/format.h>

namespace versus {

std::string Cell::id() const {
  return fmt::format("{}/{}/workers:{}/{}", scenario, runner, workers, params.canonical());
}

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
  r.params = cell.params.canonical();
  r.repetition = repetition;
  return r;
}

}  // namespace versus
