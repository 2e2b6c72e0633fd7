// The mux scenario under each runner that waits on many descriptors (ctest: mux.<runner>): every
// event produced is consumed exactly once, at a few descriptors and past select's 1024; select
// past FD_SETSIZE is `unsupported`; no descriptor is left open after a cell; one byte corrupted
// on its way to the scenario makes the repetition `invalid`.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>

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

// The mux scenario with one event's byte changed as the runner hands it over (the 50th event), as
// a runner that misread a descriptor would: whatever the runner's loop does, the check sees it.
class CorruptedMux final : public Scenario {
 public:
  std::string_view name() const override { return inner().name(); }
  std::string_view summary() const override { return inner().summary(); }
  Shape shape() const override { return inner().shape(); }
  std::span<const ParamSpec> params() const override { return inner().params(); }
  double expected_seconds(const Cell& cell) const override { return inner().expected_seconds(cell); }
  int64_t watched_descriptors(const Cell& cell) const override { return inner().watched_descriptors(cell); }
  std::unique_ptr<MultiplexWork> make_multiplex(const Cell& cell) const override {
    return std::make_unique<Work>(inner().make_multiplex(cell));
  }

 private:
  static const Scenario& inner() { return *mux_scenario(); }
  class Work final : public MultiplexWork {
   public:
    explicit Work(std::unique_ptr<MultiplexWork> w) : w_(std::move(w)) {}
    int descriptors() const override { return w_->descriptors(); }
    int read_fd(int i) const override { return w_->read_fd(i); }
    int write_fd(int i) const override { return w_->write_fd(i); }
    int rounds() const override { return w_->rounds(); }
    uint64_t events_per_round() const override { return w_->events_per_round(); }
    uint64_t chains_per_round() const override { return w_->chains_per_round(); }
    void start_round(int r) override { w_->start_round(r); }
    int consumed(int i, uint8_t byte) override { return w_->consumed(i, ++seen_ == 50 ? uint8_t(byte + 7) : byte); }
    std::string check(std::span<const WorkerResult> r) const override { return w_->check(r); }
    uint64_t answer(std::span<const WorkerResult> r) const override { return w_->answer(r); }

   private:
    std::unique_ptr<MultiplexWork> w_;
    std::atomic<int> seen_{0};
  };
};

// With hops too: the corrupted byte ends its chain early, and the round, which counts chains
// that ended rather than events, still ends for the check to say so (not a timeout).
TEST_P(MuxTest, OneCorruptedByteIsInvalid) {
  for (const char* chain : {"0", "2"}) {
    std::map<std::string, std::string> set = {{"fds", "10"}, {"active", "3"}, {"chain", chain}, {"rounds", "50"}};
    const Runner* runner = &runner_of_variant(catalog_, GetParam(), set);
    const CorruptedMux corrupted;
    const Record r = measure_repetition(corrupted, *runner, cell_of(*mux_scenario(), *runner, 1, set), 0);
    EXPECT_EQ(r.status, Status::kInvalid) << "chain " << chain << ": " << r.message;
    EXPECT_NE(r.message.find("bytes read were never written"), std::string::npos) << r.message;
  }
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
