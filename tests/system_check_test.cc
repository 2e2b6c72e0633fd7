// The system check: its judging and its one line over synthetic findings, and the sampler on
// this machine against children of the test's own, one spinning and one asleep.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bench/sys/child.h"
#include "bench/sys/kernel_files.h"
#include "bench/sys/measure.h"
#include "bench/sys/system_check.h"

namespace versus {
namespace {

// A machine with nothing to say against it: two CPUs, idle, performance governors, boost off.
SystemCheck quiet_machine() {
  SystemCheck check;
  check.cpus = {0, 1};
  check.sample_s = 1;
  check.load_average = 0.05;
  check.governors = {{0, "performance"}, {1, "performance"}};
  check.boost = false;
  return check;
}

TEST(SystemCheckJudging, AQuietMachineHasNoReasonAndNoLine) {
  const SystemCheck check = quiet_machine();
  EXPECT_TRUE(noisy_reasons(check).empty());
  EXPECT_EQ(noisy_warning(check), "");
}

TEST(SystemCheckJudging, LoadAboveTheLimitPerCpuIsAReason) {
  SystemCheck check = quiet_machine();
  check.load_average = 1.35;
  EXPECT_EQ(noisy_reasons(check), std::vector<std::string>{"load average 1.35 on 2 CPUs (above 0.2 per CPU)"});
  check.load_average = 0.4;  // 0.2 on each of two CPUs: not above
  EXPECT_TRUE(noisy_reasons(check).empty());
  check.cpus = {3};
  check.load_average = 0.25;
  EXPECT_EQ(noisy_reasons(check), std::vector<std::string>{"load average 0.25 on 1 CPU (above 0.2 per CPU)"});
  check.load_average.reset();  // no /proc/loadavg: nothing to judge
  EXPECT_TRUE(noisy_reasons(check).empty());
}

TEST(SystemCheckJudging, BusyProcessesAreNamedBusiestFirstAndTheRestCounted) {
  SystemCheck check = quiet_machine();
  check.busy = {{4242, "stress-ng-cpu", 99.4}};
  EXPECT_EQ(noisy_reasons(check), std::vector<std::string>{"pid 4242 stress-ng-cpu used 99% of a CPU"});
  check.busy = {{1, "a", 180}, {2, "b", 50}, {3, "c", 20}, {4, "d", 10}, {5, "e", 6}};
  EXPECT_EQ(noisy_reasons(check),
            (std::vector<std::string>{"pid 1 a used 180% of a CPU", "pid 2 b used 50% of a CPU",
                                      "pid 3 c used 20% of a CPU", "2 more processes above 5% of a CPU"}));
  check.busy.pop_back();
  EXPECT_EQ(noisy_reasons(check).back(), "1 more process above 5% of a CPU");
}

TEST(SystemCheckJudging, GovernorsOtherThanPerformanceAreReasonsNamingTheirCpus) {
  SystemCheck check = quiet_machine();
  check.cpus = {0, 1, 2, 3};
  check.governors = {{0, "powersave"}, {1, "powersave"}, {2, "performance"}, {3, "schedutil"}};
  EXPECT_EQ(noisy_reasons(check), (std::vector<std::string>{"governor powersave on CPUs 0-1 (performance is steadier)",
                                                            "governor schedutil on CPU 3 (performance is steadier)"}));
}

TEST(SystemCheckJudging, NoCpufreqIsNoReason) {
  SystemCheck check = quiet_machine();
  check.governors.clear();
  check.boost.reset();
  EXPECT_TRUE(noisy_reasons(check).empty());
  EXPECT_EQ(noisy_warning(check), "");
}

TEST(SystemCheckJudging, BoostOnIsAReason) {
  SystemCheck check = quiet_machine();
  check.boost = true;
  ASSERT_EQ(noisy_reasons(check).size(), 1u);
  EXPECT_TRUE(noisy_reasons(check)[0].starts_with("boost on")) << noisy_reasons(check)[0];
}

TEST(SystemCheckJudging, TheWarningIsOneLineNamingEveryReasonInOrder) {
  SystemCheck check = quiet_machine();
  check.load_average = 1.35;
  check.busy = {{4242, "stress-ng-cpu", 99}};
  check.governors = {{0, "powersave"}, {1, "powersave"}};
  EXPECT_EQ(noisy_warning(check),
            "versus: warning: this machine is noisy, figures will vary more: load average 1.35 on 2 CPUs (above 0.2 "
            "per CPU); pid 4242 stress-ng-cpu used 99% of a CPU; governor powersave on CPUs 0-1 (performance is "
            "steadier)");
}

// A child that spins for at most `seconds` (bounded even if the test is killed before ending
// it); the Child kills and reaps it whatever happens.
Child spinning_child(double seconds) {
  return Child::run([seconds](int) {
    const int64_t until = now_ns() + int64_t(seconds * 1e9);
    for (volatile uint64_t n = 0; now_ns() < until;) n = n + 1;
    return 0;
  });
}

Child sleeping_child(double seconds) {
  return Child::run([seconds](int) {
    usleep(useconds_t(seconds * 1e6));
    return 0;
  });
}

const BusyProcess* find_busy(const SystemCheck& check, pid_t pid) {
  const auto found =
      std::find_if(check.busy.begin(), check.busy.end(), [pid](const BusyProcess& p) { return p.pid == pid; });
  return found == check.busy.end() ? nullptr : &*found;
}

TEST(SystemCheckSampler, FindsASpinningChildAndNotASleepingOne) {
  Child spinner = spinning_child(5);
  Child sleeper = sleeping_child(5);
  const pid_t self = getpid();
  const SystemCheck check = check_system(std::vector<int>{0}, 0.5, {&self, 1});
  EXPECT_GE(check.sample_s, 0.5);
  EXPECT_LT(check.sample_s, 2.0);
  const BusyProcess* busy = find_busy(check, spinner.pid());
  ASSERT_NE(busy, nullptr) << "the spinning child was not found busy";
  EXPECT_GT(busy->percent, kBusyProcessPercent);
  EXPECT_LE(busy->percent, 100 * 1.2) << "one thread, one CPU at most (and a clock tick of slack)";
  EXPECT_EQ(busy->comm, read_proc_stat(spinner.pid())->comm);
  EXPECT_EQ(find_busy(check, sleeper.pid()), nullptr) << "a sleeping child is not busy";
  EXPECT_EQ(find_busy(check, self), nullptr) << "the sampler's own process is left out";
  EXPECT_TRUE(std::is_sorted(check.busy.begin(), check.busy.end(),
                             [](const BusyProcess& a, const BusyProcess& b) { return a.percent > b.percent; }));
  // It is named in the line unless three others were busier still.
  const std::string line = noisy_warning(check);
  const size_t rank = size_t(busy - check.busy.data());
  EXPECT_EQ(line.find("pid " + std::to_string(spinner.pid()) + " ") != std::string::npos, rank < kBusyProcessesNamed)
      << line;
}

TEST(SystemCheckSampler, ProcessesOfOursAreNotCounted) {
  Child spinner = spinning_child(5);
  const pid_t ours[] = {getpid(), spinner.pid()};
  const SystemCheck check = check_system(std::vector<int>{0}, 0.3, ours);
  EXPECT_EQ(find_busy(check, spinner.pid()), nullptr);
}

TEST(SystemCheckSampler, ZeroSecondsSamplesNoProcessButStillReadsTheRest) {
  Child spinner = spinning_child(5);
  const int64_t start = now_ns();
  const SystemCheck check = check_system(std::vector<int>{0}, 0, {});
  EXPECT_LT(now_ns() - start, int64_t(300e6)) << "no sleep";
  EXPECT_EQ(check.sample_s, 0);
  EXPECT_TRUE(check.busy.empty());
  EXPECT_EQ(check.load_average.has_value(), read_loadavg().has_value());
  EXPECT_EQ(check.cpus, std::vector<int>{0});
}

}  // namespace
}  // namespace versus
