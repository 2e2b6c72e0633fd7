// What the per-runner suites share: a runner variant named in the suite's parameter
// ("epoll-edge" is epoll with trigger=edge), the test name it gets, a whole suite's skip, and a
// count of this process's open descriptors to show that a cell left none behind.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "bench/api/runner.h"

namespace versus {

// The runner of `variant`, with the variant's parameters put into `set`. A runner missing from
// this build (io_uring without liburing) skips the whole suite: exit 77, which ctest counts as
// skipped.
inline const Runner& runner_of_variant(const Catalog& catalog, const std::string& variant,
                                       std::map<std::string, std::string>& set) {
  static const std::map<std::string, std::pair<std::string, std::pair<std::string, std::string>>> kVariants = {
      {"epoll-edge", {"epoll", {"trigger", "edge"}}},
      {"io_uring-poll", {"io_uring", {"uring_wait", "poll"}}},
      {"fiber-io_uring", {"fiber", {"fiber_poller", "io_uring"}}},
  };
  std::string name = variant;
  if (auto it = kVariants.find(variant); it != kVariants.end()) {
    name = it->second.first;
    set[it->second.second.first] = it->second.second.second;
  }
  const Runner* runner = catalog.runner(name);
  if (!runner) {
    std::printf("runner %s is not in this build\n", name.c_str());
    std::exit(77);
  }
  return *runner;
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
