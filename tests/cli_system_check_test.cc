// The system check end to end: `versus run` samples the machine before its matrix, warns on
// stderr (even with --quiet) when it is noisy, and records what it found in env.json.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <nlohmann/json.hpp>

#include "bench/sys/child.h"
#include "bench/sys/measure.h"
#include "versus_binary.h"

namespace fs = std::filesystem;

namespace versus {
namespace {

class SystemCheckCliTest : public ScratchFolderTest {};

const std::string kTinyCell =
    "run --scenario cpu --runner serial --workers 1 --repetitions 1 --set count=1000 --quiet --out ";
const std::string kWarning = "versus: warning: this machine is noisy, figures will vary more: ";

// versus's standard error alone (its standard output thrown away), and its exit status.
Ran versus_stderr(const std::string& args) {
  const std::string cmd = std::string(VERSUS_BINARY) + " " + args + " 2>&1 >/dev/null";
  Ran ran{-1, {}};
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return ran;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) ran.output.append(buf, n);
  const int st = pclose(p);
  ran.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return ran;
}

nlohmann::json env_of(const fs::path& out) {
  std::ifstream in(out / "env.json");
  return nlohmann::json::parse(in);
}

// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> found;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(prefix)) found.push_back(line);
  }
  return found;
}

// With a process of the test's own spinning, the run warns, on stderr, in one line naming it,
// and env.json's system_check says noisy with the same reasons.
TEST_F(SystemCheckCliTest, ASpinningProcessIsNamedInTheWarningAndInEnvJson) {
  // Bounded to a few seconds even if the test dies first; killed and reaped when it ends.
  Child spinner = Child::run([](int) {
    const int64_t until = now_ns() + int64_t(8e9);
    for (volatile uint64_t n = 0; now_ns() < until;) n = n + 1;
    return 0;
  });
  const fs::path out = dir_ / "spun";
  const Ran ran = versus_stderr(kTinyCell + out.string());
  spinner.end();
  ASSERT_EQ(ran.code, 0) << ran.output;

  const nlohmann::json check = env_of(out)["system_check"];
  ASSERT_TRUE(check.is_object()) << check.dump();
  EXPECT_EQ(check["noisy"], true) << check.dump();
  EXPECT_GE(check["sample_s"].get<double>(), 1.0) << "the default is a second";
  nlohmann::json busy;
  for (const auto& p : check["busy_processes"]) {
    if (p["pid"] == spinner.pid()) busy = p;
  }
  ASSERT_TRUE(busy.is_object()) << "the spinning child is not among the busy processes: " << check.dump();
  EXPECT_GT(busy["percent"].get<double>(), 5) << busy.dump();

  const std::vector<std::string> warnings = lines_starting(ran.output, kWarning);
  ASSERT_EQ(warnings.size(), 1u) << "one warning line on stderr, --quiet or not:\n" << ran.output;
  std::string reasons;
  for (const auto& r : check["reasons"]) reasons += (reasons.empty() ? "" : "; ") + r.get<std::string>();
  EXPECT_EQ(warnings[0], kWarning + reasons) << "the line names every reason env.json records";
  // Named, unless three other processes were busier still (the machine is shared), when the
  // line counts it among the rest.
  const std::string named = "pid " + std::to_string(spinner.pid()) + " ";
  size_t busier = 0;
  for (const auto& p : check["busy_processes"]) busier += p["percent"] > busy["percent"];
  if (busier < 3) {
    EXPECT_NE(warnings[0].find(named), std::string::npos) << warnings[0];
  } else {
    EXPECT_NE(warnings[0].find("more process"), std::string::npos) << warnings[0];
  }
}

// --system-check 0 skips sampling processes but still judges the rest, and says so in env.json.
TEST_F(SystemCheckCliTest, ZeroSecondsSamplesNoProcess) {
  const fs::path out = dir_ / "zero";
  const Ran ran = versus(kTinyCell + out.string() + " --system-check 0");
  ASSERT_EQ(ran.code, 0) << ran.output;
  const nlohmann::json check = env_of(out)["system_check"];
  EXPECT_EQ(check["sample_s"], 0) << check.dump();
  EXPECT_TRUE(check["busy_processes"].is_null()) << check.dump();
  EXPECT_TRUE(check["noisy"].is_boolean()) << check.dump();
  EXPECT_EQ(check["noisy"].get<bool>(), !check["reasons"].empty()) << check.dump();
  EXPECT_EQ(lines_starting(ran.output, kWarning).size(), check["noisy"].get<bool>() ? 1u : 0u) << ran.output;
  // Not part of the matrix: a resumption checks again, for as long as its own command line says.
  std::ifstream matrix(out / "matrix.json");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(matrix), {}).find("system"), std::string::npos);
}

// A resumption records its own check in its entry of env.json; one with nothing left to run
// runs no check.
TEST_F(SystemCheckCliTest, AResumptionRecordsItsOwnCheck) {
  const fs::path out = dir_ / "resumed";
  ASSERT_EQ(versus(kTinyCell + out.string() + " --system-check 0").code, 0);
  fs::remove(out / "results.csv");  // as if interrupted before its one cell finished
  const Ran resumed = versus("run --resume " + out.string() + " --quiet --system-check 0.2");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  const Ran again = versus("run --resume " + out.string() + " --quiet --system-check 0");
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_TRUE(lines_starting(again.output, kWarning).empty()) << again.output;
  const nlohmann::json env = env_of(out);
  ASSERT_EQ(env["resumed"].size(), 2u) << env.dump();
  const nlohmann::json check = env["resumed"][0]["system_check"];
  EXPECT_GE(check["sample_s"].get<double>(), 0.2) << check.dump();
  EXPECT_TRUE(check["busy_processes"].is_array()) << check.dump();
  EXPECT_TRUE(check["reasons"].is_array()) << check.dump();
  EXPECT_TRUE(env["resumed"][1]["system_check"].is_null()) << "nothing left to run, nothing checked";
}

TEST_F(SystemCheckCliTest, BadSecondsAreRefusedNamingWhatIsAccepted) {
  const fs::path out = dir_ / "never";
  for (const char* value : {"11", "-1", "nan", "inf"}) {
    const Ran ran = versus(kTinyCell + out.string() + " --system-check " + value);
    EXPECT_EQ(ran.code, 2) << value << "\n" << ran.output;
    EXPECT_NE(ran.output.find(std::string("--system-check: '") + value +
                              "' is not accepted; accepted: a finite number of seconds from 0 to 10"),
              std::string::npos)
        << ran.output;
    EXPECT_FALSE(fs::exists(out)) << value << " created the output folder";
  }
}

}  // namespace
}  // namespace versus
