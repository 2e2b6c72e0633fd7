// The mux scenario under each runner that waits on many descriptors (ctest: mux.<runner>): every
// event produced is consumed exactly once, at a few descriptors and past select's 1024; select
// past FD_SETSIZE is `unsupported`; no descriptor is left open after a cell.
#include <gtest/gtest.h>

#include <map>

#include "bench/sys/process.h"
#include "bench/sys/limits.h"
#include "bench/harness/repetition.h"
#include "runners/registry.h"
#include "runner_variants.h"
#include "scenarios/registry.h"

namespace versus {
namespace {

// Parameters are runner[-variant]: "epoll-edge", "io_uring-poll", "fiber-io_uring".
class MuxTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { raise_fd_limit(); }

  Record run(std::map<std::string, std::string> set) {
    const Runner* runner = &runner_of_variant(catalog_, GetParam(), set);
    const Scenario& s = *mux_scenario();
    const Cell c = cell_of(s, *runner, 1, set);
    if (std::string why = why_unsupported(s, *runner, c); !why.empty()) {
      Record u = record_for(c, 0);
      u.status = Status::kUnsupported;
      u.message = why;
      return u;
    }
    return measure_repetition(s, *runner, c, 0);
  }

  Catalog catalog_{all_scenarios(), all_runners()};
};

TEST_P(MuxTest, ConsumesExactlyTheEventsProducedAtFewDescriptors) {
  const size_t before = open_descriptors();
  for (const char* pair : {"socketpair", "pipe"}) {
    const Record r = run({{"fds", "10"}, {"active", "3"}, {"chain", "2"}, {"rounds", "200"}, {"pair", pair}});
    ASSERT_EQ(r.status, Status::kOk) << pair << ": " << r.message;
    EXPECT_EQ(r.ops.value(), 200u * 3u * 3u) << pair;
    EXPECT_EQ(r.result.value(), 200u * 3u * 3u) << pair;
    EXPECT_GT(r.syscalls.value(), 0u);
    EXPECT_GT(r.setup_s.value(), 0.0) << "registering descriptors takes time, measured apart";
  }
  EXPECT_EQ(open_descriptors(), before) << "a descriptor of the cell was left open";
}

TEST_P(MuxTest, PastFdSetSizeEveryEventStillArrivesOrSelectSaysWhy) {
  const size_t before = open_descriptors();
  const Record r = run({{"fds", "1500"}, {"active", "10"}, {"chain", "1"}, {"rounds", "100"}});
  if (GetParam() == "select") {
    EXPECT_EQ(r.status, Status::kUnsupported);
    EXPECT_NE(r.message.find("FD_SETSIZE"), std::string::npos) << r.message;
    return;
  }
  ASSERT_EQ(r.status, Status::kOk) << r.message;
  EXPECT_EQ(r.result.value(), 100u * 10u * 2u);
  EXPECT_EQ(open_descriptors(), before) << "a descriptor of the cell was left open";
  EXPECT_TRUE(descendants().empty());
}

TEST_P(MuxTest, BadParametersAreUnsupportedWithTheReason) {
  const Record r = run({{"fds", "10"}, {"active", "20"}});
  EXPECT_EQ(r.status, Status::kUnsupported);
  EXPECT_NE(r.message.find("active=20"), std::string::npos) << r.message;
}

INSTANTIATE_TEST_SUITE_P(Each, MuxTest,
                         ::testing::ValuesIn(runners_and_variants_driving(all_runners(), kMultiplexShape)),
                         VariantTestName());

}  // namespace
}  // namespace versus
