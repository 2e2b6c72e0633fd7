// The built binary, run as a user runs it.
#include <gtest/gtest.h>
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
#include "bench/results/csv.h"
#include "bench/results/schema.h"
#include "bench/sys/child.h"
#include "runners/registry.h"
#include "scenarios/registry.h"
#include "versus_binary.h"

namespace fs = std::filesystem;

namespace versus {
namespace {

class CliTest : public ScratchFolderTest {};

TEST_F(CliTest, QuickPresetWritesDocumentedCsvAndEnv) {
  const fs::path out = dir_ / "quick";
  const Ran ran = versus("run --preset quick --quiet --out " + out.string());
  ASSERT_EQ(ran.code, 0) << ran.output;
  const CsvTable t = read_csv_file((out / "results.csv").string());
  check_results_header(t, "results.csv");
  // cpu: runners x workers x repetitions; ipc: runners x channels x modes x repetitions; redis:
  // runners x workers x repetitions; mux: runners x fds x repetitions; Python: cpu runners x
  // workers x repetitions, spawn runners x repetitions.
  ASSERT_EQ(t.rows.size(), 4u * 3u * 3u + 2u * 3u * 2u * 3u + 4u * 2u * 3u + 4u * 2u * 3u + 3u * 2u * 3u + 2u * 3u);
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const Record r = record_from_row(t, i, "results.csv");
    if (r.runner == "select" && r.params.find("fds=1000;") != std::string::npos) {
      // The quick preset shows select's limit: 1000 pairs are 2000 descriptors.
      EXPECT_EQ(r.status, Status::kUnsupported) << r.cell;
      EXPECT_NE(r.message.find("FD_SETSIZE"), std::string::npos) << r.message;
      continue;
    }
    EXPECT_EQ(r.status, Status::kOk) << r.cell << ": " << r.message;
    EXPECT_GT(r.wall_s.value_or(0), 0);
    if (r.scenario == "cpu" && r.runner.starts_with("py-")) {
      EXPECT_EQ(r.result, 21523u) << "primes in [1000000, 1300000)";
    } else if (r.scenario == "cpu") {
      EXPECT_EQ(r.result, 84164u) << "primes in [1000000, 2200000)";
    } else if (r.scenario == "spawn") {
      EXPECT_EQ(r.ops, 8u) << "every Python worker alive and done with its task";
      EXPECT_GT(r.pss_bytes.value_or(0), 8 << 20) << "an interpreter and its workers";
    } else if (r.scenario == "mux") {
      EXPECT_EQ(r.result, 500u * 10u) << "rounds x active events, each read once";
      EXPECT_GT(r.syscalls.value_or(0), 0u);
    } else {
      EXPECT_GT(r.bytes_per_s.value_or(0), 0) << r.scenario;
      if (r.scenario == "redis") {
        EXPECT_EQ(r.result, 20000u) << "every GET answered right";
      }
    }
  }
  std::ifstream env_in(out / "env.json");
  const nlohmann::json env = nlohmann::json::parse(env_in);
  for (const char* key : {"cpu_model", "logical_cores", "physical_cores", "kernel", "governor", "compiler", "cxx_flags",
                          "libraries", "git_revision", "command_line", "start_time", "host"}) {
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
      {"run --scenario gpu --runner fork --workers 1", "unknown scenario 'gpu'; known scenarios: cpu, ipc"},
      {"run --scenario cpu --runner greenlet --workers 1", "unknown runner 'greenlet'; known runners: serial"},
      {"run --scenario cpu --runner fork --workers 1 --set colour=red", "unknown parameter 'colour'"},
      {"run --scenario cpu --runner fork --workers 1 --set kernel=fft",
       "'fft' is not accepted; accepted: one of primes, membw"},
      {"run --scenario cpu --runner fork --workers x", "workers"},
      {"run --preset nosuch", "preset 'nosuch'"},
      {"run --scenario cpu --runner fork --workers 1 --repetitions 0", "repetitions: '0' is not accepted"},
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
  const CsvTable t = read_csv_file((out / "results.csv").string());
  ASSERT_EQ(t.rows.size(), 2u * 2u);
  for (const auto& row : t.rows) EXPECT_EQ(row[t.column("runner")], "fork");
  // The filter is part of the recorded matrix: resuming, the cells it leaves out are not missing.
  const Ran resumed = versus("run --resume " + out.string() + " --quiet");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("2 of 2 cells complete"), std::string::npos) << resumed.output;
  EXPECT_EQ(read_csv_file((out / "results.csv").string()).rows.size(), 2u * 2u);
  // A leading '-' selects what the expression does not match, as in Google Benchmark.
  const fs::path rest = dir_ / "rest";
  ASSERT_EQ(versus("run --scenario cpu --runner serial,fork --workers 1 --repetitions 1 --set count=2000 --quiet "
                   "--benchmark_filter=-/fork/ --out " +
                   rest.string())
                .code,
            0);
  const CsvTable r = read_csv_file((rest / "results.csv").string());
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][r.column("runner")], "serial");
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
  const CsvTable t = read_csv_file((out / "results.csv").string());
  ASSERT_EQ(t.rows.size(), 3u * 4u * 2u);
  std::map<std::string, int> statuses;
  for (const auto& row : t.rows) ++statuses[row[t.column("status")]];
  EXPECT_EQ(statuses["ok"], 8);
  EXPECT_EQ(statuses["crashed"], 8);
  EXPECT_EQ(statuses["timeout"], 8);
}

std::map<std::string, int> rows_per_cell(const fs::path& csv) {
  const CsvTable t = read_csv_file(csv.string());
  std::map<std::string, int> n;
  for (const auto& row : t.rows) ++n[row[t.column("cell")]];
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

TEST_F(CliTest, InterruptKeepsFinishedCellsAndResumeRunsExactlyTheRest) {
  const fs::path out = dir_ / "stopped";
  const std::string mark_value = std::to_string(getpid()) + "-interrupt";
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
  for (int i = 0; i < 600 && rows_per_cell_safe(csv) < 2; ++i) usleep(10000);
  ASSERT_EQ(kill(pid, SIGINT), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGINT);
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

TEST_F(CliTest, ASecondRunIntoAFolderInUseIsRefusedTouchingNothing) {
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
  for (int i = 0; i < 3000 && rows_per_cell_safe(csv) < 2; ++i) usleep(10000);
  ASSERT_EQ(rows_per_cell_safe(csv), 2u) << "the first run never finished its first cell";
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

TEST_F(CliTest, RunsWithoutOutNeverShareTheDefaultFolder) {
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

TEST_F(CliTest, ResumeDropsRowsOfACellCutShort) {
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

TEST_F(CliTest, ResumeRefusesWhatItCannotUse) {
  const Ran none = versus("run --resume " + (dir_ / "nothing").string());
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.output.find("matrix.json"), std::string::npos) << none.output;
  const Ran mixed = versus("run --resume " + dir_.string() + " --workers 2");
  EXPECT_EQ(mixed.code, 2);
  EXPECT_NE(mixed.output.find("give no other matrix options"), std::string::npos) << mixed.output;
}

TEST_F(CliTest, ShardsMergedCoverExactlyTheMatrix) {
  const std::string matrix =
      "run --scenario cpu --runner serial,fork,pthread,fiber --workers 1,2,3 --repetitions 1 "
      "--set count=1000 --quiet";
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

TEST_F(CliTest, MergeRefusesShardsOfDifferentMatricesUnlessAsked) {
  const std::string matrix = "run --scenario cpu --runner serial,fork --workers 1 --quiet";
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

TEST_F(CliTest, MergeRefusesMalformedCsvNamingFileAndLine) {
  const fs::path bad = dir_ / "bad.csv";
  std::ofstream(bad) << "cell,scenario\nx\n";
  const Ran ran = versus("merge " + bad.string() + " -o " + (dir_ / "m").string());
  EXPECT_EQ(ran.code, 2);
  EXPECT_NE(ran.output.find(bad.string() + ":"), std::string::npos) << ran.output;
  EXPECT_FALSE(fs::exists(dir_ / "m" / "results.csv"));
}

TEST_F(CliTest, MalformedPresetFileNamesFileAndLine) {
  const fs::path preset = dir_ / "mine.toml";
  std::ofstream(preset) << "repetitions = 2\n[[matrix]]\nscenario = [\"cpu\"]\nrunner = [\"fork\"\n";
  const Ran ran = versus("run --preset " + preset.string() + " --out " + (dir_ / "p").string());
  EXPECT_EQ(ran.code, 2);
  EXPECT_NE(ran.output.find(preset.string() + ":4"), std::string::npos) << ran.output;

  const fs::path endless = dir_ / "endless.toml";
  std::ofstream(endless) << "cell_timeout = inf\n[[matrix]]\nscenario = \"cpu\"\nrunner = \"fork\"\nworkers = 1\n";
  const Ran inf = versus("run --preset " + endless.string() + " --out " + (dir_ / "e").string());
  EXPECT_EQ(inf.code, 2);
  EXPECT_NE(inf.output.find(endless.string() + ":1: 'cell_timeout' takes a finite number of seconds"),
            std::string::npos)
      << inf.output;
  EXPECT_FALSE(fs::exists(dir_ / "e"));
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
