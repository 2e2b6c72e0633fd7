// The latency side of `versus run` end to end: each ok latency row's histogram side file, read
// back as HdrHistogram's percentile distribution, holds the row's lat_* percentiles; the redis
// open loop's and stall's bad values are refused with exit status 2, naming what is accepted.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "tests/results_rows.h"
#include "tests/versus_binary.h"

namespace versus {
namespace {

namespace fs = std::filesystem;

class LatencyRunTest : public ScratchFolderTest {
 protected:
  // `versus run --scenario redis` with `args` into out(), quietly, no repetition run again; the
  // rows, the last attempt of each repetition.
  std::vector<Record> run_redis(const std::string& args) {
    const Ran ran = versus("run --scenario redis --set keys=100 --retries 0 --system-check 0 --quiet --out " +
                           out().string() + " " + args);
    EXPECT_EQ(ran.code, 0) << ran.output;
    return ran.code == 0 ? repetition_rows((out() / "results.csv").string()) : std::vector<Record>{};
  }
  fs::path out() const { return dir_ / "run"; }  // dir_ is made in SetUp
};

// Value by percentile ("0.990000000000") of an .hgrm file's lines; checks the header and footer.
std::map<std::string, double> percentiles_of(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "       Value     Percentile TotalCount 1/(1-Percentile)");
  std::map<std::string, double> values;
  bool footer = false;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.starts_with("#[")) {
      footer = true;
      continue;
    }
    std::istringstream fields(line);
    double value;
    std::string percentile;
    fields >> value >> percentile;
    values[percentile] = value;
  }
  EXPECT_TRUE(footer) << file << " has no #[Mean ...] footer";
  return values;
}

// The row's side file, beside the results in `folder`, holds the row's percentiles.
void expect_histogram_of_row(const fs::path& folder, const Record& r) {
  ASSERT_EQ(r.status, Status::kOk) << r.message;
  ASSERT_FALSE(r.histogram.empty()) << r.cell;
  EXPECT_TRUE(r.histogram.starts_with("histograms/") && r.histogram.ends_with(".hgrm")) << r.histogram;
  ASSERT_TRUE(fs::exists(folder / r.histogram)) << folder / r.histogram;
  const std::map<std::string, double> at = percentiles_of(folder / r.histogram);
  // The file writes µs to 3 decimals, the CSV to 9 digits.
  EXPECT_NEAR(at.at("0.500000000000"), *r.lat_p50_us, 6e-4) << r.histogram;
  EXPECT_NEAR(at.at("0.900000000000"), *r.lat_p90_us, 6e-4) << r.histogram;
  EXPECT_NEAR(at.at("0.990000000000"), *r.lat_p99_us, 6e-4) << r.histogram;
  EXPECT_NEAR(at.at("0.999000000000"), *r.lat_p999_us, 6e-4) << r.histogram;
}

TEST_F(LatencyRunTest, EachLatencyRowsHistogramFileHoldsItsPercentiles) {
  int rows = 0;
  for (const Record& r : run_redis("--runner epoll,pthread --workers 2 --set requests=2000 --set rate=0,4000 "
                                   "--repetitions 2")) {
    expect_histogram_of_row(out(), r);
    ++rows;
  }
  EXPECT_EQ(rows, 8);
}

// Merged shards and the two sides of an A/B run hold their rows' side files themselves: the
// folders they came from are gone when they are read.
TEST_F(LatencyRunTest, MergedShardsAndAnAbRunKeepEachRowsHistogram) {
  const std::string matrix =
      "--scenario redis --runner epoll,pthread --workers 2 --set keys=100 --set requests=1000 --repetitions 2 "
      "--retries 0 --system-check 0 --quiet";
  for (const char* shard : {"1/2", "2/2"}) {
    const Ran ran = versus("run " + matrix + " --shard " + shard + " --out " + (dir_ / "shard").string() + shard[0]);
    ASSERT_EQ(ran.code, 0) << ran.output;
  }
  const Ran merged = versus("merge " + (dir_ / "shard1").string() + " " + (dir_ / "shard2").string() + " -o " +
                            (dir_ / "merged").string());
  ASSERT_EQ(merged.code, 0) << merged.output;
  fs::remove_all(dir_ / "shard1");
  fs::remove_all(dir_ / "shard2");
  const std::vector<Record> rows = repetition_rows((dir_ / "merged" / "results.csv").string());
  EXPECT_EQ(rows.size(), 4u);
  for (const Record& r : rows) expect_histogram_of_row(dir_ / "merged", r);

  // A side file's name read from a results.csv is only ever histograms/NAME: one that points
  // elsewhere is not followed, the row is kept without it and merge says so.
  fs::create_directories(dir_ / "forged");
  const Ran one = versus("run " + matrix + " --shard 1/2 --out " + (dir_ / "forged" / "run").string());
  ASSERT_EQ(one.code, 0) << one.output;
  const fs::path csv = dir_ / "forged" / "run" / "results.csv";
  std::string text = (std::stringstream() << std::ifstream(csv).rdbuf()).str();
  for (size_t at; (at = text.find("histograms/")) != std::string::npos;) text.replace(at, 11, "../");
  std::ofstream(csv, std::ios::trunc) << text;
  const Ran forged = versus("merge " + (dir_ / "forged" / "run").string() + " -o " + (dir_ / "forged" / "m").string());
  ASSERT_EQ(forged.code, 0) << forged.output;
  EXPECT_NE(forged.output.find("is not a side file's name"), std::string::npos) << forged.output;
  for (const Record& r : repetition_rows((dir_ / "forged" / "m" / "results.csv").string())) {
    EXPECT_TRUE(r.histogram.empty()) << r.histogram;
  }
  for (const auto& entry : fs::directory_iterator(dir_ / "forged")) {
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(name == "run" || name == "m") << entry.path() << ": written outside the merged folder";
  }

  const Ran ab = versus("run --ab " + std::string(VERSUS_BINARY) +
                        " --scenario redis --runner epoll --workers 2 --set keys=100 --set requests=1000 "
                        "--repetitions 2 --quiet --out " +
                        (dir_ / "ab").string());
  ASSERT_EQ(ab.code, 0) << ab.output;
  for (const char* side : {"old", "new"}) {
    const std::vector<Record> ab_rows = repetition_rows((dir_ / "ab" / side / "results.csv").string());
    ASSERT_EQ(ab_rows.size(), 2u) << side;
    EXPECT_NE(ab_rows[0].histogram, ab_rows[1].histogram) << "each repetition its own file";
    for (const Record& r : ab_rows) expect_histogram_of_row(dir_ / "ab" / side, r);
  }
}

// rate=P% offers P percent of the same cell's closed-loop rate in this run: here the matrix has
// no closed-loop cell, so it is measured first, once for both shares, and the rows say so.
TEST_F(LatencyRunTest, ARateRelativeToThePeakIsAShareOfTheClosedLoopRate) {
  const std::vector<Record> rows =
      run_redis("--runner pthread --workers 2 --set requests=1000 --set rate=20%,150% --repetitions 1");
  ASSERT_EQ(rows.size(), 2u) << "the closed loop measured first is no row";
  const Record& low = rows[0].params.find("rate=20%") != std::string::npos ? rows[0] : rows[1];
  const Record& over = &low == &rows[0] ? rows[1] : rows[0];
  for (const Record* r : {&low, &over}) {
    ASSERT_EQ(r->status, Status::kOk) << r->message;
    EXPECT_NE(r->message.find("the rate is a share of"), std::string::npos) << r->message;
  }
  // One peak for both: the offered rates are 20% and 150% of the same number.
  EXPECT_NEAR(*over.offered_per_s / *low.offered_per_s, 7.5, 1e-6);
  EXPECT_NE(over.message.find("offered 150% of the closed-loop rate: over-saturated"), std::string::npos)
      << over.message;
}

TEST_F(LatencyRunTest, BadOpenLoopAndStallValuesAreRefused) {
  const struct {
    const char* set;
    const char* said;
  } cases[] = {
      {"rate=-1", "'-1' is no rate above 0"},
      {"rate=fast", "'fast' is no rate above 0"},
      {"rate=0%", "'0%' is no percentage above 0"},
      {"arrival=bursty", "parameter 'arrival'"},
      {"key_dist=zipf:abc", "'zipf:abc': the Zipf exponent must be a number above 0 and at most 10"},
      {"ratio=1:0:3", "'1:0:3' is no SET:GET ratio"},
      {"value_size=64-16", "MIN no larger than MAX"},
      {"stall_ms=300 --set stall_every_ms=200", "stall_ms=300 is longer than stall_every_ms=200"},
  };
  for (const auto& c : cases) {
    const Ran ran = versus(std::string("run --scenario redis --runner epoll --workers 1 --set ") + c.set +
                           " --out " + (dir_ / "never").string());
    EXPECT_EQ(ran.code, 2) << c.set << ": " << ran.output;
    EXPECT_NE(ran.output.find(c.said), std::string::npos) << c.set << ": " << ran.output;
    EXPECT_FALSE(fs::exists(dir_ / "never")) << c.set;
  }
}

}  // namespace
}  // namespace versus
