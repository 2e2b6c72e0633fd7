// The built binary over a long run: interrupt and resume, a second run into a folder in use, shards and merge.
#include <gtest/gtest.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string_view>
#include <vector>
#include <nlohmann/json.hpp>

#include "bench/api/params.h"
#include "bench/api/scenario.h"
#include "bench/results/csv.h"
#include "bench/results/schema.h"
#include "bench/sys/child.h"
#include "runners/registry.h"
#include "scenarios/registry.h"
#include "results_rows.h"
#include "versus_binary.h"

namespace fs = std::filesystem;

namespace versus {
namespace {

// Repetitions per cell (an attempt set aside and run again counts once: tests/results_rows.h).
std::map<std::string, int> rows_per_cell(const fs::path& csv) {
  std::map<std::string, int> n;
  for (const Record& r : repetition_rows(csv.string())) ++n[r.cell];
  return n;
}

// Rows in a results file being written, 0 while it is absent or torn.
size_t rows_per_cell_safe(const fs::path& csv) {
  try {
    size_t n = 0;
    for (const auto& [cell, count] : rows_per_cell(csv)) n += size_t(count);
    return n;
  } catch (const std::exception&) {
    return 0;
  }
}

// Waits until a run writing `csv` has finished its first cell (two rows), for up to two minutes:
// the first cell comes after the run's one-second system check and its start-up, which under a
// parallel ctest on two cores took more than 6 s. Returns the rows then.
size_t wait_for_first_cell(const fs::path& csv) {
  for (int i = 0; i < 12000 && rows_per_cell_safe(csv) < 2; ++i) usleep(10000);
  return rows_per_cell_safe(csv);
}

// Processes whose environment carries `mark`.
std::vector<pid_t> processes_marked(const std::string& mark) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "environ", std::ios::binary);
    std::string var;
    while (std::getline(in, var, '\0')) {
      if (var == mark) out.push_back(std::stoi(name));
    }
  }
  return out;
}

// A run as it goes wrong over a long time: interrupted and resumed, raced by a second run into
// its folder, split into shards and merged.
class LongRunTest : public ScratchFolderTest {
 protected:
  // Runs a matrix, stops it with `sig` once a cell is in, and resumes it to the end.
  void stop_and_resume(int sig);
};

// Ctrl-C, and SIGHUP (a closed terminal) alike.
TEST_F(LongRunTest, InterruptKeepsFinishedCellsAndResumeRunsExactlyTheRest) {
  for (const int sig : {SIGINT, SIGHUP}) {
    SCOPED_TRACE(strsignal(sig));
    stop_and_resume(sig);
  }
}

void LongRunTest::stop_and_resume(int sig) {
  const fs::path out = dir_ / ("stopped-" + std::to_string(sig));
  const std::string mark_value = std::to_string(getpid()) + "-interrupt-" + std::to_string(sig);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("VERSUS_CLI_TEST", mark_value.c_str(), 1);
    const std::string out_s = out.string();
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execl(VERSUS_BINARY, "versus", "run", "--scenario", "selftest", "--runner", "serial,fork,pthread,fiber",
          "--workers", "2", "--set", "work_ms=150", "--repetitions", "2", "--quiet", "--out", out_s.c_str(), nullptr);
    _exit(kExitCannotExec);
  }
  // Stop it once the first cell is in, with cells still to go.
  const fs::path csv = out / "results.csv";
  wait_for_first_cell(csv);
  ASSERT_EQ(kill(pid, sig), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "ended by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 128 + sig);
  EXPECT_TRUE(processes_marked("VERSUS_CLI_TEST=" + mark_value).empty()) << "a process of the run survived";

  const auto before = rows_per_cell(csv);
  ASSERT_GE(before.size(), 1u);
  ASSERT_LT(before.size(), 4u) << "the run finished before it could be interrupted";
  for (const auto& [cell, n] : before) EXPECT_EQ(n, 2) << cell << ": only whole cells are kept";

  const Ran resumed = versus("run --resume " + out.string() + " --quiet");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  const auto after = rows_per_cell(csv);
  EXPECT_EQ(after.size(), 4u);
  for (const auto& [cell, n] : after) EXPECT_EQ(n, 2) << cell;
  EXPECT_NE(resumed.output.find(fmt::format("{} of 4 cells complete", before.size())), std::string::npos)
      << resumed.output;
  // Nothing left to do: a second resume runs nothing.
  const Ran again = versus("run --resume " + out.string() + " --quiet");
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.output.find("nothing left to run"), std::string::npos) << again.output;
  EXPECT_EQ(again.output.find("Failed to match"), std::string::npos) << again.output;
  EXPECT_EQ(rows_per_cell(csv), after);
}

std::string file_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// A versus run in the background, its output thrown away; killed and reaped if the test ends
// before it does.
class BackgroundRun {
 public:
  explicit BackgroundRun(std::vector<std::string> args) {
    args.insert(args.begin(), "versus");
    pid_ = fork();
    if (pid_ == 0) {
      freopen("/dev/null", "w", stdout);
      freopen("/dev/null", "w", stderr);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(VERSUS_BINARY, argv.data());
      _exit(127);
    }
  }
  BackgroundRun(const BackgroundRun&) = delete;
  BackgroundRun& operator=(const BackgroundRun&) = delete;
  ~BackgroundRun() {
    if (pid_ > 0) stop(SIGKILL);
  }
  pid_t pid() const { return pid_; }
  // Sends `sig` and returns the exit status, or 128 + the signal that ended it.
  int stop(int sig) {
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
};

TEST_F(LongRunTest, ASecondRunIntoAFolderInUseIsRefusedTouchingNothing) {
  const fs::path out = dir_ / "busy";
  // Its first cell done, the run waits in the second one's second repetition until stopped.
  BackgroundRun first({"run",
                       "--scenario",
                       "selftest",
                       "--runner",
                       "serial",
                       "--workers",
                       "1",
                       "--repetitions",
                       "2",
                       "--set",
                       "work_ms=1",
                       "--set",
                       "fault=none,hang",
                       "--set",
                       "fault_repetition=1",
                       "--cell-timeout",
                       "300",
                       "--quiet",
                       "--out",
                       out.string()});
  ASSERT_GT(first.pid(), 0);
  const fs::path csv = out / "results.csv";
  ASSERT_EQ(wait_for_first_cell(csv), 2u) << "the first run never finished its first cell";
  const std::string env = file_text(out / "env.json"), matrix = file_text(out / "matrix.json"), rows = file_text(csv);

  const std::string in_use =
      fmt::format("{} is in use by another versus run or merge (pid {},", out.string(), first.pid());
  const Ran second = versus(
      "run --scenario cpu --runner serial --workers 1 --repetitions 1 --set count=1000 --quiet "
      "--out " +
      out.string());
  EXPECT_EQ(second.code, 2) << second.output;
  EXPECT_NE(second.output.find(in_use), std::string::npos) << second.output;
  const Ran resumed = versus("run --resume " + out.string() + " --quiet");
  EXPECT_EQ(resumed.code, 2) << resumed.output;
  EXPECT_NE(resumed.output.find(in_use), std::string::npos) << resumed.output;
  EXPECT_EQ(file_text(out / "env.json"), env);
  EXPECT_EQ(file_text(out / "matrix.json"), matrix);
  EXPECT_EQ(file_text(csv), rows);

  EXPECT_EQ(first.stop(SIGINT), 128 + SIGINT);
  const auto cells = rows_per_cell(csv);
  ASSERT_EQ(cells.size(), 1u);
  EXPECT_NE(cells.begin()->first.find("fault=none"), std::string::npos);
  // The folder is free again: what refuses a new run now is the results it holds.
  const Ran after = versus(
      "run --scenario cpu --runner serial --workers 1 --repetitions 1 --set count=1000 --quiet "
      "--out " +
      out.string());
  EXPECT_EQ(after.code, 2);
  EXPECT_NE(after.output.find("already holds results"), std::string::npos) << after.output;
}

TEST_F(LongRunTest, RunsWithoutOutNeverShareTheDefaultFolder) {
  // Other runs' folders under each name a run started in the next seconds would take by default.
  const fs::path results = dir_ / "results";
  std::set<fs::path> theirs;
  const std::time_t now = std::time(nullptr);
  for (int s = -1; s <= 10; ++s) {
    const fs::path folder = results / fmt::format("run-{:%Y%m%d-%H%M%S}", fmt::localtime(now + s));
    fs::create_directories(folder);
    std::ofstream(folder / "results.csv") << "another run's\n";
    theirs.insert(folder);
  }
  const Ran ran =
      versus("run --scenario cpu --runner serial --workers 1 --repetitions 1 --set count=1000 --quiet", dir_);
  ASSERT_EQ(ran.code, 0) << ran.output;
  std::vector<fs::path> made;
  for (const auto& e : fs::directory_iterator(results)) {
    if (!theirs.count(e.path())) made.push_back(e.path());
  }
  ASSERT_EQ(made.size(), 1u) << ran.output;
  EXPECT_EQ(rows_per_cell(made[0] / "results.csv").size(), 1u);
  EXPECT_NE(ran.output.find("writing results/" + made[0].filename().string() + "/results.csv"), std::string::npos)
      << ran.output;
  for (const auto& folder : theirs) {
    EXPECT_EQ(file_text(folder / "results.csv"), "another run's\n") << folder;
    EXPECT_EQ(std::distance(fs::directory_iterator(folder), fs::directory_iterator()), 1) << folder;
  }
}

TEST_F(LongRunTest, ResumeDropsRowsOfACellCutShort) {
  const fs::path out = dir_ / "partial";
  ASSERT_EQ(
      versus("run --scenario cpu --runner serial,fork --workers 1 --repetitions 2 --set count=1000 --quiet --out " +
             out.string())
          .code,
      0);
  // Cut the file after the third row: the second cell has one of its two rows and half of a line.
  const fs::path csv = out / "results.csv";
  std::ifstream in(csv);
  std::string text((std::istreambuf_iterator<char>(in)), {}), cut;
  size_t pos = 0;
  for (int line = 0; line < 4; ++line) pos = text.find('\n', pos) + 1;
  std::ofstream(csv, std::ios::trunc) << text.substr(0, pos + 10);
  const Ran resumed = versus("run --resume " + out.string() + " --quiet");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("removed 1 rows of cells cut short"), std::string::npos) << resumed.output;
  const auto rows = rows_per_cell(csv);
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& [cell, n] : rows) EXPECT_EQ(n, 2) << cell;
}

TEST_F(LongRunTest, ResumeRefusesWhatItCannotUse) {
  const Ran none = versus("run --resume " + (dir_ / "nothing").string());
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.output.find("matrix.json"), std::string::npos) << none.output;
  const Ran mixed = versus("run --resume " + dir_.string() + " --workers 2");
  EXPECT_EQ(mixed.code, 2);
  EXPECT_NE(mixed.output.find("give no other matrix options"), std::string::npos) << mixed.output;
}

// --system-check 0 in the two tests below: several short runs each, which a second of sampling
// apiece would mostly be; the check is tested in cli_system_check_test.cc.
TEST_F(LongRunTest, ShardsMergedCoverExactlyTheMatrix) {
  const std::string matrix =
      "run --scenario cpu --runner serial,fork,pthread,fiber --workers 1,2,3 --repetitions 1 "
      "--set count=1000 --quiet --system-check 0";
  ASSERT_EQ(versus(matrix + " --out " + (dir_ / "whole").string()).code, 0);
  std::string inputs;
  size_t total = 0;
  for (int k = 1; k <= 3; ++k) {
    const fs::path part = dir_ / ("shard" + std::to_string(k));
    const Ran ran = versus(matrix + " --shard " + std::to_string(k) + "/3 --out " + part.string());
    ASSERT_EQ(ran.code, 0) << ran.output;
    total += rows_per_cell(part / "results.csv").size();
    inputs += " " + part.string();
  }
  EXPECT_EQ(total, 12u) << "the shards do not overlap";
  const Ran merged = versus("merge" + inputs + " -o " + (dir_ / "merged").string());
  ASSERT_EQ(merged.code, 0) << merged.output;
  auto cells = [](const std::map<std::string, int>& m) {
    std::set<std::string> s;
    for (const auto& [k, v] : m) s.insert(k);
    return s;
  };
  EXPECT_EQ(cells(rows_per_cell(dir_ / "merged" / "results.csv")),
            cells(rows_per_cell(dir_ / "whole" / "results.csv")));
  EXPECT_TRUE(fs::exists(dir_ / "merged" / "env.json"));

  const Ran twice = versus("merge " + (dir_ / "shard1").string() + " " + (dir_ / "shard1").string() + " -o " +
                           (dir_ / "dup").string());
  EXPECT_EQ(twice.code, 2);
  EXPECT_NE(twice.output.find("is in"), std::string::npos) << twice.output;
  EXPECT_FALSE(fs::exists(dir_ / "dup" / "results.csv"));

  EXPECT_EQ(versus(matrix + " --shard 4/3 --out " + (dir_ / "bad").string()).code, 2);
}

TEST_F(LongRunTest, MergeRefusesShardsOfDifferentMatricesUnlessAsked) {
  const std::string matrix = "run --scenario cpu --runner serial,fork --workers 1 --quiet --system-check 0";
  const fs::path a = dir_ / "a", b = dir_ / "b", c = dir_ / "c";
  ASSERT_EQ(versus(matrix + " --repetitions 1 --set count=1000 --shard 1/2 --out " + a.string()).code, 0);
  ASSERT_EQ(versus(matrix + " --repetitions 2 --set count=1000 --shard 2/2 --out " + b.string()).code, 0);
  ASSERT_EQ(
      versus(matrix + " --repetitions 1 --set count=2000 --shard 2/2 --benchmark_filter=/fork/ --out " + c.string())
          .code,
      0);

  const Ran reps = versus("merge " + a.string() + " " + b.string() + " -o " + (dir_ / "m1").string());
  EXPECT_EQ(reps.code, 2) << reps.output;
  EXPECT_NE(
      reps.output.find(fmt::format("{} was run with another matrix than {}: /matrix/repetitions: 1 in {}, 2 in {}",
                                   (b / "results.csv").string(), (a / "results.csv").string(),
                                   (a / "matrix.json").string(), (b / "matrix.json").string())),
      std::string::npos)
      << reps.output;
  EXPECT_NE(reps.output.find("--allow-different-matrices"), std::string::npos) << reps.output;
  EXPECT_FALSE(fs::exists(dir_ / "m1")) << "nothing written";

  const Ran set = versus("merge " + a.string() + " " + c.string() + " -o " + (dir_ / "m2").string());
  EXPECT_EQ(set.code, 2) << set.output;
  EXPECT_NE(set.output.find("--benchmark_filter: \"\" in " + (a / "matrix.json").string() + ", \"/fork/\" in"),
            std::string::npos)
      << set.output;
  EXPECT_NE(set.output.find("/matrix/blocks/0/set/0/values/0: \"1000\" in " + (a / "matrix.json").string() +
                            ", \"2000\" in " + (c / "matrix.json").string()),
            std::string::npos)
      << set.output;
  EXPECT_FALSE(fs::exists(dir_ / "m2")) << "nothing written";

  const fs::path joined = dir_ / "joined";
  const Ran allowed =
      versus("merge " + a.string() + " " + b.string() + " -o " + joined.string() + " --allow-different-matrices");
  ASSERT_EQ(allowed.code, 0) << allowed.output;
  EXPECT_NE(allowed.output.find("warning: " + (b / "results.csv").string() + " was run with another matrix"),
            std::string::npos)
      << allowed.output;
  EXPECT_EQ(read_csv_file((joined / "results.csv").string()).rows.size(), 1u + 2u);
  std::ifstream env_in(joined / "env.json");
  const nlohmann::json env = nlohmann::json::parse(env_in);
  ASSERT_EQ(env["merged_from"].size(), 2u);
  EXPECT_EQ(env["merged_from"][0]["matrix"]["repetitions"], 1) << "each input's matrix is kept";
  EXPECT_EQ(env["merged_from"][1]["matrix"]["repetitions"], 2);
}

}  // namespace
}  // namespace versus
