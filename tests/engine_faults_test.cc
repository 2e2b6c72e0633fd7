// A repetition that crashes, fails or is interrupted, at any index, with or without Google
// Benchmark's random interleaving: the run goes on (or stops cleanly), with its summary, and
// every whole cell's rows are kept. Run through the built binary, as a user runs it.
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <signal.h>

#include <filesystem>
#include <map>
#include <string>

#include "bench/api/params.h"
#include "bench/results/csv.h"
#include "bench/results/schema.h"
#include "versus_binary.h"

namespace fs = std::filesystem;

namespace versus {
namespace {

constexpr int kRepetitions = 4;

// Each cell's rows, by the cell's fault and fault_repetition.
struct CellRows {
  std::string fault;
  int fault_repetition = -1;
  std::map<int, Record> by_repetition;
};

std::map<std::string, CellRows> rows_by_cell(const fs::path& csv) {
  const CsvTable t = read_csv_file(csv.string());
  check_results_header(t, csv.string(), OlderHeader::kRefuse);
  std::map<std::string, CellRows> cells;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    Record r = record_from_row(t, i, csv.string());
    const Params p = Params::parse_canonical(r.params);
    CellRows& c = cells[r.cell];
    c.fault = p.str("fault");
    c.fault_repetition = int(p.integer("fault_repetition"));
    // One row a repetition: the runs here do not retry (run_args).
    EXPECT_TRUE(c.by_repetition.emplace(r.repetition, r).second) << r.cell << ": repetition " << r.repetition << " twice";
  }
  return cells;
}

// false: Google Benchmark's order, each cell's repetitions together; true: its random interleaving.
class EngineFaultTest : public ScratchFolderTest, public ::testing::WithParamInterface<bool> {
 protected:
  // --system-check 0: a second of sampling would be most of each of these short runs; the check
  // is tested in cli_system_check_test.cc. --retries 0: a row per repetition, however busy the
  // machine running the tests (retries are tested in interference_test.cc).
  std::string run_args(const std::string& faults, const std::string& at, const fs::path& out) const {
    return fmt::format(
        "run --scenario selftest --runner serial --workers 1 --repetitions {} --set work_ms=1 "
        "--set fault={} --set fault_repetition={} --cell-timeout 20 --quiet --system-check 0 --retries 0 --out {}{}",
        kRepetitions, faults, at, out.string(), GetParam() ? " --benchmark_enable_random_interleaving=true" : "");
  }
};

TEST_P(EngineFaultTest, CrashOrFailureAtAnyRepetitionLeavesTheRunWhole) {
  const fs::path out = dir_ / "faults";
  const Ran ran = versus(run_args("none,crash,throw", "0,1,2,3", out));
  ASSERT_EQ(ran.code, 0) << ran.output;
  EXPECT_NE(ran.output.find("results: " + (out / "results.csv").string() + " (48 rows)"), std::string::npos)
      << "the summary is printed\n"
      << ran.output;

  const auto cells = rows_by_cell(out / "results.csv");
  ASSERT_EQ(cells.size(), 3u * kRepetitions) << "every cell of the matrix ran";
  for (const auto& [id, c] : cells) {
    ASSERT_EQ(c.by_repetition.size(), size_t(kRepetitions)) << id;
    const int k = c.fault_repetition;
    for (const auto& [rep, r] : c.by_repetition) {
      SCOPED_TRACE(fmt::format("{} repetition {}: {} {}", id, rep, status_name(r.status), r.message));
      if (c.fault == "none" || rep < k || (c.fault == "throw" && rep != k)) {
        EXPECT_EQ(r.status, Status::kOk);
        EXPECT_GT(r.wall_s.value_or(0), 0);
      } else if (c.fault == "throw") {
        EXPECT_EQ(r.status, Status::kFailed);
        EXPECT_NE(r.message.find("throws on purpose"), std::string::npos);
      } else if (rep == k) {
        EXPECT_EQ(r.status, Status::kCrashed);
        EXPECT_EQ(r.message.find("not run"), std::string::npos);
      } else {
        EXPECT_EQ(r.status, Status::kCrashed);
        EXPECT_EQ(r.message, fmt::format("not run: repetition {} ended crashed", k));
      }
    }
  }
}

TEST_P(EngineFaultTest, InterruptAtAnyRepetitionStopsCleanlyKeepingWholeCells) {
  for (int k = 0; k < kRepetitions; ++k) {
    SCOPED_TRACE(fmt::format("interrupted in repetition {}", k));
    const fs::path out = dir_ / fmt::format("interrupted-{}", k);
    const Ran ran = versus(run_args("none,interrupt", std::to_string(k), out));
    EXPECT_EQ(ran.code, 128 + SIGINT) << ran.output;
    EXPECT_NE(ran.output.find("interrupted by SIGINT"), std::string::npos) << ran.output;
    EXPECT_NE(ran.output.find("`versus run --resume " + out.string() + "` runs the rest"), std::string::npos)
        << ran.output;
    EXPECT_NE(ran.output.find("results: " + (out / "results.csv").string()), std::string::npos)
        << "the summary is printed\n"
        << ran.output;

    const auto cells = rows_by_cell(out / "results.csv");
    for (const auto& [id, c] : cells) {
      EXPECT_EQ(c.fault, "none") << id << ": the interrupted cell leaves no rows";
      EXPECT_EQ(c.by_repetition.size(), size_t(kRepetitions)) << id << ": only whole cells are kept";
      for (const auto& [rep, r] : c.by_repetition) EXPECT_EQ(r.status, Status::kOk) << id << " " << rep;
    }
    // In Google Benchmark's own order the healthy cell, first in the matrix, is done before the
    // other starts; interleaved, it may or may not be.
    if (!GetParam()) {
      EXPECT_EQ(cells.size(), 1u);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Order, EngineFaultTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "interleaved" : "in_order"; });

}  // namespace
}  // namespace versus
