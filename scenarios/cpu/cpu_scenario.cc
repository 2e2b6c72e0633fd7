// cpu: CPU-bound work split over the workers (strong scaling: the total work is fixed, so the
// speedup over serial shows what the concurrency model buys).
#include <algorithm>
#include <cmath>

#include "scenarios/cpu/cpu.h"
#include "scenarios/registry.h"

namespace versus {
namespace {

const ParamSpec kParams[] = {
    choice_param("kernel", {"primes", "membw"},
                 "primes: trial division, compute-bound; membw: STREAM-like triad, memory-bound"),
    int_param("start", 1000000, 2, int64_t{1} << 40, "primes: first number tested (seed note 001 starts at 1000000)"),
    int_param("count", 1200000, 1, int64_t{1} << 34, "primes: how many numbers are tested, in all workers together"),
    choice_param("split", {"static", "dynamic"},
                 "primes: static = equal ranges; dynamic = chunks claimed from a shared counter"),
    int_param("chunk", 1000, 1, int64_t{1} << 30, "primes: numbers per chunk (the unit claimed, and between yields)"),
    size_param("array_bytes", 192 << 20, 3 << 10, int64_t{64} << 30,
               "membw: bytes of the three arrays of all workers together"),
    int_param("passes", 4, 1, 10000, "membw: triad passes over the arrays"),
};

class CpuScenario final : public Scenario {
 public:
  std::string_view name() const override { return "cpu"; }
  std::string_view summary() const override {
    return "CPU-bound work over the workers: primes by trial division, or a memory-bound triad";
  }
  Shape shape() const override { return kTaskShape; }
  bool strong_scaling() const override { return true; }
  std::span<const ParamSpec> params() const override { return kParams; }

  std::string_view work_param(const Cell& cell) const override {
    return cell.params.str("kernel") == "membw" ? "passes" : "count";
  }
  double expected_seconds(const Cell& cell) const override {
    if (cell.params.str("kernel") == "membw") {
      // A few GB/s per core at the least; two reads and a write per element.
      return double(cell.params.integer("array_bytes")) * double(cell.params.integer("passes")) / 2e9;
    }
    // About 0.13 us per number near a million on a 2024 server core; trial division grows with
    // the square root of the numbers tested.
    const double scale = std::sqrt(double(cell.params.integer("start")) / 1e6);
    return double(cell.params.integer("count")) * 0.13e-6 * std::max(1.0, scale);
  }

  std::unique_ptr<TaskWork> make_task(const Cell& cell) const override {
    const Params& p = cell.params;
    if (p.str("kernel") == "membw") {
      return cpu::make_triad({uint64_t(p.integer("array_bytes")), int(p.integer("passes"))}, cell.workers);
    }
    return cpu::make_prime_count({uint64_t(p.integer("start")), uint64_t(p.integer("count")),
                                  p.str("split") == "dynamic", uint64_t(p.integer("chunk"))},
                                 cell.workers);
  }
};

}  // namespace

const Scenario* cpu_scenario() {
  static const CpuScenario scenario;
  return &scenario;
}

}  // namespace versus
