// Work sized by time: which cells are sized, how a value is chosen from probes, and that cells
// sharing one total work share one value.
#include <gtest/gtest.h>

#include <set>

#include "bench/harness/matrix.h"
#include "bench/harness/work_sizing.h"
#include "runners/registry.h"
#include "scenarios/registry.h"

namespace versus {
namespace {

Catalog catalog() { return {all_scenarios(), all_runners()}; }

std::vector<Cell> cells_of(MatrixBlock block, double min_time_s) {
  MatrixSpec spec;
  spec.blocks.push_back(std::move(block));
  spec.repetitions = 1;
  spec.min_time_s = min_time_s;
  return expand_matrix(spec, catalog());
}

// A probe whose repetition lasts `per_unit_s` per unit of the sized parameter, counting its calls.
struct LinearProbe {
  double per_unit_s;
  std::vector<int64_t> values;
  Record operator()(const Cell& c) {
    values.push_back(c.params.integer(c.sized_param));
    Record r = record_for(c, 0);
    r.wall_s = per_unit_s * double(values.back());
    r.cpu_user_s = *r.wall_s;
    r.cpu_sys_s = 0.0;
    return r;
  }
};

TEST(WorkSizing, RoundsUpToOneTwoThreeOrFiveTimesAPowerOfTen) {
  EXPECT_EQ(scaled_work(1000, 0.01, 0.25, 1, INT64_MAX), 30000);  // 25000 wanted
  EXPECT_EQ(scaled_work(1000, 0.1, 0.2, 1, INT64_MAX), 2000);     // exactly 2000
  EXPECT_EQ(scaled_work(1000, 0.1, 0.21, 1, INT64_MAX), 3000);
  EXPECT_EQ(scaled_work(1000, 0.1, 0.31, 1, INT64_MAX), 5000);
  EXPECT_EQ(scaled_work(1000, 0.1, 0.51, 1, INT64_MAX), 10000);
  EXPECT_EQ(scaled_work(20000, 10.0, 0.25, 1, INT64_MAX), 500);  // shrinks a long one
  EXPECT_EQ(scaled_work(100, 1.0, 0.001, 2, INT64_MAX), 2);       // never below the lowest accepted
  EXPECT_EQ(scaled_work(100, 1e-9, 1000, 1, 5000), 5000);         // nor above the highest
}

TEST(WorkSizing, OnlyDefaultsAreSizedAndTheIdentitySaysAuto) {
  const auto sized = cells_of({{"ipc"}, {"fork"}, {1}, {{"mode", {"pingpong", "throughput"}}}}, 0.25);
  ASSERT_EQ(sized.size(), 2u);
  for (const Cell& c : sized) {
    const std::string name = c.params.str("mode") == "pingpong" ? "round_trips" : "bytes";
    EXPECT_EQ(c.sized_param, name);
    EXPECT_NE(c.id().find(name + "=auto"), std::string::npos) << c.id();
    EXPECT_EQ(record_for(c, 0).params.find(name + "=auto") != std::string::npos, true);
    EXPECT_EQ(record_for(c, 0).work_size, name + "=" + c.params.str(name));
  }
  // Given values mean exactly that; --min-time 0 keeps the defaults as they are.
  const auto given = cells_of({{"ipc"}, {"fork"}, {1}, {{"mode", {"pingpong"}}, {"round_trips", {"700"}}}}, 0.25);
  EXPECT_TRUE(given.at(0).sized_param.empty());
  EXPECT_NE(given.at(0).id().find("round_trips=700"), std::string::npos);
  const auto fixed = cells_of({{"ipc"}, {"fork"}, {1}, {{"mode", {"pingpong"}}}}, 0);
  EXPECT_TRUE(fixed.at(0).sized_param.empty());
  EXPECT_NE(fixed.at(0).id().find("round_trips=20000"), std::string::npos);
  EXPECT_TRUE(record_for(fixed.at(0), 0).work_size.empty());
  // A scan of the loaded keys and workers kept alive have no count to size.
  EXPECT_TRUE(cells_of({{"redis"}, {"pthread"}, {8}, {{"op", {"ttl_scan"}}}}, 0.25).at(0).sized_param.empty());
  EXPECT_TRUE(cells_of({{"spawn"}, {"fork"}, {8}, {{"mode", {"alive"}}}}, 0.25).at(0).sized_param.empty());
}

TEST(WorkSizing, ProbesGrowTenfoldUntilLongEnoughThenScaleToTheTarget) {
  const auto cells = cells_of({{"switch"}, {"pthread"}, {1}, {}}, 0.25);
  ASSERT_EQ(cells.size(), 1u);
  WorkSizer sizer(catalog(), cells);
  LinearProbe probe{1e-8, {}};  // far faster than the model: the first probe is too short
  const auto sized = sizer.size(cells[0], std::ref(probe));
  ASSERT_GE(probe.values.size(), 2u);
  EXPECT_EQ(sized.probes, int(probe.values.size()));
  for (size_t i = 1; i < probe.values.size(); ++i) EXPECT_EQ(probe.values[i], probe.values[i - 1] * 10);
  const int64_t chosen = sized.cell.params.integer("handovers");
  const double lasts = probe.per_unit_s * double(chosen);
  EXPECT_GE(lasts, 0.25);
  EXPECT_LE(lasts, 0.5);
  EXPECT_EQ(chosen % 2, 0) << "switch wants an even count";
  EXPECT_TRUE(sized.note.empty());
  EXPECT_EQ(sized.cell.id(), cells[0].id()) << "the identity does not change with the value";
  // Asked again (the next repetition), the cell keeps its value and probes nothing.
  const auto again = sizer.size(cells[0], std::ref(probe));
  EXPECT_EQ(again.probes, 0);
  EXPECT_EQ(again.cell.params.integer("handovers"), chosen);
}

// A probe whose CPUs went to something else is run again before its time is believed.
TEST(WorkSizing, AnInterferedProbeIsRunAgain) {
  const auto cells = cells_of({{"switch"}, {"pthread"}, {1}, {}}, 0.25);
  WorkSizer sizer(catalog(), cells);
  std::vector<int64_t> values;
  const auto sized = sizer.size(cells[0], [&](const Cell& c) {
    values.push_back(c.params.integer("handovers"));
    Record r = record_for(c, 0);
    // The first attempt was slowed tenfold by a neighbour; the second is the work's own time.
    r.wall_s = (values.size() == 1 ? 10 : 1) * 1e-5 * double(values.back());
    if (values.size() == 1) r.interfered = 0.9;
    return r;
  });
  ASSERT_GE(values.size(), 2u);
  EXPECT_EQ(values[0], values[1]) << "the same size again";
  const double lasts = 1e-5 * double(sized.cell.params.integer("handovers"));
  EXPECT_GE(lasts, 0.25);
  EXPECT_LE(lasts, 0.5);
}

TEST(WorkSizing, AProbeThatFailsLeavesTheDefaultAndSaysWhy) {
  const auto cells = cells_of({{"switch"}, {"pthread"}, {1}, {}}, 0.25);
  WorkSizer sizer(catalog(), cells);
  const auto sized = sizer.size(cells[0], [](const Cell& c) {
    Record r = record_for(c, 0);
    r.status = Status::kCrashed;
    r.message = "killed by signal 11";
    return r;
  });
  EXPECT_EQ(sized.cell.params.integer("handovers"), 20000);
  EXPECT_NE(sized.note.find("work not sized"), std::string::npos) << sized.note;
  EXPECT_NE(sized.note.find("crashed (killed by signal 11)"), std::string::npos) << sized.note;
}

// An unsupported cell says why in its own row; the next cell of its group is sized.
TEST(WorkSizing, AnUnsupportedCellLeavesTheSizingToTheNext) {
  const auto cells = cells_of({{"cpu"}, {"serial", "pthread"}, {1, 2}, {}}, 0.25);
  WorkSizer sizer(catalog(), cells);
  int calls = 0;
  const auto unsupported = sizer.size(cells[0], [&](const Cell& c) {
    ++calls;
    Record r = record_for(c, 0);
    r.status = Status::kUnsupported;
    return r;
  });
  EXPECT_TRUE(unsupported.note.empty()) << unsupported.note;
  LinearProbe probe{1.1e-7, {}};
  const auto next = sizer.size(cells[1], std::ref(probe));
  EXPECT_EQ(probe.values.size(), 1u);
  EXPECT_NE(next.cell.params.integer("count"), 1200000);
  EXPECT_EQ(calls, 1);
}

TEST(WorkSizing, CellsSplittingOneWorkShareOneValueSizedForTheFastest) {
  const auto cells = cells_of({{"cpu"}, {"serial", "pthread"}, {1, 2, 64}, {}}, 0.25);
  ASSERT_EQ(cells.size(), 6u);
  WorkSizer sizer(catalog(), cells);
  LinearProbe probe{1.1e-7, {}};
  std::set<int64_t> values;
  int probes = 0;
  for (const Cell& c : cells) {
    const auto sized = sizer.size(c, std::ref(probe));
    probes += sized.probes;
    values.insert(sized.cell.params.integer("count"));
  }
  EXPECT_EQ(values.size(), 1u) << "serial and pthread at every worker count do the same total work";
  EXPECT_EQ(probes, int(probe.values.size()));
  // The fastest cell spreads the CPU time over every CPU it may use, and still lasts the target.
  const double cpus = std::min<double>(64, Topology::here().cpus().size());
  EXPECT_GE(probe.per_unit_s * double(*values.begin()) / cpus, 0.25);
  EXPECT_LE(probe.per_unit_s * double(*values.begin()) / cpus, 0.5);
  // An interpreter's cells get a work of their own.
  const auto py = cells_of({{"cpu"}, {"serial", "py-thread"}, {1}, {}}, 0.25);
  WorkSizer both(catalog(), py);
  LinearProbe slow{1e-7, {}};
  for (const Cell& c : py) (void)both.size(c, std::ref(slow));
  EXPECT_EQ(slow.values.size() >= 2, true) << "each group probes";
}

}  // namespace
}  // namespace versus
