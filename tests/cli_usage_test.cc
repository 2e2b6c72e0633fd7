// `versus run` as a newcomer meets it: every problem of a command line at once, the defaults
// of a bare `--scenario`, and the exit status of a run that measured nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>

#include "bench/api/runner.h"
#include "bench/cli/commands.h"
#include "results_rows.h"
#include "runners/registry.h"
#include "scenarios/registry.h"
#include "versus_binary.h"

namespace fs = std::filesystem;

namespace versus {
namespace {

class RunUsageTest : public ScratchFolderTest {};

// A mistyped scenario is said first, with what is accepted, and the other problems with it.
TEST_F(RunUsageTest, EveryProblemOfACommandLineAtOnceUnknownNamesFirst) {
  const fs::path out = dir_ / "never";
  const Ran ran = versus("run --scenario no_such_thing --runner serial,greenlet --workers 0 --shard 3/2 "
                         "--cell-timeout nan --out " + out.string());
  EXPECT_EQ(ran.code, 2) << ran.output;
  const std::vector<std::string> in_order = {
      "versus: 5 problems:",
      "  - unknown scenario 'no_such_thing'; known scenarios: cpu,",
      "  - unknown runner 'greenlet'; known runners: serial,",
      "  - --cell-timeout: 'nan' is not accepted",
      "  - --shard '3/2': K must be from 1 to N",
      "  - workers: '0' is not accepted",
  };
  size_t at = 0;
  for (const auto& text : in_order) {
    const size_t found = ran.output.find(text, at);
    ASSERT_NE(found, std::string::npos) << "'" << text << "' missing or out of order in:\n" << ran.output;
    at = found + text.size();
  }
  EXPECT_FALSE(fs::exists(out));

  // The issue's own case: only the name was wrong, and that is what is said.
  const Ran one = versus("run --scenario no_such_thing --runner serial --out " + out.string());
  EXPECT_EQ(one.code, 2);
  EXPECT_EQ(one.output.rfind("versus: unknown scenario 'no_such_thing'; known scenarios: ", 0), 0u) << one.output;
  EXPECT_EQ(one.output.find("worker count"), std::string::npos) << one.output;
}

// `versus run --scenario cpu` runs: every runner that drives the scenario, at 1 worker and at
// the core count, and says what it took.
TEST_F(RunUsageTest, ABareScenarioRunsEveryRunnerThatDrivesItAtOneWorkerAndTheCores) {
  const int cores = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  std::set<std::pair<std::string, int>> expected;
  std::vector<std::string> names;
  for (const Runner* r : all_runners()) {
    if (!(r->shapes() & kTaskShape)) continue;
    names.emplace_back(r->name());
    for (int w : std::set<int>{1, cores}) expected.emplace(r->name(), w);
  }
  const fs::path out = dir_ / "out";
  const Ran ran = versus("run --scenario cpu --set count=20000 --repetitions 1 --quiet --system-check 0 --out " +
                         out.string());
  ASSERT_EQ(ran.code, 0) << ran.output;
  std::string workers = "1";
  if (cores > 1) workers += "," + std::to_string(cores);
  std::string runners;
  for (const auto& n : names) runners += (runners.empty() ? "" : ",") + n;
  EXPECT_NE(ran.output.find("versus: not given, taken as: --runner " + runners + " --workers " + workers),
            std::string::npos)
      << ran.output;
  std::set<std::pair<std::string, int>> ran_cells;
  for (const Record& r : repetition_rows((out / "results.csv").string())) ran_cells.emplace(r.runner, r.workers);
  EXPECT_EQ(ran_cells, expected);
}

// Every row crashed: the rows are kept and say why, and the exit status is not 0's "figures".
TEST_F(RunUsageTest, ARunThatMeasuredNothingExitsThree) {
  const fs::path out = dir_ / "out";
  const Ran ran = versus("run --scenario selftest --runner fork,pthread --workers 2 --repetitions 2 "
                         "--set fault=crash --quiet --system-check 0 --out " + out.string());
  EXPECT_EQ(ran.code, kExitNothingMeasured) << ran.output;
  EXPECT_NE(ran.output.find("versus: no repetition was measured: the 4 rows are"), std::string::npos) << ran.output;
  const std::vector<Record> rows = repetition_rows((out / "results.csv").string());
  ASSERT_EQ(rows.size(), 4u);
  for (const Record& r : rows) EXPECT_NE(r.status, Status::kOk) << r.cell;

  // One ok cell beside the crashed ones: figures to look at, exit 0.
  const Ran mixed = versus("run --scenario selftest --runner fork,pthread --workers 2 --repetitions 1 "
                           "--set fault=crash,none --quiet --system-check 0 --out " + (dir_ / "mixed").string());
  EXPECT_EQ(mixed.code, 0) << mixed.output;
}

// --dry-run: every cell with its estimate or why it cannot run here, totals by scenario and in
// all, and nothing written.
TEST_F(RunUsageTest, DryRunPrintsTheCellsAndTheirTimeAndWritesNothing) {
  const fs::path out = dir_ / "never";
  const Ran ran = versus("run --scenario cpu,mux --runner serial,epoll --workers 1,2 --set count=20000 "
                         "--repetitions 4 --dry-run --out " + out.string());
  ASSERT_EQ(ran.code, 0) << ran.output;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_NE(ran.output.find("versus: dry run; nothing is run or written"), std::string::npos) << ran.output;
  // serial drives cpu, not mux; epoll drives mux, not cpu; mux takes one worker.
  for (const char* cell : {"cpu/serial/workers:1/", "cpu/serial/workers:2/", "mux/epoll/workers:1/"}) {
    const size_t at = ran.output.find(std::string("\n  ") + cell);
    ASSERT_NE(at, std::string::npos) << cell << "\n" << ran.output;
    const std::string line = ran.output.substr(at + 1, ran.output.find('\n', at + 1) - at - 1);
    EXPECT_NE(line.find("  4 x "), std::string::npos) << line;
  }
  EXPECT_NE(ran.output.find("mux/epoll/workers:2/"), std::string::npos);
  EXPECT_NE(ran.output.find("unsupported here: mux: the descriptors are set by fds; workers must be 1"),
            std::string::npos)
      << ran.output;
  EXPECT_NE(ran.output.find("cpu/epoll/workers:1/"), std::string::npos);
  const size_t total = ran.output.find("\nin all ");
  ASSERT_NE(total, std::string::npos) << ran.output;
  // 2 scenarios x 2 runners x 2 worker counts, 4 repetitions each.
  EXPECT_EQ(ran.output.substr(total, 40).find("in all          8"), 1u) << ran.output.substr(total);
  EXPECT_NE(ran.output.substr(total).find("32"), std::string::npos) << ran.output.substr(total);

  const Ran with_resume = versus("run --resume " + out.string() + " --dry-run");
  EXPECT_EQ(with_resume.code, 2) << with_resume.output;
}

}  // namespace
}  // namespace versus
