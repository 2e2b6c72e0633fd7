// versus-baseline as a user runs it: its rows well-formed and its own (never its timings), and
// bad input refused before anything runs.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "bench/results/csv.h"
#include "bench/sys/child.h"
#include "bench/sys/placement.h"
#include "versus_binary.h"

namespace versus {
namespace {

struct Said {
  int code = -1;
  std::string out, err;
};

Said baseline(std::vector<std::string> args) {
  args.insert(args.begin(), BASELINE_BINARY);
  ChildOptions options;
  options.own_group = true;
  options.capture_output = true;
  options.capture_errors = true;
  Child child = Child::exec(args, options);
  const ChildEnd end = child.wait();
  return {end.how == ChildEnd::How::kExited ? end.code() : -1, child.output(), child.errors()};
}

const std::vector<std::string> kColumns = {"what",   "placement", "cpus",  "unit",     "higher_is_better",
                                           "versus", "bare",      "ratio", "versus_n", "bare_n", "note"};

class BaselineTest : public ScratchFolderTest {};

// A round trip, a stream (against a bare reader plain and checking), a worker created, a fiber
// created with each kind of stack, and a mux round, at one CPU and spread: every row has both
// figures, their ratio, and the CPUs versus plans.
TEST_F(BaselineTest, EachComparisonGivesBothFiguresAndTheirRatio) {
  const std::string csv = (dir_ / "baseline.csv").string();
  const Said said = baseline({"--only", "^(pipe ping-pong|pipe stream|fork|fiber create|mux round, 100 pairs.*epoll)",
                              "--repetitions", "1", "--scale", "0.02", "--csv", csv,
                              "--versus-out", (dir_ / "versus").string()});
  ASSERT_EQ(said.code, 0) << said.out << said.err;
  const CsvTable t = read_csv_file(csv);
  EXPECT_EQ(t.header, kColumns);
  const std::vector<std::string> whats = {"pipe ping-pong 64 B, processes, p50",
                                          "pipe stream 64 KiB messages, processes",
                                          "pipe stream 64 KiB messages, the bare reader checking each too",
                                          "fork + waitpid, per worker",
                                          "fiber create + run + destroy, stack fixed",
                                          "fiber create + run + destroy, stack protected",
                                          "fiber create + run + destroy, stack pooled",
                                          "mux round, 100 pairs, 10 active, epoll"};
  ASSERT_EQ(t.rows.size(), 2 * whats.size());
  const bool two_cores = Topology::here().cores() >= 2;
  for (const auto& row : t.rows) {
    auto at = [&](const char* column) { return row[size_t(t.column(column))]; };
    SCOPED_TRACE(at("what") + " " + at("placement"));
    EXPECT_NE(std::find(whats.begin(), whats.end(), at("what")), whats.end());
    const std::vector<int> cpus = parse_cpu_list(at("cpus"));
    const bool two_ends = at("what").starts_with("pipe");
    if (at("placement") == "same" || !two_ends) {
      ASSERT_FALSE(cpus.empty());
      EXPECT_TRUE(std::all_of(cpus.begin(), cpus.end(), [&](int c) { return c == cpus[0]; }));
    } else {
      ASSERT_EQ(at("placement"), "spread");
      if (!two_cores) continue;  // spread pairs are unsupported there, and the note says so
      ASSERT_EQ(cpus.size(), 2u);
      EXPECT_NE(cpus[0], cpus[1]);
    }
    EXPECT_EQ(at("note"), "");
    EXPECT_EQ(at("versus_n"), "1");  // turns with a figure
    EXPECT_EQ(at("bare_n"), "1");
    const double v = std::stod(at("versus")), b = std::stod(at("bare"));
    EXPECT_GT(v, 0);
    EXPECT_GT(b, 0);
    // One turn: the median of its ratios is its ratio (both figures printed to 4 digits).
    EXPECT_NEAR(std::stod(at("ratio")), v / b, 0.006 + 0.001 * v / b);
    EXPECT_EQ(at("higher_is_better"), at("unit") == "GB/s" ? "1" : "0");
  }
  // The versus half ran those very cells, one `versus run` each, beside its bare measurements: one
  // repetition each, and any run again for interference. The two stream lines are one cell, run
  // once for both.
  std::set<std::string> cells;
  int runs = 0;
  for (const auto& run : std::filesystem::directory_iterator(dir_ / "versus" / "rep-1")) {
    if (!run.is_directory()) continue;
    ++runs;
    const CsvTable versus_rows = read_csv_file((run.path() / "results.csv").string());
    std::set<std::string> here;
    for (const auto& row : versus_rows.rows) here.insert(row[size_t(versus_rows.column("cell"))]);
    EXPECT_EQ(here.size(), 1u) << run.path();
    cells.insert(here.begin(), here.end());
  }
  const size_t distinct = whats.size() - 1;
  EXPECT_EQ(runs, int(2 * distinct));
  EXPECT_EQ(cells.size(), 2 * distinct);
  EXPECT_NE(said.out.find("ratio"), std::string::npos) << said.out;
}

TEST_F(BaselineTest, BadInputIsRefusedNamingWhatIsAccepted) {
  const std::string csv = (dir_ / "baseline.csv").string();
  Said said = baseline({"--placement", "nowhere", "--csv", csv});
  EXPECT_EQ(said.code, 2);
  EXPECT_NE(said.err.find("nowhere"), std::string::npos) << said.err;
  EXPECT_NE(said.err.find("spread"), std::string::npos) << said.err;

  said = baseline({"--only", "no such comparison", "--csv", csv});
  EXPECT_EQ(said.code, 2);
  EXPECT_NE(said.err.find("selects no comparison"), std::string::npos) << said.err;
  EXPECT_NE(said.err.find("fork + waitpid"), std::string::npos) << said.err;

  said = baseline({"--only", "(", "--csv", csv});
  EXPECT_EQ(said.code, 2);
  EXPECT_FALSE(std::filesystem::exists(csv));
}

// A versus that does not run is reported, with what it said, and nothing is written.
TEST_F(BaselineTest, AVersusThatFailsIsReported) {
  const std::string csv = (dir_ / "baseline.csv").string();
  const Said said = baseline({"--only", "^fork", "--placement", "same", "--repetitions", "1", "--scale", "0.01",
                              "--versus", "/bin/false", "--csv", csv});
  EXPECT_EQ(said.code, 1);
  EXPECT_NE(said.err.find("/bin/false run exited with status 1"), std::string::npos) << said.err;
  EXPECT_FALSE(std::filesystem::exists(csv));
}

}  // namespace
}  // namespace versus
