// `versus compare`'s verdicts over small results written by the test itself.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "bench/compare/compare.h"
#include "bench/results/schema.h"

namespace fs = std::filesystem;

namespace versus {
namespace {

// Repetition times around `center` with a fixed, symmetric spread of +-`spread` (a fraction).
std::vector<double> around(double center, double spread, int n = 7) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) out.push_back(center * (1 + spread * std::sin(1.7 * i + 0.3)));
  return out;
}

Record row(const std::string& cell, int repetition, double wall) {
  Record r;
  r.cell = cell;
  r.scenario = cell.substr(0, cell.find('/'));
  r.runner = "serial";
  r.workers = 1;
  r.repetition = repetition;
  r.wall_s = wall;
  r.ops = 1000;
  r.ops_per_s = 1000 / wall;
  r.cpu_user_s = wall;
  r.cpu_sys_s = 0;
  r.host = "test";
  return r;
}

class CompareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/versus-compare-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes a results folder with one cell per entry and returns its path.
  std::string write_run(const std::string& name, const std::map<std::string, std::vector<double>>& cells,
                        const std::string& cpu = "Test CPU", int cores = 2) {
    const fs::path out = dir_ / name;
    fs::create_directories(out);
    {
      ResultsWriter w((out / "results.csv").string());
      for (const auto& [cell, walls] : cells) {
        for (size_t i = 0; i < walls.size(); ++i) w.write(row(cell, static_cast<int>(i), walls[i]));
      }
    }
    std::ofstream(out / "env.json") << nlohmann::json{
        {"cpu_model", cpu}, {"logical_cores", cores}, {"physical_cores", cores}};
    return out.string();
  }

  Comparison compare(const std::string& a, const std::string& b, CompareSettings s = {}) {
    return compare_runs(load_results(a), load_results(b), s);
  }

  static const CellComparison& only(const Comparison& c, const std::string& cell) {
    for (const auto& x : c.cells) {
      if (x.cell == cell) return x;
    }
    throw std::runtime_error("no comparison for " + cell);
  }

  fs::path dir_;
};

TEST_F(CompareTest, ClearRegressionIsFlagged) {
  const auto c =
      compare(write_run("a", {{"cpu/x", around(1.0, 0.01)}}), write_run("b", {{"cpu/x", around(1.2, 0.01)}}));
  const auto& x = only(c, "cpu/x");
  EXPECT_EQ(x.verdict, Verdict::kRegressed);
  EXPECT_NEAR(*x.change, 0.2, 0.01);
  EXPECT_GT(*x.change_low, 0.05);
  EXPECT_LT(*x.p_value, 0.001);
  EXPECT_TRUE(c.regressed());
}

// detectable: a slowdown past it is flagged, one under the margin is not, and a noisier cell
// can see less.
TEST_F(CompareTest, DetectableChangeIsTheSmallestSlowdownFlagged) {
  const auto base = write_run("a", {{"cpu/x", around(1.0, 0.01)}, {"cpu/noisy", around(1.0, 0.2)}});
  const auto same = compare(base, write_run("b", {{"cpu/x", around(1.0, 0.01)}, {"cpu/noisy", around(1.0, 0.2)}}));
  const auto& quiet = only(same, "cpu/x");
  ASSERT_TRUE(quiet.detectable.has_value());
  EXPECT_GE(*quiet.detectable, *quiet.margin);
  EXPECT_GT(*only(same, "cpu/noisy").detectable, *quiet.detectable);
  const double d = *quiet.detectable;
  EXPECT_EQ(only(compare(base, write_run("c", {{"cpu/x", around(1.0 + d + 0.02, 0.01)}})), "cpu/x").verdict,
            Verdict::kRegressed);
  EXPECT_NE(only(compare(base, write_run("d", {{"cpu/x", around(1.0 + 0.8 * *quiet.margin, 0.01)}})), "cpu/x").verdict,
            Verdict::kRegressed);
}

// Work sized by --min-time may differ between runs: times are then compared per unit of work,
// so twice the work in twice the time is no change, and the same work in more time still is one.
TEST_F(CompareTest, WorkSizedDifferentlyIsComparedPerUnitOfWork) {
  const auto sized_run = [&](const std::string& name, const std::string& work, double center) {
    const fs::path out = dir_ / name;
    fs::create_directories(out);
    std::ofstream(out / "env.json") << nlohmann::json{
        {"cpu_model", "Test CPU"}, {"logical_cores", 2}, {"physical_cores", 2}};
    ResultsWriter w((out / "results.csv").string());
    const auto walls = around(center, 0.01);
    for (size_t i = 0; i < walls.size(); ++i) {
      Record r = row("cpu/x/count=auto", static_cast<int>(i), walls[i]);
      r.work_size = work;
      w.write(r);
    }
    return out.string();
  };
  const auto base = sized_run("a", "count=1000000", 1.0);
  const auto doubled = compare(base, sized_run("b", "count=2000000", 2.0));
  const auto& same = only(doubled, "cpu/x/count=auto");
  EXPECT_EQ(same.verdict, Verdict::kUnchanged);
  EXPECT_NEAR(*same.change, 0.0, 0.01);
  EXPECT_NE(same.note.find("work sized differently (count=1000000 in the baseline, count=2000000 now)"),
            std::string::npos)
      << same.note;
  const auto slower = compare(base, sized_run("c", "count=2000000", 2.4));
  EXPECT_EQ(only(slower, "cpu/x/count=auto").verdict, Verdict::kRegressed);
  EXPECT_NEAR(*only(slower, "cpu/x/count=auto").change, 0.2, 0.01);
  // The same work needs no scaling, and says nothing of it.
  const auto as_before = compare(base, sized_run("d", "count=1000000", 1.0));
  EXPECT_EQ(only(as_before, "cpu/x/count=auto").note.find("work sized"), std::string::npos);
}

// A repetition set aside for interference is no evidence: ten times slower, it moves nothing. A
// current run split in two groups is marked unstable, with its cause.
TEST_F(CompareTest, SetAsideRowsAreLeftOutAndUnstableCellsSaySo) {
  const auto base = write_run("a", {{"cpu/x", around(1.0, 0.01)}});
  const fs::path b = dir_ / "b";
  fs::create_directories(b);
  fs::copy_file(fs::path(base) / "env.json", b / "env.json");
  {
    ResultsWriter w((b / "results.csv").string());
    for (int i = 0; i < 7; ++i) {
      Record aside = row("cpu/x", i, 10.0);
      aside.interfered = 0.5;
      w.write(aside);
      w.write(row("cpu/x", i, 1.0 + 0.001 * i));
    }
  }
  const Comparison with_aside = compare(base, b.string());
  const auto& x = only(with_aside, "cpu/x");
  EXPECT_NE(x.verdict, Verdict::kRegressed);
  EXPECT_EQ(x.current_n, 7);
  EXPECT_EQ(x.current_set_aside, 7);
  EXPECT_TRUE(x.unstable.empty()) << x.unstable;
  std::vector<double> split = around(1.0, 0.01);
  for (size_t i = 0; i < 3; ++i) split[i] *= 2;
  const Comparison split_run = compare(base, write_run("c", {{"cpu/x", split}}));
  const auto& two = only(split_run, "cpu/x");
  EXPECT_EQ(two.unstable.rfind("current: two groups", 0), 0u) << two.unstable;
  EXPECT_NE(two.unstable.find("(placement none)"), std::string::npos) << two.unstable;
}

TEST_F(CompareTest, ImprovementIsReported) {
  const auto c =
      compare(write_run("a", {{"cpu/x", around(1.0, 0.01)}}), write_run("b", {{"cpu/x", around(0.8, 0.01)}}));
  EXPECT_EQ(only(c, "cpu/x").verdict, Verdict::kImproved);
  EXPECT_FALSE(c.regressed());
}

TEST_F(CompareTest, SignificantButSmallChangeIsNotARegression) {
  // 2% slower, every repetition: the test rejects, but the change is under the 5% threshold.
  const auto c =
      compare(write_run("a", {{"cpu/x", around(1.0, 0.002)}}), write_run("b", {{"cpu/x", around(1.02, 0.002)}}));
  const auto& x = only(c, "cpu/x");
  EXPECT_LT(*x.p_value, 0.01);
  EXPECT_EQ(x.verdict, Verdict::kUnchanged);
}

TEST_F(CompareTest, NoiseWithinThresholdIsNotFlagged) {
  // Same center, 10% spread, samples drawn at other phases.
  std::vector<double> b;
  for (int i = 0; i < 7; ++i) b.push_back(1.0 * (1 + 0.1 * std::cos(2.9 * i)));
  const auto c = compare(write_run("a", {{"cpu/x", around(1.0, 0.1)}}), write_run("b", {{"cpu/x", b}}));
  EXPECT_EQ(only(c, "cpu/x").verdict, Verdict::kUnchanged);
}

TEST_F(CompareTest, NoisyShiftNearTheThresholdIsNotProvenButALargeOneIsCaught) {
  const std::string base = write_run("a", {{"ipc/x", around(1.0, 0.15)}, {"ipc/y", around(1.0, 0.15)}});
  const auto c = compare(base, write_run("b", {{"ipc/x", around(1.08, 0.15)}, {"ipc/y", around(2.0, 0.15)}}));
  EXPECT_EQ(only(c, "ipc/x").verdict, Verdict::kUnchanged);
  EXPECT_NE(only(c, "ipc/x").note.find("not proven"), std::string::npos) << only(c, "ipc/x").note;
  EXPECT_EQ(only(c, "ipc/y").verdict, Verdict::kRegressed);
}

TEST_F(CompareTest, AShiftWithinTheCellsOwnSpreadIsNotARegression) {
  // 20 repetitions spread +-15%, 20% slower: significant, the interval clears 5%, but a whole run
  // of a cell this noisy moves that much on a shared machine.
  const auto c = compare(write_run("a", {{"sync/x", around(1.0, 0.15, 20)}, {"sync/y", around(1.0, 0.15, 20)}}),
                         write_run("b", {{"sync/x", around(1.2, 0.15, 20)}, {"sync/y", around(1.8, 0.15, 20)}}));
  const auto& x = only(c, "sync/x");
  EXPECT_EQ(x.verdict, Verdict::kUnchanged);
  EXPECT_GT(*x.change_low, 0.05) << "past the threshold alone";
  EXPECT_GT(*x.margin, 0.15);
  EXPECT_NE(x.note.find("the cell's own spread"), std::string::npos) << x.note;
  EXPECT_EQ(only(c, "sync/y").verdict, Verdict::kRegressed) << "a change past the spread is caught";
  CompareSettings threshold_alone;
  threshold_alone.noise_floor = 0;
  const auto quiet = compare(dir_.string() + "/a", dir_.string() + "/b", threshold_alone);
  EXPECT_EQ(only(quiet, "sync/x").verdict, Verdict::kRegressed) << "on a quiet machine, --noise-floor 0";
}

TEST_F(CompareTest, NewAndMissingCells) {
  const auto c = compare(write_run("a", {{"cpu/old", around(1, 0.01)}, {"cpu/kept", around(1, 0.01)}}),
                         write_run("b", {{"cpu/new", around(1, 0.01)}, {"cpu/kept", around(1, 0.01)}}));
  EXPECT_EQ(only(c, "cpu/old").verdict, Verdict::kMissing);
  EXPECT_EQ(only(c, "cpu/new").verdict, Verdict::kNew);
  EXPECT_EQ(only(c, "cpu/kept").verdict, Verdict::kUnchanged);
  EXPECT_FALSE(c.regressed()) << "new and missing cells do not fail the gate";
}

TEST_F(CompareTest, TooFewRepetitionsAreIncomparableNotUnchanged) {
  const auto c =
      compare(write_run("a", {{"cpu/x", around(1, 0.01, 3)}}), write_run("b", {{"cpu/x", around(3, 0.01, 3)}}));
  const auto& x = only(c, "cpu/x");
  EXPECT_EQ(x.verdict, Verdict::kIncomparable);
  EXPECT_NE(x.note.find("smallest possible p is 0.1"), std::string::npos) << x.note;
}

TEST_F(CompareTest, DifferentMachinesAreIncomparableUnlessIgnored) {
  const std::string a = write_run("a", {{"cpu/x", around(1, 0.01)}});
  const std::string b = write_run("b", {{"cpu/x", around(1.5, 0.01)}}, "Other CPU", 8);
  const auto c = compare(a, b);
  EXPECT_EQ(only(c, "cpu/x").verdict, Verdict::kIncomparable);
  EXPECT_NE(only(c, "cpu/x").note.find("would be regressed"), std::string::npos);
  ASSERT_EQ(c.env_differences.size(), 3u);  // model, logical and physical cores
  EXPECT_NE(c.env_differences[0].find("Other CPU"), std::string::npos);
  CompareSettings ignore;
  ignore.ignore_env = true;
  const auto judged = compare(a, b, ignore);
  EXPECT_EQ(only(judged, "cpu/x").verdict, Verdict::kRegressed);
  EXPECT_EQ(judged.env_differences.size(), 3u) << "still reported";
}

TEST_F(CompareTest, FailedNowIsARegression) {
  const std::string a = write_run("a", {{"cpu/x", around(1, 0.01)}});
  const fs::path b = dir_ / "b";
  fs::create_directories(b);
  {
    ResultsWriter w((b / "results.csv").string());
    for (int i = 0; i < 7; ++i) {
      Record r = row("cpu/x", i, 1.0);
      if (i >= 2) {
        r.status = Status::kCrashed;
        r.message = "SIGSEGV";
        r.wall_s.reset();
      }
      w.write(r);
    }
  }
  const auto c = compare(a, b.string());
  const auto& x = only(c, "cpu/x");
  EXPECT_EQ(x.verdict, Verdict::kRegressed);
  EXPECT_NE(x.note.find("failed now: 5 of 7 repetitions not ok, first crashed: SIGSEGV"), std::string::npos) << x.note;
  const auto fixed = compare(b.string(), a);
  EXPECT_EQ(fixed.cells[0].verdict, Verdict::kImproved);
  EXPECT_NE(fixed.cells[0].note.find("ok now"), std::string::npos) << fixed.cells[0].note;
}

TEST_F(CompareTest, HigherIsBetterForRates) {
  CompareSettings s;
  s.measures = {"ops_per_s"};
  // Slower walls mean fewer operations per second: a rate falling is the regression.
  const auto c =
      compare(write_run("a", {{"cpu/x", around(1.0, 0.01)}}), write_run("b", {{"cpu/x", around(1.25, 0.01)}}), s);
  const auto& x = only(c, "cpu/x");
  EXPECT_EQ(x.measure, "ops_per_s");
  EXPECT_EQ(x.verdict, Verdict::kRegressed);
  EXPECT_NEAR(*x.change, 1 / 1.25 - 1, 0.01);
  const auto better =
      compare(write_run("c", {{"cpu/x", around(1.25, 0.01)}}), write_run("d", {{"cpu/x", around(1.0, 0.01)}}), s);
  EXPECT_EQ(only(better, "cpu/x").verdict, Verdict::kImproved);
}

TEST_F(CompareTest, NormalisingCancelsASlowerMachineDay) {
  // Everything 30% slower, the reference too: the machine, not the code.
  const std::string a = write_run("a", {{"cpu/ref", around(1, 0.01)}, {"sync/x", around(2, 0.01)}});
  const std::string b = write_run("b", {{"cpu/ref", around(1.3, 0.01)}, {"sync/x", around(2.6, 0.01)}});
  EXPECT_EQ(only(compare(a, b), "sync/x").verdict, Verdict::kRegressed);
  CompareSettings s;
  s.normalize = "cpu/ref";
  const auto c = compare(a, b, s);
  EXPECT_EQ(only(c, "sync/x").verdict, Verdict::kUnchanged);
  EXPECT_NEAR(*only(c, "sync/x").change, 0, 0.01);
  EXPECT_EQ(only(c, "cpu/ref").verdict, Verdict::kRegressed) << "the reference itself is judged as measured";
  s.normalize = "cpu/none";
  EXPECT_THROW(compare(a, b, s), UsageError);
}

TEST_F(CompareTest, MalformedInputNamesTheFileAndLine) {
  const std::string good = write_run("a", {{"cpu/x", around(1, 0.01)}});
  const fs::path bad = dir_ / "bad.csv";
  std::ifstream in(fs::path(good) / "results.csv");
  std::string header, first;
  std::getline(in, header);
  std::getline(in, first);
  std::ofstream(bad) << header << "\n"
                     << first << "\n"
                     << "cpu/x,cpu,serial\n";
  try {
    load_results(bad.string());
    FAIL() << "accepted a short row";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(bad.string() + ":3: expected"), std::string::npos) << e.what();
  }
  std::ofstream(dir_ / "wrong.csv") << "a,b\n1,2\n";
  EXPECT_THROW(load_results((dir_ / "wrong.csv").string()), UsageError);
  EXPECT_THROW(load_results((dir_ / "absent").string()), UsageError);
}

TEST_F(CompareTest, SettingsAreChecked) {
  EXPECT_EQ(parse_threshold("5%"), 0.05);
  EXPECT_EQ(parse_threshold("0.1"), 0.1);
  for (const char* bad : {"5", "five", "-1%", "", "%"}) EXPECT_THROW(parse_threshold(bad), UsageError) << bad;
  const std::string a = write_run("a", {{"cpu/x", around(1, 0.01)}});
  CompareSettings s;
  s.measures = {"colour"};
  EXPECT_THROW(compare(a, a, s), UsageError);
  s = {};
  s.alpha = 1.5;
  EXPECT_THROW(compare(a, a, s), UsageError);
  EXPECT_THROW(reporter_for("html"), UsageError);
}

TEST_F(CompareTest, ReportersCarryEveryVerdict) {
  const auto c = compare(write_run("a", {{"cpu/x", around(1, 0.01)}, {"cpu/gone", around(1, 0.01)}}),
                         write_run("b", {{"cpu/x", around(1.2, 0.01)}}));
  const std::string md = reporter_for("markdown")->render(c);
  EXPECT_NE(md.find("## versus compare: regression"), std::string::npos) << md;
  EXPECT_NE(md.find("| **regressed** | `cpu/x` |"), std::string::npos) << md;
  EXPECT_NE(md.find("| missing | `cpu/gone` |"), std::string::npos) << md;
  const auto j = nlohmann::json::parse(reporter_for("json")->render(c));
  EXPECT_TRUE(j["regressed"].get<bool>());
  EXPECT_EQ(j["counts"]["regressed"], 1);
  // In the baseline's order (the test's map sorts "cpu/gone" first).
  EXPECT_EQ(j["cells"][0]["cell"], "cpu/gone");
  EXPECT_EQ(j["cells"][0]["verdict"], "missing");
  EXPECT_TRUE(j["cells"][0]["p_value"].is_null());
  EXPECT_EQ(j["cells"][1]["verdict"], "regressed");
  EXPECT_LT(j["cells"][1]["p_value"].get<double>(), 0.01);
  const std::string console = reporter_for("console")->render(c);
  EXPECT_EQ(console.find("regressed"), console.find("\nregressed") + 1) << "worst first, after the header";
  EXPECT_NE(console.find("REGRESSED: 1 regressed, 1 missing"), std::string::npos) << console;
}

}  // namespace
}  // namespace versus
