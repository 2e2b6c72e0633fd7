// What the redis suites share: a redis cell under the suite's runner (tests/runner_variants.h),
// and one repetition of it measured in this process, so that descriptors left open would show.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "bench/harness/isolate.h"
#include "bench/harness/repetition.h"
#include "runners/registry.h"
#include "runner_variants.h"
#include "scenarios/registry.h"

namespace versus {

// Parameters are runner[-variant]: "epoll-edge", "fiber-io_uring".
class RedisCellTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { install_interrupt_handlers(); }

  Cell cell(int workers, std::map<std::string, std::string> set) {
    const Runner* runner = &runner_of_variant(catalog_, GetParam(), set);
    Cell c = cell_of(*redis_scenario(), *runner, workers, set);
    c.timeout_s = 120;
    return c;
  }

  Record run(int workers, std::map<std::string, std::string> set) {
    const Cell c = cell(workers, std::move(set));
    const Runner& runner = *catalog_.runner(c.runner);
    if (std::string why = why_unsupported(*redis_scenario(), runner, c); !why.empty()) {
      Record u = record_for(c, 0);
      u.status = Status::kUnsupported;
      u.message = why;
      return u;
    }
    return measure_repetition(*redis_scenario(), runner, c, 0);
  }

  Catalog catalog_{all_scenarios(), all_runners()};
};

}  // namespace versus
