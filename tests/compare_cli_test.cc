// `versus compare` as a CI job runs it: exit codes, formats, bad input; and two real runs of one
// build, back to back, compared clean.
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>
#include <map>
#include <optional>
#include <set>
#include <nlohmann/json.hpp>

#include "bench/results/csv.h"
#include "bench/results/schema.h"
#include "results_rows.h"
#include "versus_binary.h"

namespace fs = std::filesystem;

namespace versus {
namespace {

class CompareCliTest : public ScratchFolderTest {
 protected:
  // A results folder with cell "cpu/x" at `center` seconds (+-1%) and "cpu/y" at 1 s.
  // Two cells of 7 rows each, cpu/x around `center` seconds; `odd_wall`, when given, is the wall
  // time of cpu/x's fourth row.
  std::string run_at(const std::string& name, double center, std::vector<std::string> cells = {"cpu/x", "cpu/y"},
                     std::optional<double> odd_wall = std::nullopt) {
    const fs::path out = dir_ / name;
    fs::create_directories(out);
    ResultsWriter w((out / "results.csv").string());
    for (const std::string& cell : cells) {
      for (int i = 0; i < 7; ++i) {
        Record r;
        r.cell = cell;
        r.scenario = "cpu";
        r.runner = "serial";
        r.workers = 1;
        r.repetition = i;
        r.wall_s = (cell == "cpu/x" ? center : 1.0) * (1 + 0.01 * std::sin(1.3 * i));
        if (cell == "cpu/x" && i == 3 && odd_wall) r.wall_s = odd_wall;
        r.host = "test";
        w.write(r);
      }
    }
    std::ofstream(out / "env.json") << R"({"cpu_model": "Test CPU", "logical_cores": 2, "physical_cores": 2})";
    return out.string();
  }
};

TEST_F(CompareCliTest, ExitCodesFollowTheVerdicts) {
  const std::string base = run_at("base", 1.0);
  const Ran same = versus(fmt::format("compare {} {}", base, run_at("same", 1.0)));
  EXPECT_EQ(same.code, 0) << same.output;
  EXPECT_NE(same.output.find("ok: 2 unchanged"), std::string::npos) << same.output;

  const std::string slower_run = run_at("slower", 1.3);
  const Ran slower = versus(fmt::format("compare {} {}", base, slower_run));
  EXPECT_EQ(slower.code, 1) << slower.output;
  EXPECT_NE(slower.output.find("REGRESSED: 1 regressed, 1 unchanged"), std::string::npos) << slower.output;

  const Ran faster = versus(fmt::format("compare {} {}/results.csv", base, run_at("faster", 0.7)));
  EXPECT_EQ(faster.code, 0) << faster.output;
  EXPECT_NE(faster.output.find("improved"), std::string::npos) << faster.output;

  // A 30% slowdown under a 50% threshold is not a regression.
  EXPECT_EQ(versus(fmt::format("compare {} {} --threshold 50%", base, slower_run)).code, 0);
}

TEST_F(CompareCliTest, FormatsAndTheMarkdownFile) {
  const std::string base = run_at("base", 1.0), slower = run_at("slower", 1.3);
  const Ran json = versus(fmt::format("compare {} {} --format json", base, slower));
  EXPECT_EQ(json.code, 1);
  const auto j = nlohmann::json::parse(json.output);
  EXPECT_TRUE(j["regressed"].get<bool>());
  EXPECT_EQ(j["settings"]["threshold"], 0.05);
  ASSERT_EQ(j["cells"].size(), 2u);
  EXPECT_EQ(j["cells"][0]["verdict"], "regressed");
  EXPECT_NEAR(j["cells"][0]["change"].get<double>(), 0.3, 0.02);

  const fs::path summary = dir_ / "summary.md";
  const Ran md = versus(fmt::format("compare {} {} --format markdown --markdown {}", base, slower, summary.string()));
  EXPECT_EQ(md.code, 1);
  EXPECT_EQ(md.output.rfind("## versus compare: regression", 0), 0u) << md.output;
  std::ifstream in(summary);
  const std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(written, md.output);
}

TEST_F(CompareCliTest, BadInputExitsTwoNamingWhatWasWrong) {
  const std::string base = run_at("base", 1.0);
  const fs::path bad = dir_ / "bad" / "results.csv";
  fs::create_directories(bad.parent_path());
  {
    std::ifstream in(fs::path(base) / "results.csv");
    std::string header, row;
    std::getline(in, header);
    std::getline(in, row);
    std::ofstream(bad) << header << "\n" << row << "\n" << row << ",extra\n";
  }
  struct Case {
    std::string args, says;
  } cases[] = {
      {fmt::format("compare {} {}", base, bad.parent_path().string()),
       fmt::format("{}:3: expected {} fields", bad.string(), result_header().size())},
      {fmt::format("compare {} {}/nowhere", base, dir_.string()), "nowhere: no such file or folder"},
      {fmt::format("compare {} {} --threshold lots", base, base), "--threshold: 'lots' is not accepted"},
      {fmt::format("compare {} {} --format html", base, base), "accepted: console, markdown, json"},
      {fmt::format("compare {} {} --measures colour", base, base), "--measures: 'colour' is not accepted"},
      {fmt::format("compare {} {} --normalize cpu/z", base, base), "--normalize cpu/z: no such cell"},
      {fmt::format("compare {}", base), "current is required"},
      {fmt::format("compare {} {}", base, run_at("nan", 1.0, {"cpu/x", "cpu/y"}, std::nan(""))),
       "results.csv:5: an ok row with wall_s = nan; accepted: a finite number >= 0"},
      {fmt::format("compare {} {}", base, run_at("negative", 1.0, {"cpu/x", "cpu/y"}, -0.5)),
       "results.csv:5: an ok row with wall_s = -0.5"},
      {fmt::format("compare {} {}", base, run_at("other", 1.0, {"ipc/a", "ipc/b"})),
       "have no cell in common (2 and 2 cells; the first of each: cpu/x and ipc/a)"},
  };
  for (const auto& c : cases) {
    const fs::path md = dir_ / "never.md";
    const Ran ran = versus(c.args + " --markdown " + md.string());
    EXPECT_EQ(ran.code, 2) << c.args << "\n" << ran.output;
    EXPECT_NE(ran.output.find(c.says), std::string::npos) << c.args << "\n" << ran.output;
    EXPECT_FALSE(fs::exists(md)) << c.args << " wrote a report";
  }
}

// Two runs of the same build, one after the other, on whatever else this machine is doing: the
// gate must stay green. A small matrix of the ci preset's kind (interleaved, a warm-up, enough
// repetitions, pinned); every cell tens of milliseconds or less, so the pair takes well under a
// minute. The threshold is generous: this VM's CPUs have fast and slow spells (a bare ping-pong
// 1.38x apart in 30 runs back to back, reports/baselines/README.md) and the test is of the rule,
// not of the machine: a margin or interval computed wrongly flags a cell that moved a few
// percent, and two runs a spell apart (20 ms and 30 ms here once) must not.
TEST_F(CompareCliTest, BackToBackRunsOfOneBuildCompareClean) {
  const fs::path preset = dir_ / "tiny-ci.toml";
  std::ofstream(preset) << R"(repetitions = 9
warmup = 1
benchmark_args = ["--benchmark_enable_random_interleaving=true"]
[[matrix]]
scenario = ["cpu"]
runner = ["serial", "pthread"]
workers = [1]
[matrix.set]
count = [100000]
placement = ["spread"]
[[matrix]]
scenario = ["sync"]
runner = ["serial", "fiber"]
workers = [2]
[matrix.set]
increments = [200000]
placement = ["spread"]
)";
  for (const char* name : {"first", "second"}) {
    const Ran ran = versus(fmt::format("run --preset {} --quiet --out {}", preset.string(), (dir_ / name).string()));
    ASSERT_EQ(ran.code, 0) << ran.output;
  }
  const Ran cmp = versus(
      fmt::format("compare {} {} --threshold 100%", (dir_ / "first").string(), (dir_ / "second").string()));
  EXPECT_EQ(cmp.code, 0) << cmp.output;
  EXPECT_NE(cmp.output.find("ok: "), std::string::npos) << cmp.output;
  EXPECT_EQ(cmp.output.find("incomparable"), std::string::npos) << "same machine, enough repetitions\n" << cmp.output;
}

// --ab: two builds (here one build twice) measured in turns; each side a results folder of its
// own, every repetition of every cell on both, and compare reads the pair.
TEST_F(CompareCliTest, AbRunWritesBothSidesRepetitionByRepetition) {
  const fs::path out = dir_ / "ab";
  const std::string matrix = "--scenario cpu --runner serial,pthread --workers 1 --set count=20000 --repetitions 3";
  const Ran ran = versus(fmt::format("run --ab {} {} --quiet --out {}", VERSUS_BINARY, matrix, out.string()));
  ASSERT_EQ(ran.code, 0) << ran.output;
  for (const char* side : {"old", "new"}) {
    const std::vector<Record> rows = repetition_rows((out / side / "results.csv").string());
    ASSERT_EQ(rows.size(), 6u) << side;
    std::map<std::string, std::set<int>> repetitions;
    for (const Record& r : rows) {
      EXPECT_EQ(r.status, Status::kOk) << r.message;
      EXPECT_EQ(r.result, 1472u) << "primes in [1000000, 1020000)";
      repetitions[r.runner].insert(r.repetition);
    }
    EXPECT_EQ(repetitions["serial"], (std::set<int>{0, 1, 2})) << side;
    EXPECT_EQ(repetitions["pthread"], (std::set<int>{0, 1, 2})) << side;
    std::ifstream env_in(out / side / "env.json");
    const nlohmann::json env = nlohmann::json::parse(env_in);
    EXPECT_EQ(env["ab"]["role"], side);
    EXPECT_TRUE(env.contains("cpu_model"));
  }
  EXPECT_FALSE(fs::exists(out / ".invocation")) << "the scratch folder of one invocation is removed";
  const Ran cmp = versus(fmt::format("compare {} {}", (out / "old").string(), (out / "new").string()));
  EXPECT_NE(cmp.code, 2) << cmp.output;
  // A build that cannot run the cell leaves failed rows saying so, and the run goes on.
  const fs::path failing = dir_ / "ab-false";
  const Ran against_false = versus(fmt::format("run --ab /bin/false {} --quiet --out {}", matrix, failing.string()));
  ASSERT_EQ(against_false.code, 0) << against_false.output;
  const std::vector<Record> old_rows = repetition_rows((failing / "old" / "results.csv").string());
  ASSERT_EQ(old_rows.size(), 6u);
  const Record& r = old_rows.front();
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_NE(r.message.find("the old build (/bin/false) exited with status 1"), std::string::npos) << r.message;
  EXPECT_EQ(repetition_rows((failing / "new" / "results.csv").string()).size(), 6u);
  // No such build: refused before anything is written.
  const fs::path missing = dir_ / "ab-missing";
  const Ran refused = versus(fmt::format("run --ab {} {} --quiet --out {}", (dir_ / "nope").string(), matrix,
                                         missing.string()));
  EXPECT_EQ(refused.code, 2) << refused.output;
  EXPECT_NE(refused.output.find("not an executable file"), std::string::npos) << refused.output;
  EXPECT_FALSE(fs::exists(missing));
}

// A repetition that crashes under either build keeps its own row and reason on both sides: the
// invocation that ran it measured nothing (exit 3), which is not a build that cannot run.
TEST_F(CompareCliTest, AbRunKeepsACrashedRepetitionsOwnRow) {
  const fs::path out = dir_ / "ab";
  const Ran ran = versus(fmt::format(
      "run --ab {} --scenario selftest --runner fork --workers 1 --set fault=crash --repetitions 1 --quiet --out {}",
      VERSUS_BINARY, out.string()));
  ASSERT_EQ(ran.code, 0) << ran.output;
  for (const char* side : {"old", "new"}) {
    const std::vector<Record> rows = repetition_rows((out / side / "results.csv").string());
    ASSERT_EQ(rows.size(), 1u) << side;
    EXPECT_EQ(rows.front().status, Status::kCrashed) << side << ": " << rows.front().message;
  }
}

}  // namespace
}  // namespace versus
