// Presets through the built binary: the quick preset's rows and environment as documented, a
// malformed preset named by file and line, and a command line's --warmup over a preset's.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/api/params.h"
#include "bench/harness/matrix.h"
#include "bench/results/csv.h"
#include "bench/results/schema.h"
#include "bench/sys/placement.h"
#include "runners/registry.h"
#include "scenarios/registry.h"
#include "results_rows.h"
#include "versus_binary.h"

namespace fs = std::filesystem;

namespace versus {
namespace {

class CliPresetTest : public ScratchFolderTest {};

TEST_F(CliPresetTest, QuickPresetWritesDocumentedCsvAndEnv) {
  const fs::path out = dir_ / "quick";
  // One row per repetition: retries (tests/interference_test.cc) would add rows where another
  // test keeps a CPU busy.
  const Ran ran = versus("run --preset quick --quiet --retries 0 --out " + out.string());
  ASSERT_EQ(ran.code, 0) << ran.output;
  const CsvTable t = read_csv_file((out / "results.csv").string());
  check_results_header(t, "results.csv", OlderHeader::kRefuse);
  // The preset's cells (QuickPresetIsTheDocumentedMatrix in tests/matrix_test.cc counts them), each
  // repetition once.
  const MatrixSpec quick = load_preset(std::string(VERSUS_SOURCE_DIR) + "/reports/presets/quick.toml");
  ASSERT_EQ(t.rows.size(), size_t(quick.repetitions) * expand_matrix(quick, {all_scenarios(), all_runners()}).size());
  std::set<std::string> cpu_work;
  std::set<uint64_t> cpu_results;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const Record r = record_from_row(t, i, "results.csv");
    if (r.runner == "select" && r.params.find("fds=1000;") != std::string::npos) {
      // The quick preset shows select's limit: 1000 pairs are 2000 descriptors.
      EXPECT_EQ(r.status, Status::kUnsupported) << r.cell;
      EXPECT_NE(r.message.find("FD_SETSIZE"), std::string::npos) << r.message;
      continue;
    }
    if (r.scenario == "selftest") {
      // A worker crashing on purpose (C16): one process of four, or the whole process.
      EXPECT_EQ(r.status, Status::kCrashed) << r.cell;
      if (r.repetition > 0) continue;  // not run after the first crash
      EXPECT_NE(r.message.find(r.runner == "fork" ? "the other 3 of 3 workers were still running"
                                                  : "repetition process killed by signal SIGSEGV"),
                std::string::npos)
          << r.message;
      continue;
    }
    EXPECT_EQ(r.status, Status::kOk) << r.cell << ": " << r.message;
    EXPECT_GT(r.wall_s.value_or(0), 0);
    if (r.scenario == "cpu" && r.runner.starts_with("py-")) {
      EXPECT_EQ(r.result, 21523u) << "primes in [1000000, 1300000)";
    } else if (r.scenario == "cpu") {
      // Sized by time: every C++ runner at every worker count tests the same numbers.
      EXPECT_NE(r.params.find("count=auto"), std::string::npos) << r.params;
      ASSERT_TRUE(r.work_size.starts_with("count=")) << r.work_size;
      cpu_work.insert(r.work_size);
      cpu_results.insert(r.result.value_or(0));
      EXPECT_EQ(r.ops.value_or(0), std::stoull(r.work_size.substr(6))) << "every number tested";
    } else if (r.scenario == "spawn" && r.params.find("mode=alive") != std::string::npos) {
      EXPECT_EQ(r.ops, uint64_t(r.workers)) << "every Python worker alive and done with its task";
      EXPECT_GT(r.pss_bytes.value_or(0), 8 << 20) << "an interpreter and its workers";
    } else if (r.scenario == "spawn") {
      EXPECT_GT(r.ops.value_or(0), 0u) << r.cell;
    } else if (r.scenario == "sync") {
      // 2 workers x 100000 increments: every one kept under the mutex, some lost without a lock.
      if (r.params.find("primitive=mutex") != std::string::npos) EXPECT_EQ(r.result, 200000u);
      else EXPECT_LE(r.result, 200000u);
    } else if (r.scenario == "mux") {
      EXPECT_EQ(r.result, 500u * 10u) << "rounds x active events, each read once";
      EXPECT_GT(r.syscalls.value_or(0), 0u);
    } else if (r.scenario == "switch") {
      EXPECT_EQ(r.result, 5000u) << "every hand-over seen by the other side";
      EXPECT_EQ(r.cpus.empty(), r.params.find("placement=none") != std::string::npos) << r.cell;
    } else {
      EXPECT_GT(r.bytes_per_s.value_or(0), 0) << r.scenario;
      if (r.scenario == "redis") {
        EXPECT_EQ(r.result, 20000u)
            << "every GET of the 20000 requests, or every TTL of the 20000 keys, answered right";
      }
    }
  }
  EXPECT_EQ(cpu_work.size(), 1u) << "one total work, sized once";
  EXPECT_EQ(cpu_results.size(), 1u) << "one prime count for one range";
  std::ifstream env_in(out / "env.json");
  const nlohmann::json env = nlohmann::json::parse(env_in);
  for (const char* key :
       {"cpu_model", "logical_cores", "physical_cores", "kernel", "governor", "compiler", "cxx_flags", "libraries",
        "git_revision", "command_line", "start_time", "host", "topology", "cpu_migrations"}) {
    EXPECT_TRUE(env.contains(key)) << key;
  }
  EXPECT_GE(env["logical_cores"].get<int>(), 1);
  EXPECT_EQ(env["topology"]["allowed_cpus"], format_cpu_list(Topology::here().cpus())) << env["topology"].dump();
  EXPECT_NE(ran.output.find("speedup"), std::string::npos) << "the summary is printed";
}

TEST_F(CliPresetTest, MalformedPresetFileNamesFileAndLine) {
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

// --warmup, like --repetitions, overrides a preset's and is recorded with the matrix (so that
// --resume runs the warm-ups the first start asked for).
TEST_F(CliPresetTest, WarmupOnTheCommandLineOverridesThePresets) {
  const fs::path preset = dir_ / "warm.toml";
  std::ofstream(preset) << "repetitions = 1\nwarmup = 3\nmin_time = 0\n[[matrix]]\nscenario = [\"cpu\"]\n"
                           "runner = [\"serial\"]\nworkers = [1]\n[matrix.set]\ncount = [1000]\n";
  for (const auto& [given, kept] : {std::pair{"", 3}, std::pair{" --warmup 0", 0}}) {
    const fs::path out = dir_ / fmt::format("warm{}", kept);
    const Ran ran = versus("run --preset " + preset.string() + given + " --quiet --system-check 0 --retries 0 --out " +
                           out.string());
    ASSERT_EQ(ran.code, 0) << ran.output;
    const auto plan = nlohmann::json::parse(std::ifstream(out / "matrix.json"));
    EXPECT_EQ(plan.at("matrix").at("warmup"), kept) << given;
    EXPECT_EQ(read_csv_file((out / "results.csv").string()).rows.size(), 1u) << "warm-ups leave no row";
  }
}

}  // namespace
}  // namespace versus
