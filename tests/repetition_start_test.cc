// How a repetition's process starts: forked from the harness, or exec'd afresh from the program
// whose tables the catalog holds (Catalog::repetition_command, as `versus run` does). The faults
// of every runner under both are in isolation_test.cc.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench/harness/repetition.h"
#include "bench/sys/placement.h"
#include "bench/sys/process.h"
#include "runner_variants.h"
#include "runners/registry.h"
#include "scenarios/registry.h"

namespace versus {
namespace {

// What a forked repetition's process carries of the harness, an exec'd one does not: here 256
// MiB of written memory, which a fork's peak RSS (its workers' too, under the serial runner the
// process itself) counts and which would make every fork it measures dearer.
TEST(RepetitionStart, AnExecdRepetitionCarriesNoneOfTheHarnessMemory) {
  const Catalog forking{all_scenarios(), all_runners()};
  const Catalog execing{all_scenarios(), all_runners(), {VERSUS_BINARY, "repetition"}};
  constexpr size_t kHeld = size_t(256) << 20;
  std::vector<char> held(kHeld, 1);
  Cell c = cell_of(*forking.scenario("selftest"), *forking.runner("serial"), 1, {{"work_ms", "1"}});
  const Record forked = execute_repetition(forking, c, 0);
  const Record execd = execute_repetition(execing, c, 0);
  ASSERT_EQ(forked.status, Status::kOk) << forked.message;
  ASSERT_EQ(execd.status, Status::kOk) << execd.message;
  EXPECT_GE(forked.rss_peak_bytes.value_or(0), int64_t(kHeld));
  // Relative, not absolute: under the address sanitizer a fresh versus holds some 65 MB at once.
  EXPECT_LT(execd.rss_peak_bytes.value_or(int64_t(kHeld)) + int64_t(kHeld / 2), forked.rss_peak_bytes.value_or(0));
  EXPECT_EQ(held[kHeld / 2], 1);
}

// The processes below this one whose command line holds `word`.
std::vector<pid_t> descendants_running(const std::string& word) {
  std::vector<pid_t> found;
  for (pid_t pid : descendants()) {
    std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
    const std::string words((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    if (words.find(word) != std::string::npos) found.push_back(pid);
  }
  return found;
}

// The CPUs a process below the harness may run on (the main thread's), while it runs the
// repetition command.
std::set<std::string> bindings_of_repetition_processes() {
  std::set<std::string> seen;
  for (pid_t pid : descendants_running(std::string("repetition") + '\0')) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.starts_with("Cpus_allowed_list:")) seen.insert(line.substr(line.find_first_not_of(" \t", 18)));
    }
  }
  return seen;
}

// Started while the harness keeps off a pinned cell's CPUs, an exec'd repetition would find only
// the spare ones to plan on; started before, it plans on those the harness had at its start, and
// its supervising thread then keeps off the cell's CPUs as a forked one does.
TEST(RepetitionStart, AnExecdRepetitionPlansOnTheHarnessCpusAndKeepsOffTheCells) {
  const std::vector<int> cpus = Topology::here().cpus();
  if (cpus.size() < 2) GTEST_SKIP() << "needs two CPUs versus may use";
  const Catalog execing{all_scenarios(), all_runners(), {VERSUS_BINARY, "repetition"}};
  const std::string cell_cpu = std::to_string(cpus[0]);
  const Cell c = cell_of(*execing.scenario("selftest"), *execing.runner("pthread"), 1,
                         {{"work_ms", "800"}, {"placement", "cpus:" + cell_cpu}});
  std::set<std::string> seen;
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    for (int i = 0; i < 1000 && !done.load(); ++i) {
      seen.merge(bindings_of_repetition_processes());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  const Record r = execute_repetition(execing, c, 0);
  done.store(true);
  watcher.join();
  ASSERT_EQ(r.status, Status::kOk) << r.message;
  EXPECT_EQ(r.cpus, cell_cpu);
  const std::vector<int> spare(cpus.begin() + 1, cpus.end());
  EXPECT_TRUE(seen.contains(format_cpu_list(spare))) << "the repetition's process never kept to the spare CPUs";
}

TEST(RepetitionStart, AProgramThatCannotStartIsAFailedRowSayingWhy) {
  const Catalog missing{all_scenarios(), all_runners(), {"/nonexistent/versus", "repetition"}};
  const Cell c = cell_of(*missing.scenario("selftest"), *missing.runner("serial"), 1, {{"work_ms", "1"}});
  const Record r = execute_repetition(missing, c, 0);
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_NE(r.message.find("could not be started: No such file or directory"), std::string::npos) << r.message;
}

// versus-repetition, the program `versus run` execs for each repetition where it is built.
TEST(RepetitionStart, TheRepetitionProgramMeasuresACell) {
  const Catalog execing{all_scenarios(), all_runners(), {VERSUS_REPETITION_BINARY}};
  const Cell c = cell_of(*execing.scenario("selftest"), *execing.runner("serial"), 1, {{"work_ms", "1"}});
  const Record r = execute_repetition(execing, c, 0);
  ASSERT_EQ(r.status, Status::kOk) << r.message;
  EXPECT_GT(r.ops.value_or(0), 0);
}

// The names the processes below this one go by (/proc/PID/comm), for those whose command line
// holds `word`.
std::set<std::string> names_of_descendants_running(const std::string& word) {
  std::set<std::string> seen;
  for (pid_t pid : descendants_running(word)) {
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    if (std::string name; std::getline(comm, name)) seen.insert(name);
  }
  return seen;
}

// As versus run starts it: through a descriptor of the program, which would otherwise name the
// process after the descriptor's number.
TEST(RepetitionStart, TheRepetitionProcessGoesByItsProgramsName) {
  const int fd = open(VERSUS_REPETITION_BINARY, O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0) << VERSUS_REPETITION_BINARY;
  const std::string through = "/proc/self/fd/" + std::to_string(fd);
  const Catalog execing{all_scenarios(), all_runners(), {through}};
  const Cell c = cell_of(*execing.scenario("selftest"), *execing.runner("serial"), 1, {{"work_ms", "400"}});
  std::set<std::string> seen;
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    for (int i = 0; i < 1000 && !done.load(); ++i) {
      seen.merge(names_of_descendants_running(through));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  const Record r = execute_repetition(execing, c, 0);
  done.store(true);
  watcher.join();
  close(fd);
  ASSERT_EQ(r.status, Status::kOk) << r.message;
  // The kernel keeps the first 15 bytes of a process's name. The descriptor's number may be seen
  // too, between the exec and the program's first lines.
  const std::string program = std::filesystem::path(VERSUS_REPETITION_BINARY).filename();
  EXPECT_TRUE(seen.contains(program.substr(0, 15))) << ::testing::PrintToString(seen);
}

// What a shell command wrote (standard output and error) and its exit status.
std::pair<std::string, int> shell(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return {"popen failed", -1};
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  const int status = pclose(pipe);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

// The point of the separate program: fewer libraries for each fork inside it to copy. The
// dynamic linker's trace mode lists what a program would load, without running it.
TEST(RepetitionStart, TheRepetitionProgramLeavesOutTheHarnessOnlyLibraries) {
  const std::string harness = shell(std::string("LD_TRACE_LOADED_OBJECTS=1 ") + VERSUS_BINARY).first;
  const std::string repetition = shell(std::string("LD_TRACE_LOADED_OBJECTS=1 ") + VERSUS_REPETITION_BINARY).first;
  ASSERT_NE(harness.find("libbenchmark"), std::string::npos) << harness;  // what is to be left out
  EXPECT_EQ(repetition.find("libbenchmark"), std::string::npos) << repetition;
  EXPECT_NE(repetition.find("libc.so"), std::string::npos) << repetition;
}

TEST(RepetitionStart, TheRepetitionProgramRefusesWhatItCannotRead) {
  const auto [usage, usage_status] = shell(VERSUS_REPETITION_BINARY);
  EXPECT_EQ(usage_status, 2);
  EXPECT_NE(usage.find("usage: versus-repetition CELL NUMBER"), std::string::npos) << usage;
  const auto [bad, bad_status] = shell(std::string(VERSUS_REPETITION_BINARY) + " '{not json' 0");
  EXPECT_EQ(bad_status, 2);
  EXPECT_NE(bad.find("the cell or its repetition cannot be read"), std::string::npos) << bad;
}

}  // namespace
}  // namespace versus
