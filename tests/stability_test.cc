// versus's side of the stability rule (bench/results/stability.h) held to the worked cases of
// tests/fixtures/stability, which the report's side (scripts/versus_report/stability.py) is held
// to as well; then what compare and the summary make of a set-aside row.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "bench/results/csv.h"
#include "bench/results/schema.h"
#include "bench/results/stability.h"

namespace versus {
namespace {

const std::string kFixture = std::string(VERSUS_SOURCE_DIR) + "/tests/fixtures/stability";

TEST(Stability, EveryWorkedCaseOfTheFixture) {
  const CsvTable rows = read_csv_file(kFixture + "/results.csv");
  check_results_header(rows, "results.csv", OlderHeader::kRefuse);
  std::vector<Record> records;
  for (size_t i = 0; i < rows.rows.size(); ++i) records.push_back(record_from_row(rows, i, "results.csv"));
  std::map<std::string, std::vector<const Record*>> by_cell;
  for (const Record& r : records) by_cell[r.cell].push_back(&r);
  const CsvTable expected = read_csv_file(kFixture + "/expected.csv");
  ASSERT_EQ(expected.header, (std::vector<std::string>{"cell", "unstable", "reason"}));
  ASSERT_EQ(expected.rows.size(), by_cell.size()) << "a worked case for every cell";
  for (const auto& want : expected.rows) {
    const auto cell = by_cell.find(want[0]);
    ASSERT_NE(cell, by_cell.end()) << want[0];
    const Stability got = judge_stability(cell->second);
    EXPECT_EQ(got.unstable, want[1] == "true") << want[0];
    EXPECT_EQ(got.reason, want[2]) << want[0];
  }
}

Record row(double wall, bool set_aside = false) {
  Record r;
  r.cell = "cpu/serial/workers:1/placement=spread";
  r.params = "placement=spread";
  r.status = Status::kOk;
  r.wall_s = wall;
  if (set_aside) r.interfered = 0.4;
  return r;
}

TEST(Stability, SetAsideRowsAreLeftOutWhileCleanOnesExist) {
  const std::vector<Record> rows = {row(1.0), row(10.0, true), row(1.01), row(1.02)};
  std::vector<const Record*> all;
  for (const Record& r : rows) all.push_back(&r);
  const auto used = rows_used(all);
  ASSERT_EQ(used.size(), 3u);
  for (const Record* r : used) EXPECT_LT(*r->wall_s, 2.0);
  const Stability s = judge_stability(all);
  EXPECT_EQ(s.set_aside, 1);
  EXPECT_FALSE(s.unstable) << s.reason;
  // None clean: the set-aside ones are what there is.
  const std::vector<const Record*> aside = {&rows[1]};
  ASSERT_EQ(rows_used(aside).size(), 1u);
  EXPECT_TRUE(judge_stability(aside).unstable);
}

}  // namespace
}  // namespace versus
