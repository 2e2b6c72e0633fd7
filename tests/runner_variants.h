// What the per-runner suites share: the runners a suite runs, taken from the registry so that a
// runner added there is tested without editing the suites; a runner variant named in the suite's
// parameter ("epoll-edge" is epoll with trigger=edge); the test name it gets; a whole suite's
// skip; and a count of this process's open descriptors to show that a cell left none behind.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bench/api/runner.h"

namespace versus {

// A runner with one parameter set, which the suites of `shapes` run as if it were a runner of
// its own: the parameter changes how the runner waits in those shapes, and nowhere else.
struct RunnerVariant {
  std::string_view name;
  std::string_view runner;
  std::string_view param;
  std::string_view value;
  unsigned shapes;
};

inline constexpr RunnerVariant kRunnerVariants[] = {
    {"epoll-edge", "epoll", "trigger", "edge", kConversationShape | kMultiplexShape},
    {"io_uring-poll", "io_uring", "uring_wait", "poll", kMultiplexShape},
    {"fiber-io_uring", "fiber", "fiber_poller", "io_uring", kConversationShape | kMultiplexShape},
};

// The names of the `runners` (the registry's) that drive `shape` with the scenario's work
// objects, in the registry's order. A runner whose work is done by a program of its own (py-*)
// is left out: it never calls the objects these suites hand it, and has a suite of its own.
inline std::vector<std::string> runners_driving(std::span<const Runner* const> runners, Shape shape) {
  std::vector<std::string> names;
  for (const Runner* r : runners) {
    if ((r->shapes() & shape) && r->worker_host() != WorkerHost::kOwnProgram) names.emplace_back(r->name());
  }
  return names;
}

// The same, each runner followed by its variants for `shape`.
inline std::vector<std::string> runners_and_variants_driving(std::span<const Runner* const> runners, Shape shape) {
  std::vector<std::string> names;
  for (const std::string& runner : runners_driving(runners, shape)) {
    names.push_back(runner);
    for (const RunnerVariant& v : kRunnerVariants) {
      if (v.runner == runner && (v.shapes & shape)) names.emplace_back(v.name);
    }
  }
  return names;
}

// The runner of `variant`, with the variant's parameter put into `set`.
inline const Runner& runner_of_variant(const Catalog& catalog, const std::string& variant,
                                       std::map<std::string, std::string>& set) {
  std::string_view name = variant;
  for (const RunnerVariant& v : kRunnerVariants) {
    if (v.name == variant) {
      name = v.runner;
      set[std::string(v.param)] = v.value;
    }
  }
  const Runner* runner = catalog.runner(name);
  // The suites' parameters come from the same registry: a miss is a suite built wrongly.
  if (!runner) throw std::logic_error("no runner named " + std::string(name));
  return *runner;
}

// A cell of `scenario` under `runner`: every parameter of their tables and of every cell's
// (param_tables) at its default, except those `set` gives.
inline Cell cell_of(const Scenario& scenario, const Runner& runner, int workers,
                    const std::map<std::string, std::string>& set = {}) {
  Cell c;
  c.scenario = std::string(scenario.name());
  c.runner = std::string(runner.name());
  c.workers = workers;
  for (const auto& table : param_tables(scenario, runner)) {
    for (const auto& p : table) {
      const auto given = set.find(p.name);
      c.params.set(p.name, p.canonical(given != set.end() ? given->second : p.default_value));
    }
  }
  return c;
}

// "epoll-edge" -> "epoll_edge", "py-thread" -> "py_thread": what ctest's per-runner entries
// filter on.
inline std::string variant_test_name(std::string variant) {
  for (auto& c : variant) c = (c == '-') ? '_' : c;
  return variant;
}

struct VariantTestName {
  template <typename Info>
  std::string operator()(const Info& info) const {
    return variant_test_name(info.param);
  }
};

// Where the suite's parameter `name` cannot run here: run alone (as ctest runs each entry), the
// whole process is the verdict, skipped (exit 77, `why` printed); among others, the caller
// skips just its case (GTEST_SKIP).
inline void exit_skipped_if_alone(const std::string& name, const std::string& why) {
  if (GTEST_FLAG_GET(filter) == "*/" + name) {
    std::printf("%s cannot run here: %s\n", name.c_str(), why.c_str());
    std::exit(77);
  }
}

inline size_t open_descriptors() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

}  // namespace versus
