// The built binary, run as a user runs it.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
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
#include "bench/harness/matrix.h"
#include "bench/results/csv.h"
#include "bench/results/schema.h"
#include "bench/sys/child.h"
#include "bench/sys/placement.h"
#include "runners/registry.h"
#include "scenarios/registry.h"
#include "results_rows.h"
#include "versus_binary.h"

namespace fs = std::filesystem;

namespace versus {
namespace {

class CliTest : public ScratchFolderTest {};

TEST_F(CliTest, BadInputExitsTwoAndWritesNothing) {
  const fs::path out = dir_ / "never";
  struct Case {
    std::string args, says;
  } cases[] = {
      {"run --scenario gpu --runner fork --workers 1", "unknown scenario 'gpu'; known scenarios: cpu, ipc"},
      {"run --scenario cpu --runner greenlet --workers 1", "unknown runner 'greenlet'; known runners: serial"},
      {"run --scenario cpu --runner fork --workers 1 --set colour=red", "unknown parameter 'colour'"},
      {"run --scenario cpu --runner fork --workers 1 --set kernel=fft",
       "'fft' is not accepted; accepted: one of primes, membw"},
      {"run --scenario cpu --runner fork --workers x", "workers"},
      {"run --preset nosuch", "preset 'nosuch'"},
      {"run --scenario cpu --runner fork --workers 1 --repetitions 0", "repetitions: '0' is not accepted"},
      {"run --scenario cpu --runner fork --workers 1 --warmup 101",
       "warmup: '101' is not accepted; accepted: an integer from 0 to 100"},
      {"run --scenario cpu --runner fork --workers 1 --bogus", "--bogus"},
      {"run --scenario cpu --runner fork --workers 1 --cell-timeout nan",
       "--cell-timeout: 'nan' is not accepted; accepted: a finite number of seconds > 0"},
      {"run --scenario cpu --runner fork --workers 1 --cell-timeout inf",
       "--cell-timeout: 'inf' is not accepted; accepted: a finite number of seconds > 0"},
      {"run --scenario cpu --runner fork --workers 1 --cell-timeout -3", "'-3' is not accepted"},
      {"run --scenario cpu --runner fork,serial --workers 1 --benchmark_filter=/pthread/",
       "--benchmark_filter=/pthread/ selects none of the 2 cells of the matrix; accepted: a POSIX extended regular "
       "expression found in the name of at least one, such as 'cpu/fork/workers:1/"},
      {"run --scenario cpu --runner fork --workers 1 --benchmark_filter=-cpu", "selects none of the 1 cells"},
      {"run --scenario cpu --runner fork --workers 1 '--benchmark_filter=('",
       "--benchmark_filter=(: not a regular expression"},
      {"run --scenario ipc --runner fork --workers 1 --set placement=cpus:99",
       "'cpus:99' names CPU 99, which versus may not use here"},
      {"run --scenario ipc --runner fork --workers 1 --set placement=cpus:abc", "'abc' is not a CPU list"},
      {"run --scenario ipc --runner fork --workers 1 --set placement=everywhere",
       "accepted: none, same, spread, compact or cpus:LIST"},
  };
  for (const auto& c : cases) {
    const Ran ran = versus(c.args + " --out " + out.string());
    EXPECT_EQ(ran.code, 2) << c.args << "\n" << ran.output;
    EXPECT_NE(ran.output.find(c.says), std::string::npos) << c.args << "\n" << ran.output;
    EXPECT_FALSE(fs::exists(out)) << c.args << " created the output folder";
  }
}

// The command the harness starts a repetition's process with: bad input to it is an exit 2 that
// says what was wrong, and no row on its standard output.
TEST_F(CliTest, RepetitionCommandRefusesWhatItCannotRun) {
  struct Case {
    std::string args, says;
  } cases[] = {
      {"repetition 'not json' 0", "the cell or its repetition cannot be read"},
      {R"(repetition '{"scenario": "cpu"}' 0)", "the cell or its repetition cannot be read"},
      {R"(repetition '{"scenario":"gpu","runner":"fork","workers":1,"params":{},"repetitions":1,"warmup":0,)"
       R"("timeout_s":0,"interference_limit":0.05,"retries":2,"sized_param":"","min_time_s":0,"repetition":0,)"
       R"("unit_cpus":[],"peak_ops_per_s":0}' 0)",
       "this program has no scenario 'gpu'"},
      {R"(repetition '{"scenario":"cpu","runner":"fork","workers":1,"params":{},"repetitions":1,"warmup":0,)"
       R"("timeout_s":0,"interference_limit":0.05,"retries":2,"sized_param":"","min_time_s":0,"repetition":0,)"
       R"("unit_cpus":[],"peak_ops_per_s":0}' first)",
       "the repetition's number"},
  };
  for (const auto& c : cases) {
    const Ran ran = versus(c.args);
    EXPECT_EQ(ran.code, 2) << c.args << "\n" << ran.output;
    EXPECT_NE(ran.output.find(c.says), std::string::npos) << c.args << "\n" << ran.output;
    EXPECT_EQ(ran.output.find("\"status\""), std::string::npos) << c.args << " wrote a row";
  }
}

// Started on one CPU (as under `taskset -c 0`), versus has no two cores to spread a pair over:
// such cells are unsupported, saying why, and the rest of the run goes on.
TEST_F(CliTest, SpreadOnOneAllowedCpuIsUnsupported) {
  cpu_set_t before;
  ASSERT_EQ(sched_getaffinity(0, sizeof before, &before), 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &before)) {
      CPU_SET(cpu, &one);
      break;
    }
  }
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  const fs::path out = dir_ / "one-cpu";
  const Ran ran = versus(
      "run --scenario ipc --runner pthread --workers 1 --set mode=pingpong --set round_trips=200 "
      "--set placement=same,spread --repetitions 1 --quiet --out " +
      out.string());
  ASSERT_EQ(sched_setaffinity(0, sizeof before, &before), 0);
  const std::vector<Record> rows = repetition_rows((out / "results.csv").string());
  ASSERT_EQ(rows.size(), 2u) << ran.output;
  for (const Record& r : rows) {
    if (r.params.find("placement=spread") != std::string::npos) {
      EXPECT_EQ(r.status, Status::kUnsupported) << r.message;
      EXPECT_NE(r.message.find("on 1 core"), std::string::npos) << r.message;
    } else {
      EXPECT_EQ(r.status, Status::kOk) << r.message;
      EXPECT_FALSE(r.cpus.empty());
    }
  }
}

// Runs versus under `ulimit -n 64` (`prefix` before the shell, say to drop a capability) on a
// redis cell of 64 connections; returns its one row.
Record redis_row_under_64_descriptors(const fs::path& out, const std::string& prefix) {
  const std::string cmd = prefix + "sh -c 'ulimit -n 64 && exec " + std::string(VERSUS_BINARY) +
                          " run --scenario redis --runner pthread --workers 64 --set keys=100 --set requests=640"
                          " --repetitions 1 --cell-timeout 60 --quiet --out " +
                          out.string() + "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  char buf[4096];
  std::string output;
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) output.append(buf, n);
  pclose(p);
  const std::vector<Record> rows = repetition_rows((out / "results.csv").string());
  if (rows.size() != 1) throw std::runtime_error("expected one repetition; versus said: " + output);
  return rows.front();
}

// True when a process held to 64 descriptors may raise its hard limit again (root with
// CAP_SYS_RESOURCE), as versus then does.
bool may_raise_hard_fd_limit() {
  const pid_t pid = fork();
  if (pid == 0) {
    rlimit r{64, 64};
    if (setrlimit(RLIMIT_NOFILE, &r) != 0) _exit(2);
    r = {4096, 4096};
    _exit(setrlimit(RLIMIT_NOFILE, &r) == 0 ? 0 : 1);
  }
  int status = 0;
  return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// A redis cell beyond the descriptor limit is refused before it starts, saying why (it used to
// hang to its time limit with the reason only on stderr); where versus may raise the hard limit
// (root with CAP_SYS_RESOURCE) it does, as far as the kernel allows (fs.nr_open), and the cell runs.
TEST_F(CliTest, RedisCellBeyondTheDescriptorLimit) {
  const std::string refused_reason = "64 connections need about 128 descriptors; RLIMIT_NOFILE allows 64";
  std::string held_prefix;
  if (may_raise_hard_fd_limit()) {
    const Record raised = redis_row_under_64_descriptors(dir_ / "raised", "");
    EXPECT_EQ(raised.status, Status::kOk) << raised.message;
    held_prefix = "setpriv --bounding-set -sys_resource ";  // held to the limit like anyone
  }
  const Record held = redis_row_under_64_descriptors(dir_ / "held", held_prefix);
  EXPECT_EQ(held.status, Status::kUnsupported) << held.message;
  EXPECT_NE(held.message.find(refused_reason), std::string::npos) << held.message;
}

TEST_F(CliTest, RefusesToOverwriteResults) {
  const fs::path out = dir_ / "once";
  const std::string args =
      "run --scenario cpu --runner serial --workers 1 --repetitions 1 --set count=1000 --quiet --out " + out.string();
  ASSERT_EQ(versus(args).code, 0);
  const auto before = fs::file_size(out / "results.csv");
  const Ran again = versus(args);
  EXPECT_EQ(again.code, 2);
  EXPECT_NE(again.output.find("already holds results"), std::string::npos) << again.output;
  EXPECT_EQ(fs::file_size(out / "results.csv"), before);
}

TEST_F(CliTest, BenchmarkFilterSelectsCells) {
  const fs::path out = dir_ / "filtered";
  const Ran ran = versus(
      "run --scenario cpu --runner serial,fork --workers 1,2 --repetitions 2 --set count=2000 --quiet "
      "--benchmark_filter=/fork/ --out " +
      out.string());
  ASSERT_EQ(ran.code, 0) << ran.output;
  const std::vector<Record> t = repetition_rows((out / "results.csv").string());
  ASSERT_EQ(t.size(), 2u * 2u);
  for (const Record& row : t) EXPECT_EQ(row.runner, "fork");
  // The filter is part of the recorded matrix: resuming, the cells it leaves out are not missing.
  const Ran resumed = versus("run --resume " + out.string() + " --quiet");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("2 of 2 cells complete"), std::string::npos) << resumed.output;
  EXPECT_EQ(repetition_rows((out / "results.csv").string()).size(), 2u * 2u);
  // A leading '-' selects what the expression does not match, as in Google Benchmark.
  const fs::path rest = dir_ / "rest";
  ASSERT_EQ(versus("run --scenario cpu --runner serial,fork --workers 1 --repetitions 1 --set count=2000 --quiet "
                   "--benchmark_filter=-/fork/ --out " +
                   rest.string())
                .code,
            0);
  const std::vector<Record> r = repetition_rows((rest / "results.csv").string());
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].runner, "serial");
}

// The entries of one section of `versus list` ("Runners", ...): its lines indented by two spaces
// (parameters are indented further), each split into its first words and the rest of the line.
std::vector<std::vector<std::string>> list_section(const std::string& output, std::string_view heading, int words) {
  std::vector<std::vector<std::string>> out;
  std::istringstream lines(output);
  bool inside = false;
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(' ')) {
      inside = line.starts_with(heading);
      continue;
    }
    if (!inside || line.starts_with("   ")) continue;
    std::vector<std::string> entry;
    std::string_view rest = line;
    for (int i = 0; i < words; ++i) {
      rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
      const size_t end = std::min(rest.find(' '), rest.size());
      entry.emplace_back(rest.substr(0, end));
      rest.remove_prefix(end);
    }
    rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
    entry.emplace_back(rest);
    out.push_back(std::move(entry));
  }
  return out;
}

TEST_F(CliTest, ListShowsEachRunnersShapesAndEveryPair) {
  const Ran ran = versus("list");
  ASSERT_EQ(ran.code, 0) << ran.output;

  std::vector<const Scenario*> listed;
  for (const Scenario* s : all_scenarios()) {
    if (!s->internal()) listed.push_back(s);
  }
  const auto scenarios = list_section(ran.output, "Scenarios", 1);
  ASSERT_EQ(scenarios.size(), listed.size()) << ran.output;
  for (size_t i = 0; i < listed.size(); ++i) {
    EXPECT_EQ(scenarios[i][0], listed[i]->name());
    EXPECT_EQ(scenarios[i][1], fmt::format("[{}] {}", shape_name(listed[i]->shape()), listed[i]->summary()));
  }

  // Each runner with exactly the shapes it declares, from the one table of shapes.
  const auto runners = list_section(ran.output, "Runners", 1);
  ASSERT_EQ(runners.size(), all_runners().size()) << ran.output;
  std::map<std::string, std::string> shapes_of;
  for (size_t i = 0; i < runners.size(); ++i) {
    const Runner* r = all_runners()[i];
    std::vector<std::string> shapes;
    for (const auto& sh : kShapes) {
      if (r->shapes() & sh.bit) shapes.emplace_back(sh.name);
    }
    EXPECT_EQ(runners[i][0], r->name());
    EXPECT_EQ(runners[i][1], fmt::format("[{}] {}", join(shapes, ", "), r->summary()));
    shapes_of[runners[i][0]] = runners[i][1].substr(0, runners[i][1].find(']') + 1);
  }
  EXPECT_EQ(shapes_of["epoll"], "[conversation, multiplex]");
  EXPECT_EQ(shapes_of["pthread"], "[task, conversation, channel, multiplex]");
  EXPECT_EQ(shapes_of["serial"], "[task]");

  // One line per pair, saying exactly `supported` or `unsupported: why`.
  const auto pairs = list_section(ran.output, "Pairs", 2);
  ASSERT_EQ(pairs.size(), listed.size() * all_runners().size()) << ran.output;
  size_t i = 0;
  for (const Scenario* s : listed) {
    for (const Runner* r : all_runners()) {
      const auto& pair = pairs[i++];
      ASSERT_EQ(pair[0], s->name());
      ASSERT_EQ(pair[1], r->name());
      const std::string& verdict = pair[2];
      if (!(r->shapes() & s->shape())) {
        EXPECT_EQ(verdict, fmt::format("unsupported: runner {} does not drive the {} shape of scenario {}", r->name(),
                                       shape_name(s->shape()), s->name()));
      } else if (verdict != "supported") {
        EXPECT_TRUE(verdict.starts_with("unsupported: ") && verdict.size() > 13)
            << s->name() << " " << r->name() << ": " << verdict;
      }
    }
  }
  const auto cpu_serial =
      std::find_if(pairs.begin(), pairs.end(), [](const auto& p) { return p[0] == "cpu" && p[1] == "serial"; });
  ASSERT_NE(cpu_serial, pairs.end());
  EXPECT_EQ((*cpu_serial)[2], "supported");

  EXPECT_EQ(ran.output.find("selftest"), std::string::npos) << "internal scenarios only with --all";
  EXPECT_NE(versus("list --all").output.find("selftest"), std::string::npos);
}

TEST_F(CliTest, FaultyCellDoesNotStopTheMatrix) {
  const fs::path out = dir_ / "faulty";
  const Ran ran = versus(
      "run --scenario selftest --runner serial,fork,pthread,fiber --workers 2 --repetitions 2 "
      "--set fault=none,crash,hang --cell-timeout 1 --quiet --out " +
      out.string());
  ASSERT_EQ(ran.code, 0) << ran.output;
  const std::vector<Record> rows = repetition_rows((out / "results.csv").string());
  ASSERT_EQ(rows.size(), 3u * 4u * 2u);
  std::map<std::string, int> statuses;
  for (const Record& row : rows) ++statuses[status_name(row.status)];
  EXPECT_EQ(statuses["ok"], 8);
  EXPECT_EQ(statuses["crashed"], 8);
  EXPECT_EQ(statuses["timeout"], 8);
}

TEST_F(CliTest, MergeRefusesMalformedCsvNamingFileAndLine) {
  const fs::path bad = dir_ / "bad.csv";
  std::ofstream(bad) << "cell,scenario\nx\n";
  const Ran ran = versus("merge " + bad.string() + " -o " + (dir_ / "m").string());
  EXPECT_EQ(ran.code, 2);
  EXPECT_NE(ran.output.find(bad.string() + ":"), std::string::npos) << ran.output;
  EXPECT_FALSE(fs::exists(dir_ / "m" / "results.csv"));
}

TEST_F(CliTest, ReportWritesHtmlFromAResultsFolder) {
  if (std::system((std::string(VERSUS_SOURCE_DIR) + "/scripts/find_python.sh >/dev/null 2>&1").c_str()) != 0) {
    GTEST_SKIP() << "no Python with matplotlib, numpy and pandas";
  }
  const Ran ran = versus("report " + std::string(VERSUS_SOURCE_DIR) + "/tests/fixtures/run_a -o " + dir_.string());
  ASSERT_EQ(ran.code, 0) << ran.output;
  EXPECT_TRUE(fs::exists(dir_ / "report.html"));
  EXPECT_TRUE(fs::exists(dir_ / "report.md"));
  EXPECT_TRUE(fs::exists(dir_ / "plots" / "cpu_speedup.png"));
  const Ran missing = versus("report " + (dir_ / "nothing").string());
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.output.find("no such file"), std::string::npos) << missing.output;
}

TEST_F(CliTest, FixturesAreResultsVersusAccepts) {
  // The report's fixtures must stay in the schema versus writes: merge reads them strictly.
  const Ran ran =
      versus("merge " + std::string(VERSUS_SOURCE_DIR) + "/tests/fixtures/run_a -o " + (dir_ / "m").string());
  EXPECT_EQ(ran.code, 0) << ran.output;
}

}  // namespace
}  // namespace versus
