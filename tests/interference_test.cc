// Interference (bench/sys/interference.h): the arithmetic on given clocks, then a cell pinned to
// one CPU measured beside a process spinning on that CPU and without it, then the run's retries
// through the versus binary: a repetition set aside keeps its row beside the one run again.
// Registered RUN_SERIAL: "a quiet CPU" holds only while no other test runs.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "bench/harness/repetition.h"
#include "bench/results/csv.h"
#include "bench/results/schema.h"
#include "bench/sys/interference.h"
#include "bench/sys/placement.h"
#include "runner_variants.h"
#include "runners/registry.h"
#include "scenarios/registry.h"
#include "versus_binary.h"

namespace versus {
namespace {

CpuTimes clocks(std::vector<double> busy, std::vector<double> steal, double helpers = 0) {
  CpuTimes t;
  t.busy_s = std::move(busy);
  t.steal_s = std::move(steal);
  t.helpers_s = helpers;
  return t;
}

TEST(Interference, OtherIsTheCpusBusyTimeLessTheCellsOwnAndItsHelpers) {
  const CpuTimes phase = clocks({0.50, 0.90, 0.30}, {0.00, 0.10, 0.05}, 0.20);
  const std::vector<int> cpu1 = {1};
  const Interference one = interference_on(phase, cpu1, 0.40, 1.0);
  EXPECT_NEAR(one.other_cpu_s, 0.90 - 0.40 - 0.20, 1e-9);
  EXPECT_NEAR(one.steal_s, 0.10, 1e-9);
  EXPECT_NEAR(one.fraction, (0.30 + 0.10) / 1.0, 1e-9);
  // Two CPUs: their busy times add up, and so does the time they could have given.
  const std::vector<int> cpus02 = {0, 2};
  const Interference two = interference_on(phase, cpus02, 0.10, 1.0);
  EXPECT_NEAR(two.other_cpu_s, 0.80 - 0.10 - 0.20, 1e-9);
  EXPECT_NEAR(two.steal_s, 0.05, 1e-9);
  EXPECT_NEAR(two.fraction, (0.50 + 0.05) / 2.0, 1e-9);
  // The cell busier than its CPUs' clocks say (a tick's rounding): nothing else ran.
  EXPECT_EQ(interference_on(phase, cpu1, 2.0, 1.0).other_cpu_s, 0);
}

TEST(Interference, WithinTheClocksResolutionIsNoInterference) {
  const double tick = 1.0 / double(sysconf(_SC_CLK_TCK));
  const std::vector<int> cpu0 = {0};
  const Interference small = interference_on(clocks({tick}, {0}), cpu0, 0, 0.001);
  EXPECT_NEAR(small.other_cpu_s, tick, 1e-12);
  EXPECT_EQ(small.fraction, 0) << "one tick over a millisecond is /proc/stat's rounding, not a busy CPU";
  const Interference large = interference_on(clocks({3 * tick}, {0}), cpu0, 0, 0.1);
  EXPECT_NEAR(large.fraction, 3 * tick / 0.1, 1e-9);
}

TEST(Interference, TheMachinesClocksAdvance) {
  const auto before = read_cpu_times();
  ASSERT_TRUE(before.has_value()) << "/proc/stat unreadable";
  for (int cpu : Topology::here().cpus()) ASSERT_LT(size_t(cpu), before->busy_s.size()) << cpu;
  volatile uint64_t spin = 0;
  for (uint64_t i = 0; i < 300'000'000; ++i) spin = spin + i;
  const CpuTimes d = *read_cpu_times() - *before;
  double busy = 0;
  for (double b : d.busy_s) {
    EXPECT_GE(b, 0);
    busy += b;
  }
  EXPECT_GT(busy, 0) << "this thread spun, and no CPU was busy";
}

// A process spinning on `cpu` until destroyed.
class Spinner {
 public:
  explicit Spinner(int cpu) {
    pid_ = fork();
    if (pid_ == 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      if (sched_setaffinity(0, sizeof set, &set) != 0) _exit(1);
      alarm(120);  // whatever befalls the test, this process ends
      volatile uint64_t spun = 0;
      for (;;) spun = spun + 1;
    }
  }
  ~Spinner() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  Spinner(const Spinner&) = delete;
  Spinner& operator=(const Spinner&) = delete;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

TEST(Interference, CountedAsCellMakesAHelpersTimeTheCells) {
  const Spinner spinner(Topology::here().cpus().back());
  ASSERT_GT(spinner.pid(), 0);
  const auto before = read_cpu_times();
  ASSERT_TRUE(before.has_value());
  {
    const CountedAsCell counted(spinner.pid(), {});
    // The helper's time since it started counts: it is read, not subtracted. A tenth of a second
    // of it, however long a busy machine takes to give it that.
    double helpers_s = 0;
    for (int i = 0; i < 100 && helpers_s <= 0.1; ++i) {
      usleep(50'000);
      helpers_s = read_cpu_times()->helpers_s;
    }
    EXPECT_GT(helpers_s, 0.1);
  }
  EXPECT_EQ(read_cpu_times()->helpers_s, 0) << "forgotten once its CountedAsCell is gone";
}

TEST(Interference, ACountedHelpersCpusAreTheCellsWhileItLives) {
  EXPECT_EQ(with_counted_cpus({1, 0, 1}), (std::vector<int>{0, 1}));
  {
    const CountedAsCell counted(getpid(), {3, 0});
    EXPECT_EQ(with_counted_cpus({1}), (std::vector<int>{0, 1, 3}));
  }
  EXPECT_EQ(with_counted_cpus({1}), std::vector<int>{1});
}

// A serial cell bound to one CPU, long enough (about a quarter of a second) to be well above the
// clocks' resolution.
Record measured_on(int cpu) {
  const Cell c = cell_of(*cpu_scenario(), *serial_runner(), 1, {{"placement", "cpus:" + std::to_string(cpu)}});
  return measure_repetition(*cpu_scenario(), *serial_runner(), c, 0);
}

// RUN_SERIAL keeps other tests away, not the machine's own daemons or a VM's stolen time: the
// quiet measurement is the least disturbed of a few, a moment apart, as a quiet moment is what it
// needs.
Record quietest_on(int cpu) {
  Record best;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (attempt > 0) usleep(300'000);
    Record r = measured_on(cpu);
    if (r.status != Status::kOk || !r.interfered) return r;
    if (attempt == 0 || *r.interfered < *best.interfered) best = std::move(r);
  }
  return best;
}

TEST(Interference, APinnedCellSeesAProcessSpinningOnItsCpu) {
  const int cpu = Topology::here().cpus().back();
  const Record quiet = quietest_on(cpu);
  ASSERT_EQ(quiet.status, Status::kOk) << quiet.message;
  ASSERT_TRUE(quiet.other_cpu_s.has_value());
  EXPECT_LT(*quiet.other_cpu_s, 0.1 * *quiet.wall_s + 0.02) << "nothing else was meant to run on CPU " << cpu;
  EXPECT_FALSE(quiet.interfered.has_value())
      << "in 5 attempts CPU " << cpu << " was never quiet: at least " << *quiet.interfered << " of the cell's time ("
      << *quiet.other_cpu_s << " s other, " << quiet.steal_s.value_or(0) << " s stolen, " << *quiet.wall_s
      << " s wall)";
  const Spinner spinner(cpu);
  const Record busy = measured_on(cpu);
  ASSERT_EQ(busy.status, Status::kOk) << busy.message;
  // The two share the CPU about evenly: the spinner's half of the cell's wall time is other.
  EXPECT_GT(*busy.other_cpu_s, 0.25 * *busy.wall_s);
  EXPECT_LE(*busy.other_cpu_s, 1.05 * *busy.wall_s + 0.02);
  ASSERT_TRUE(busy.interfered.has_value());
  EXPECT_GT(*busy.interfered, 0.25);
}

// The embedded Redis server, on a CPU of its own beside the client's, is half of the cell: a
// process spinning on the server's CPU slows the cell and must be seen there.
TEST(Interference, ARedisCellSeesAProcessSpinningOnItsServersCpu) {
  const std::vector<int> cpus = Topology::here().cpus();
  if (cpus.size() < 2) GTEST_SKIP() << "needs a CPU for the client and another for the server";
  // The client on the first CPU; server_cpu=auto gives the server the first CPU the client does not use.
  const Cell c = cell_of(*redis_scenario(), *pthread_runner(), 1,
                         {{"placement", "cpus:" + std::to_string(cpus[0])}, {"op", "get"}, {"keys", "1000"},
                          {"requests", "6000"}});
  const Record quiet = measure_repetition(*redis_scenario(), *pthread_runner(), c, 0);
  ASSERT_EQ(quiet.status, Status::kOk) << quiet.message;
  ASSERT_NE(quiet.message.find(fmt::format("embedded server on CPUs {}", cpus[1])), std::string::npos) << quiet.message;
  ASSERT_TRUE(quiet.other_cpu_s.has_value());
  const Spinner spinner(cpus[1]);
  const Record busy = measure_repetition(*redis_scenario(), *pthread_runner(), c, 0);
  ASSERT_EQ(busy.status, Status::kOk) << busy.message;
  // Relative to the quiet run: whatever else the machine does counts in both.
  EXPECT_GT(*busy.other_cpu_s - *quiet.other_cpu_s, 0.2 * *busy.wall_s)
      << "the spinner had the server's CPU whenever the server was not running";
  EXPECT_TRUE(busy.interfered.has_value());
}

class Retries : public ScratchFolderTest {};

// Every attempt of a repetition keeps its row: here all of them interfered, as the spinner stays.
TEST_F(Retries, ARepetitionSetAsideKeepsItsRowBesideTheOneRunAgain) {
  const int cpu = Topology::here().cpus().back();
  const Spinner spinner(cpu);
  const std::string cell = "run --scenario cpu --runner serial --workers 1 --repetitions 1 --quiet --set placement=cpus:" +
                           std::to_string(cpu);
  const auto out = dir_ / "retried";
  const Ran ran = versus(cell + " --retries 1 --out " + out.string());
  ASSERT_EQ(ran.code, 0) << ran.output;
  const CsvTable t = read_csv_file((out / "results.csv").string());
  ASSERT_EQ(t.rows.size(), 2u) << ran.output;
  const Record first = record_from_row(t, 0, "results.csv"), again = record_from_row(t, 1, "results.csv");
  for (const Record& r : {first, again}) {
    EXPECT_EQ(r.repetition, 0);
    EXPECT_EQ(r.status, Status::kOk) << r.message;
    ASSERT_TRUE(r.interfered.has_value()) << r.message;
    EXPECT_GT(*r.interfered, 0.05);
    EXPECT_EQ(r.result, first.result) << "each attempt checked its own answer";
  }
  EXPECT_NE(first.message.find("run again (1 of 1)"), std::string::npos) << first.message;
  EXPECT_NE(again.message.find(", in every attempt"), std::string::npos) << again.message;
  EXPECT_NE(ran.output.find("(2 set aside)"), std::string::npos) << ran.output;
  // merge keeps a repetition's attempts from one input, and still refuses it from two.
  const auto merged = dir_ / "merged";
  const Ran merging = versus("merge " + out.string() + " -o " + merged.string());
  ASSERT_EQ(merging.code, 0) << merging.output;
  EXPECT_EQ(read_csv_file((merged / "results.csv").string()).rows.size(), 2u);
  const Ran twice = versus("merge " + out.string() + " " + out.string() + " -o " + (dir_ / "twice").string());
  EXPECT_EQ(twice.code, 2) << twice.output;
  EXPECT_NE(twice.output.find("and again in"), std::string::npos) << twice.output;
  // No retries asked: the one attempt is marked and kept.
  const auto once = dir_ / "once";
  ASSERT_EQ(versus(cell + " --retries 0 --out " + once.string()).code, 0);
  const CsvTable t1 = read_csv_file((once / "results.csv").string());
  ASSERT_EQ(t1.rows.size(), 1u);
  EXPECT_TRUE(record_from_row(t1, 0, "results.csv").interfered.has_value());
}

TEST_F(Retries, BadLimitsAndRetriesAreRefusedNamingWhatIsAccepted) {
  for (const auto& [args, expected] : std::vector<std::pair<std::string, std::string>>{
           {"--interference-limit 0", "interference-limit: '0' is not accepted"},
           {"--interference-limit nan", "interference-limit: 'nan' is not accepted"},
           {"--interference-limit 1.5", "at most 1"},
           {"--retries -1", "retries: '-1' is not accepted"},
           {"--retries 11", "an integer from 0 to 10"}}) {
    const auto out = dir_ / "refused";
    const Ran ran = versus("run --scenario cpu --runner serial --workers 1 --quiet " + args + " --out " + out.string());
    EXPECT_EQ(ran.code, 2) << args << ": " << ran.output;
    EXPECT_NE(ran.output.find(expected), std::string::npos) << args << ": " << ran.output;
    EXPECT_FALSE(std::filesystem::exists(out)) << args;
  }
}

}  // namespace
}  // namespace versus
