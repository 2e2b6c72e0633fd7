#include "bench/harness/matrix.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "bench/harness/usage_problems.h"
#include "bench/harness/work_sizing.h"
#include "bench/sys/placement.h"

namespace versus {

namespace {

constexpr int kMaxWorkers = 100000;
constexpr double kLongestMinTime_s = 60;

std::string known_scenarios(const Catalog& catalog) {
  std::vector<std::string> names;
  for (const Scenario* s : catalog.scenarios) {
    names.push_back(std::string(s->name()) + (s->internal() ? " (internal)" : ""));
  }
  return join(names, ", ");
}

std::string known_runners(const Catalog& catalog) {
  std::vector<std::string> names;
  for (const Runner* r : catalog.runners) names.emplace_back(r->name());
  return join(names, ", ");
}

const ParamSpec* find_param(std::span<const ParamSpec> specs, const std::string& name) {
  for (const auto& p : specs) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// Every combination of the value lists, in order (the last key varies fastest).
std::vector<Params> product(const std::vector<std::pair<const ParamSpec*, std::vector<std::string>>>& axes) {
  std::vector<Params> out{Params{}};
  for (const auto& [spec, values] : axes) {
    std::vector<Params> next;
    for (const Params& base : out) {
      for (const auto& v : values) {
        Params p = base;
        p.set(spec->name, spec->canonical(v));
        next.push_back(std::move(p));
      }
    }
    out = std::move(next);
  }
  return out;
}

// The value lists for `specs`: from --set where given, else the default.
std::vector<std::pair<const ParamSpec*, std::vector<std::string>>> axes_for(std::span<const ParamSpec> specs,
                                                                            const MatrixBlock& block) {
  std::vector<std::pair<const ParamSpec*, std::vector<std::string>>> axes;
  for (const auto& spec : specs) {
    std::vector<std::string> values{spec.default_value};
    for (const auto& [key, list] : block.set) {
      if (key == spec.name) values = list;
    }
    axes.emplace_back(&spec, values);
  }
  return axes;
}

// "FILE:LINE: " before a problem of a preset's block, or of one key of its set.
std::string at(const std::string& where) { return where.empty() ? std::string() : where + ": "; }

void validate_block(const MatrixBlock& block, const Catalog& catalog, UsageProblems& problems) {
  using Kind = UsageProblems::Kind;
  for (const auto& s : block.scenarios) {
    if (!catalog.scenario(s)) {
      problems.add(fmt::format("{}unknown scenario '{}'; known scenarios: {}", at(block.where), s,
                               known_scenarios(catalog)),
                   Kind::kUnknownName);
    }
  }
  for (const auto& r : block.runners) {
    if (!catalog.runner(r)) {
      problems.add(fmt::format("{}unknown runner '{}'; known runners: {}", at(block.where), r, known_runners(catalog)),
                   Kind::kUnknownName);
    }
  }
  if (block.scenarios.empty()) {
    problems.add(fmt::format("{}no scenario given: use --scenario (known: {}) or --preset", at(block.where),
                             known_scenarios(catalog)));
  }
  if (block.runners.empty()) {
    problems.add(fmt::format("{}no runner given: use --runner (known: {})", at(block.where), known_runners(catalog)));
  }
  if (block.workers.empty()) {
    problems.add(fmt::format("{}no worker count given: use --workers, say --workers 1,2,4", at(block.where)));
  }
  for (int w : block.workers) {
    if (w < 1 || w > kMaxWorkers) {
      problems.add(fmt::format("{}workers: '{}' is not accepted; accepted: an integer from 1 to {}", at(block.where),
                               w, kMaxWorkers));
    }
  }
  // Parameters are looked up in the scenarios and runners that are known; the unknown ones are
  // reported above.
  std::set<std::string> seen;
  for (const auto& [key, values] : block.set) {
    const auto found = block.set_where.find(key);
    const std::string where = at(found == block.set_where.end() ? block.where : found->second);
    if (!seen.insert(key).second) {
      problems.add(fmt::format("{}parameter '{}' is set twice", where, key));
      continue;
    }
    std::vector<const ParamSpec*> specs;
    std::set<std::string> accepted;
    for (const auto& p : cell_params()) accepted.insert(p.name);
    if (auto* p = find_param(cell_params(), key)) specs.push_back(p);
    for (const auto& s : block.scenarios) {
      const Scenario* scenario = catalog.scenario(s);
      if (!scenario) continue;
      for (const auto& p : scenario->params()) accepted.insert(p.name);
      if (auto* p = find_param(scenario->params(), key)) specs.push_back(p);
    }
    for (const auto& r : block.runners) {
      const Runner* runner = catalog.runner(r);
      if (!runner) continue;
      for (const auto& p : runner->params()) accepted.insert(p.name);
      if (auto* p = find_param(runner->params(), key)) specs.push_back(p);
    }
    if (specs.empty()) {
      problems.add(fmt::format("{}unknown parameter '{}' for scenario {} with runner {}; accepted: {}", where, key,
                               join(block.scenarios, ", "), join(block.runners, ", "),
                               accepted.empty() ? std::string("none") : join({accepted.begin(), accepted.end()}, ", ")),
                   Kind::kUnknownName);
      continue;
    }
    if (values.empty()) problems.add(fmt::format("{}parameter '{}' is given no value", where, key));
    for (const auto* spec : specs) {
      for (const auto& v : values) {
        if (std::string why = spec->validate(v); !why.empty()) problems.add(where + why);
      }
    }
  }
}

}  // namespace

namespace {

// The machine's counts a worker list may name, from hwloc's view of the CPUs versus may use.
struct MachineCount {
  const char* name;
  int (*of)(const Topology&);
};
constexpr MachineCount kMachineCounts[] = {
    {"cores", [](const Topology& t) { return t.cores(); }},
    {"threads", [](const Topology& t) { return static_cast<int>(t.cpus().size()); }},
    {"numa_nodes",
     [](const Topology& t) {
       std::set<int> nodes;
       for (int cpu : t.cpus()) nodes.insert(t.node_of(cpu));
       return static_cast<int>(nodes.size());
     }},
};

}  // namespace

int parse_workers(const std::string& text) { return parse_workers(text, Topology::here()); }

int parse_workers(const std::string& text, const Topology& machine) {
  const size_t star = text.find('*');
  const std::string name = star == std::string::npos ? text : text.substr(star + 1);
  for (const auto& count : kMachineCounts) {
    if (name != count.name) continue;
    int64_t times = 1;
    if (star != std::string::npos) {
      try {
        times = parse_integer(text.substr(0, star), "workers");
      } catch (const UsageError&) {
        times = 0;
      }
      if (times < 1 || times > kMaxWorkers) {
        throw UsageError(fmt::format("workers: '{}' is not accepted; in K*{} K is an integer from 1 to {}", text,
                                     count.name, kMaxWorkers));
      }
    }
    return static_cast<int>(times * count.of(machine));
  }
  try {
    return static_cast<int>(parse_integer(text, "workers"));
  } catch (const UsageError&) {
    std::vector<std::string> names;
    for (const auto& count : kMachineCounts) names.emplace_back(count.name);
    throw UsageError(fmt::format(
        "workers: '{}' is not accepted; accepted: an integer, or one of {} (this machine's, as versus may use it), "
        "or K times one, as 2*cores",
        text, join(names, ", ")));
  }
}

std::string Shard::str() const { return fmt::format("{}/{}", index, count); }

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  Shard s;
  try {
    if (slash == std::string::npos) throw UsageError("");
    s.index = static_cast<int>(parse_integer(text.substr(0, slash), "shard"));
    s.count = static_cast<int>(parse_integer(text.substr(slash + 1), "shard"));
  } catch (const UsageError&) {
    throw UsageError(fmt::format("--shard '{}': expected K/N, say 2/4", text));
  }
  if (s.count < 1 || s.index < 1 || s.index > s.count) {
    throw UsageError(fmt::format("--shard '{}': K must be from 1 to N, and N at least 1", text));
  }
  return s;
}

std::vector<Cell> select_shard(const std::vector<Cell>& cells, const Shard& shard) {
  std::vector<Cell> out;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (int(i % size_t(shard.count)) == shard.index - 1) out.push_back(cells[i]);
  }
  return out;
}

nlohmann::json spec_to_json(const MatrixSpec& spec) {
  nlohmann::json blocks = nlohmann::json::array();
  for (const auto& b : spec.blocks) {
    nlohmann::json set = nlohmann::json::array();
    for (const auto& [k, v] : b.set) set.push_back({{"key", k}, {"values", v}});
    blocks.push_back({{"scenario", b.scenarios}, {"runner", b.runners}, {"workers", b.workers}, {"set", set}});
  }
  return {{"repetitions", spec.repetitions},
          {"warmup", spec.warmup},
          {"cell_timeout", spec.cell_timeout_s},
          {"interference_limit", spec.interference_limit},
          {"retries", spec.retries},
          {"min_time", spec.min_time_s},
          {"benchmark_args", spec.benchmark_args},
          {"blocks", blocks}};
}

MatrixSpec spec_from_json(const nlohmann::json& j) {
  MatrixSpec spec;
  spec.repetitions = j.at("repetitions").get<int>();
  spec.cell_timeout_s = j.at("cell_timeout").get<double>();
  // Folders written before these keys existed resume with neither.
  spec.warmup = j.value("warmup", 0);
  spec.interference_limit = j.value("interference_limit", MatrixSpec{}.interference_limit);
  spec.retries = j.value("retries", MatrixSpec{}.retries);
  // Folders written before work was sized ran every value as given.
  spec.min_time_s = j.value("min_time", 0.0);
  spec.benchmark_args = j.value("benchmark_args", std::vector<std::string>{});
  for (const auto& b : j.at("blocks")) {
    MatrixBlock block;
    block.scenarios = b.at("scenario").get<std::vector<std::string>>();
    block.runners = b.at("runner").get<std::vector<std::string>>();
    block.workers = b.at("workers").get<std::vector<int>>();
    for (const auto& kv : b.at("set")) {
      block.set.emplace_back(kv.at("key").get<std::string>(), kv.at("values").get<std::vector<std::string>>());
    }
    spec.blocks.push_back(std::move(block));
  }
  return spec;
}

std::pair<std::string, std::vector<std::string>> parse_set(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw UsageError(fmt::format("--set '{}': expected key=value or key=v1,v2 (say --set count=100000)", text));
  }
  auto values = split(text.substr(eq + 1), ',');
  for (const auto& v : values) {
    if (v.empty()) throw UsageError(fmt::format("--set '{}': an empty value", text));
  }
  return {text.substr(0, eq), values};
}

std::vector<Cell> expand_matrix(const MatrixSpec& spec, const Catalog& catalog) {
  UsageProblems problems;
  if (spec.repetitions < 1 || spec.repetitions > 100000) {
    problems.add(
        fmt::format("repetitions: '{}' is not accepted; accepted: an integer from 1 to 100000", spec.repetitions));
  }
  if (spec.warmup < 0 || spec.warmup > 100) {
    problems.add(fmt::format("warmup: '{}' is not accepted; accepted: an integer from 0 to 100", spec.warmup));
  }
  if (!std::isfinite(spec.cell_timeout_s) || spec.cell_timeout_s < 0) {
    problems.add(
        fmt::format("cell-timeout: '{}' is not accepted; accepted: a finite number of seconds > 0 (or 0: "
                    "each cell's default)",
                    spec.cell_timeout_s));
  }
  if (!std::isfinite(spec.interference_limit) || spec.interference_limit <= 0 || spec.interference_limit > 1) {
    problems.add(fmt::format(
        "interference-limit: '{}' is not accepted; accepted: a fraction of the cell's CPU time above 0 and at most 1 "
        "(default 0.05)",
        spec.interference_limit));
  }
  if (spec.retries < 0 || spec.retries > 10) {
    problems.add(
        fmt::format("retries: '{}' is not accepted; accepted: an integer from 0 to 10 (default 2)", spec.retries));
  }
  if (!std::isfinite(spec.min_time_s) || spec.min_time_s < 0 || spec.min_time_s > kLongestMinTime_s) {
    problems.add(fmt::format(
        "min-time: '{}' is not accepted; accepted: seconds from 0 (run the work-size defaults as they are) to {:g} "
        "(default {:g})",
        spec.min_time_s, kLongestMinTime_s, kDefaultMinTime_s));
  }
  if (spec.blocks.empty()) problems.add("the matrix is empty: give --scenario, --runner and --workers, or --preset");
  for (const auto& block : spec.blocks) validate_block(block, catalog, problems);
  problems.throw_if_any();

  std::vector<Cell> cells;
  std::set<std::string> ids;
  for (const auto& block : spec.blocks) {
    for (const auto& sname : block.scenarios) {
      const Scenario* scenario = catalog.scenario(sname);
      for (const Params& sp : product(axes_for(scenario->params(), block))) {
        if (std::string why = scenario->params_problem(sp); !why.empty()) {
          problems.add(fmt::format("{}{}: {}", at(block.where), sname, why));
          continue;
        }
        for (const auto& rname : block.runners) {
          const Runner* runner = catalog.runner(rname);
          for (const Params& rp : product(axes_for(runner->params(), block))) {
            for (const Params& cp : product(axes_for(cell_params(), block))) {
              for (int w : block.workers) {
                Cell c;
                c.scenario = sname;
                c.runner = rname;
                c.workers = w;
                c.params = sp;
                for (const auto& [k, v] : rp.values()) c.params.set(k, v);
                for (const auto& [k, v] : cp.values()) c.params.set(k, v);
                c.repetitions = spec.repetitions;
                c.warmup = spec.warmup;
                c.timeout_s = spec.cell_timeout_s;
                c.interference_limit = spec.interference_limit;
                c.retries = spec.retries;
                mark_for_sizing(c, *scenario, spec.min_time_s, [&block](const std::string& key) {
                  return std::any_of(block.set.begin(), block.set.end(), [&](const auto& kv) { return kv.first == key; });
                });
                if (ids.insert(c.id()).second) cells.push_back(std::move(c));
              }
            }
          }
        }
      }
    }
  }
  problems.throw_if_any();
  return cells;
}

}  // namespace versus
