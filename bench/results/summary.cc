#include "bench/results/summary.h"

#include "bench/compare/stats.h"
#include "bench/results/stability.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

namespace versus {

namespace {

// The parameters without any runner's own, so that serial's cells match every runner's.
std::string scenario_params(const std::string& params, const Catalog& catalog) {
  Params p = Params::parse_canonical(params), kept;
  for (const auto& [k, v] : p.values()) {
    bool runner_param = false;
    for (const Runner* r : catalog.runners) {
      for (const auto& spec : r->params()) runner_param = runner_param || spec.name == k;
    }
    if (!runner_param) kept.set(k, v);
  }
  return kept.canonical();
}

struct Group {
  std::vector<const Record*> rows;
  std::vector<double> wall, pss, ops_per_s, bytes_per_s, p50, p99, lost;  // of the rows used
  int ok = 0, total = 0;  // clean rows, and repetitions (a repetition run again counts once)
  std::string problem;    // status and message of the first row that was not ok
  Stability stability;

  // The figures, from the rows the cell's figures come from (bench/results/stability.h).
  void summarise() {
    stability = judge_stability(rows);
    std::set<int> repetitions;
    for (const Record* r : rows) {
      repetitions.insert(r->repetition);
      ok += is_clean(*r);
      if (r->status != Status::kOk && problem.empty()) problem = fmt::format("{}: {}", status_name(r->status), r->message);
    }
    total = static_cast<int>(repetitions.size());
    for (const Record* r : rows_used(rows)) {
      if (!r->wall_s) continue;
      wall.push_back(*r->wall_s);
      if (r->pss_bytes) pss.push_back(double(*r->pss_bytes));
      if (r->ops_per_s) ops_per_s.push_back(*r->ops_per_s);
      if (r->lost_updates) lost.push_back(double(*r->lost_updates));
      if (r->bytes_per_s) bytes_per_s.push_back(*r->bytes_per_s);
      if (r->lat_p50_us) p50.push_back(*r->lat_p50_us);
      if (r->lat_p99_us) p99.push_back(*r->lat_p99_us);
    }
  }
};

}  // namespace

void print_summary(const std::vector<Record>& records, const Catalog& catalog, std::FILE* out) {
  // (scenario, scenario params) -> (runner, params, workers) -> group; in first-seen order.
  std::vector<std::tuple<std::string, std::string, std::string, std::string, int>> order;
  std::map<std::tuple<std::string, std::string, std::string, std::string, int>, Group> groups;
  for (const Record& r : records) {
    auto key = std::make_tuple(r.scenario, scenario_params(r.params, catalog), r.runner, r.params, r.workers);
    auto [it, fresh] = groups.try_emplace(key);
    if (fresh) order.push_back(key);
    it->second.rows.push_back(&r);
  }
  int set_aside = 0, unstable = 0;
  for (auto& [key, g] : groups) {
    g.summarise();
    set_aside += g.stability.set_aside;
    unstable += g.stability.unstable;
  }
  // A runner with parameters away from their defaults is shown with them: fork spawn=vfork.
  auto runner_label = [&](const std::string& runner, const std::string& params) {
    std::string label = runner;
    const Runner* r = catalog.runner(runner);
    const Params p = Params::parse_canonical(params);
    for (const auto& spec : r ? r->params() : std::span<const ParamSpec>{}) {
      if (p.has(spec.name) && p.str(spec.name) != spec.canonical(spec.default_value)) {
        label += " " + spec.name + "=" + p.str(spec.name);
      }
    }
    return label;
  };
  std::string current;
  for (const auto& key : order) {
    const auto& [scenario, sparams, runner_name, params, workers] = key;
    const std::string runner = runner_label(runner_name, params);
    const std::string heading = scenario + "  " + sparams;
    if (heading != current) {
      current = heading;
      fmt::print(out, "\n{}\n{:<10} {:>7} {:>6} {:>12} {:>8} {:>10} {:>14}\n", heading, "runner", "workers", "ok",
                 "median_ms", "speedup", "efficiency", "pss_per_worker");
    }
    const Group& g = groups.at(key);
    if (g.wall.empty()) {
      fmt::print(out, "{:<10} {:>7} {:>3}/{:<2} {}\n", runner, workers, g.ok, g.total, g.problem);
      continue;
    }
    const double med = median(g.wall);
    std::string speedup = "-", efficiency = "-";
    const Scenario* sc = catalog.scenario(scenario);
    auto ref = groups.find(std::make_tuple(scenario, sparams, std::string("serial"), sparams, 1));
    if (sc && sc->strong_scaling() && ref != groups.end() && !ref->second.wall.empty()) {
      const double s = median(ref->second.wall) / med;
      speedup = fmt::format("{:.2f}", s);
      efficiency = fmt::format("{:.0f}%", 100 * s / workers);
    }
    std::string extra = fmt::format("  {:.4g} ops/s", median(g.ops_per_s));
    if (!g.lost.empty()) extra += fmt::format("  lost updates {:.0f}", median(g.lost));
    if (!g.bytes_per_s.empty()) extra += fmt::format("  {:.3f} GB/s", median(g.bytes_per_s) / 1e9);
    if (!g.p50.empty()) extra += fmt::format("  p50 {:.2f} us  p99 {:.2f} us", median(g.p50), median(g.p99));
    if (g.stability.set_aside > 0) extra += fmt::format("  ({} set aside)", g.stability.set_aside);
    if (g.stability.unstable) extra += "  unstable: " + g.stability.reason;
    fmt::print(out, "{:<10} {:>7} {:>3}/{:<2} {:>12.1f} {:>8} {:>10} {:>11.1f} MiB{}\n", runner, workers, g.ok, g.total,
               med * 1e3, speedup, efficiency, median(g.pss) / workers / (1 << 20), extra);
  }
  fmt::print(out,
             "\nspeedup (where the total work is fixed) = median time of serial with 1 worker / median time "
             "of the row; efficiency = speedup / workers\n");
  if (set_aside > 0) {
    fmt::print(out,
               "{} repetition(s) set aside: something else used their CPUs beyond the interference limit; they "
               "stay in results.csv (column interfered), and the figures above leave them out where a cell has clean "
               "ones\n",
               set_aside);
  }
  if (unstable > 0) {
    fmt::print(out, "{} cell(s) unstable (reports/SCHEMA.md says when); the likely cause is in brackets\n", unstable);
  }
}

}  // namespace versus
