// The built binary, run as a user runs it.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bench/csv.h"
#include "bench/schema.h"

namespace fs = std::filesystem;

namespace versus {
namespace {

struct Ran {
  int code;
  std::string output;  // stdout and stderr together
};

Ran versus(const std::string& args) {
  const std::string cmd = std::string(VERSUS_BINARY) + " " + args + " 2>&1";
  Ran ran{-1, {}};
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return ran;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) ran.output.append(buf, n);
  const int st = pclose(p);
  ran.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return ran;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/versus-cli-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(CliTest, QuickPresetWritesDocumentedCsvAndEnv) {
  const fs::path out = dir_ / "quick";
  const Ran ran = versus("run --preset quick --quiet --out " + out.string());
  ASSERT_EQ(ran.code, 0) << ran.output;
  const CsvTable t = read_csv_file((out / "results.csv").string());
  check_results_header(t, "results.csv");
  ASSERT_EQ(t.rows.size(), 4u * 3u * 3u);  // runners x workers x repetitions
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const Record r = record_from_row(t, i, "results.csv");
    EXPECT_EQ(r.status, Status::kOk) << r.cell << ": " << r.message;
    EXPECT_EQ(r.scenario, "cpu");
    EXPECT_GT(r.wall_s.value_or(0), 0);
    EXPECT_EQ(r.result, 84164u) << "primes in [1000000, 2200000)";
  }
  std::ifstream env_in(out / "env.json");
  const nlohmann::json env = nlohmann::json::parse(env_in);
  for (const char* key : {"cpu_model", "logical_cores", "physical_cores", "kernel", "governor", "compiler",
                          "cxx_flags", "libraries", "git_revision", "command_line", "start_time", "host"}) {
    EXPECT_TRUE(env.contains(key)) << key;
  }
  EXPECT_GE(env["logical_cores"].get<int>(), 1);
  EXPECT_NE(ran.output.find("speedup"), std::string::npos) << "the summary is printed";
}

TEST_F(CliTest, BadInputExitsTwoAndWritesNothing) {
  const fs::path out = dir_ / "never";
  struct Case {
    std::string args, says;
  } cases[] = {
      {"run --scenario gpu --runner fork --workers 1", "unknown scenario 'gpu'; known scenarios: cpu"},
      {"run --scenario cpu --runner greenlet --workers 1", "unknown runner 'greenlet'; known runners: serial"},
      {"run --scenario cpu --runner fork --workers 1 --set colour=red", "unknown parameter 'colour'"},
      {"run --scenario cpu --runner fork --workers 1 --set kernel=fft", "'fft' is not accepted; accepted: one of primes, membw"},
      {"run --scenario cpu --runner fork --workers x", "workers"},
      {"run --preset nosuch", "preset 'nosuch'"},
      {"run --scenario cpu --runner fork --workers 1 --repetitions 0", "repetitions: '0' is not accepted"},
      {"run --scenario cpu --runner fork --workers 1 --bogus", "--bogus"},
  };
  for (const auto& c : cases) {
    const Ran ran = versus(c.args + " --out " + out.string());
    EXPECT_EQ(ran.code, 2) << c.args << "\n" << ran.output;
    EXPECT_NE(ran.output.find(c.says), std::string::npos) << c.args << "\n" << ran.output;
    EXPECT_FALSE(fs::exists(out)) << c.args << " created the output folder";
  }
}

TEST_F(CliTest, RefusesToOverwriteResults) {
  const fs::path out = dir_ / "once";
  const std::string args = "run --scenario cpu --runner serial --workers 1 --repetitions 1 --set count=1000 --quiet --out " + out.string();
  ASSERT_EQ(versus(args).code, 0);
  const auto before = fs::file_size(out / "results.csv");
  const Ran again = versus(args);
  EXPECT_EQ(again.code, 2);
  EXPECT_NE(again.output.find("already holds results"), std::string::npos) << again.output;
  EXPECT_EQ(fs::file_size(out / "results.csv"), before);
}

TEST_F(CliTest, BenchmarkFilterSelectsCells) {
  const fs::path out = dir_ / "filtered";
  const Ran ran = versus("run --scenario cpu --runner serial,fork --workers 1,2 --repetitions 2 --set count=2000 --quiet "
                         "--benchmark_filter=/fork/ --out " + out.string());
  ASSERT_EQ(ran.code, 0) << ran.output;
  const CsvTable t = read_csv_file((out / "results.csv").string());
  ASSERT_EQ(t.rows.size(), 2u * 2u);
  for (const auto& row : t.rows) EXPECT_EQ(row[t.column("runner")], "fork");
}

TEST_F(CliTest, ListShowsScenariosRunnersParamsAndPairs) {
  const Ran ran = versus("list");
  ASSERT_EQ(ran.code, 0) << ran.output;
  for (const char* s : {"cpu", "serial", "fork", "pthread", "fiber", "fiber_threads", "kernel", "split", "supported"}) {
    EXPECT_NE(ran.output.find(s), std::string::npos) << s;
  }
  EXPECT_EQ(ran.output.find("selftest"), std::string::npos) << "internal scenarios only with --all";
  EXPECT_NE(versus("list --all").output.find("selftest"), std::string::npos);
}

TEST_F(CliTest, FaultyCellDoesNotStopTheMatrix) {
  const fs::path out = dir_ / "faulty";
  const Ran ran = versus("run --scenario selftest --runner fork,pthread --workers 2 --repetitions 2 "
                         "--set fault=none,crash,hang --cell-timeout 1 --quiet --out " + out.string());
  ASSERT_EQ(ran.code, 0) << ran.output;
  const CsvTable t = read_csv_file((out / "results.csv").string());
  ASSERT_EQ(t.rows.size(), 3u * 2u * 2u);
  std::map<std::string, int> statuses;
  for (const auto& row : t.rows) ++statuses[row[t.column("status")]];
  EXPECT_EQ(statuses["ok"], 4);
  EXPECT_EQ(statuses["crashed"], 4);
  EXPECT_EQ(statuses["timeout"], 4);
}

}  // namespace
}  // namespace versus
