// Binding on this machine: threads and the process moved onto the allowed CPUs and read back
// from the kernel, the process's own affinity left alone (bind_process runs in a forked child),
// and Topology::here() keeping the CPUs it was first called with.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <future>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "bench/sys/placement.h"

namespace versus {
namespace {

// The CPUs the calling thread may run on, from the kernel directly.
std::vector<int> affinity_of_this_thread() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) throw std::system_error(errno, std::generic_category(), "affinity");
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

TEST(PlacementBinding, HereIsTheCpusThisProcessMayUse) {
  const Topology& here = Topology::here();
  EXPECT_EQ(here.cpus(), affinity_of_this_thread());
  EXPECT_EQ(std::set<int>(here.compact_order().begin(), here.compact_order().end()),
            std::set<int>(here.cpus().begin(), here.cpus().end()));
  EXPECT_EQ(here.spread_order().size(), here.cpus().size());
  EXPECT_EQ(&here, &Topology::here()) << "loaded once";
}

TEST(PlacementBinding, ThreadBindsToEachAllowedCpu) {
  const Topology& here = Topology::here();
  const std::vector<int> before = affinity_of_this_thread();
  for (int cpu : here.cpus()) {
    std::vector<int> read_back, from_kernel;
    std::string error;
    std::thread([&] {
      try {
        here.bind_thread(cpu);
        read_back = here.thread_binding();
        from_kernel = affinity_of_this_thread();
      } catch (const std::exception& e) {
        error = e.what();
      }
    }).join();
    EXPECT_EQ(error, "");
    EXPECT_EQ(read_back, std::vector<int>{cpu});
    EXPECT_EQ(from_kernel, std::vector<int>{cpu});
  }
  std::vector<int> all;
  std::thread([&] {
    here.bind_thread(here.cpus());
    all = here.thread_binding();
  }).join();
  EXPECT_EQ(all, here.cpus());
  EXPECT_EQ(affinity_of_this_thread(), before) << "only the bound threads moved";
}

TEST(PlacementBinding, ImpossibleBindingThrowsNamingTheCpus) {
  std::string error;
  std::thread([&] {
    try {
      Topology::here().bind_thread(std::vector<int>{4000, 4001});
      error = "bound";
    } catch (const std::system_error& e) {
      error = e.what();
    }
  }).join();
  EXPECT_NE(error.find("4000-4001"), std::string::npos) << error;
  EXPECT_NE(error.find("hwloc_set_cpubind"), std::string::npos) << error;
}

TEST(PlacementBinding, ProcessBindingInAChild) {
  const Topology& here = Topology::here();
  const int cpu = here.cpus().back();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // A thread already running when the process is bound must move too: binding only the
    // calling thread would leave it where it was.
    int verdict = 0;
    std::promise<void> bound;
    std::vector<int> earlier_thread;
    std::thread earlier([&, bound_future = bound.get_future()]() mutable {
      bound_future.wait();
      earlier_thread = affinity_of_this_thread();
    });
    try {
      here.bind_process(std::vector<int>{cpu});
      if (affinity_of_this_thread() != std::vector<int>{cpu}) verdict = 1;
    } catch (...) {
      verdict = 3;
    }
    bound.set_value();
    earlier.join();
    if (verdict == 0 && earlier_thread != std::vector<int>{cpu}) verdict = 2;
    _exit(verdict);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: the calling thread is not bound, 2: another thread is not, 3: it threw";
  EXPECT_EQ(affinity_of_this_thread(), here.cpus()) << "the test process kept its CPUs";
}

TEST(PlacementBinding, SyntheticTopologiesDoNotBind) {
  const Topology t = Topology::synthetic("pack:1 core:8 pu:1");
  EXPECT_THROW(t.bind_thread(0), std::logic_error);
  EXPECT_THROW(t.bind_process(std::vector<int>{0}), std::logic_error);
  EXPECT_THROW(t.thread_binding(), std::logic_error);
}

// Run by HereKeepsTheAffinityOfItsFirstCall in a fresh process whose affinity was narrowed
// before anything called Topology::here(); the exit code carries the verdict.
TEST(PlacementProbe, FirstCallSeesNarrowedAffinity) {
  const char* expected = std::getenv("VERSUS_PLACEMENT_PROBE");
  if (!expected) GTEST_SKIP() << "run by HereKeepsTheAffinityOfItsFirstCall";
  const Topology& here = Topology::here();
  const bool right = format_cpu_list(here.cpus()) == expected && format_cpu_list(here.compact_order()) == expected &&
                     here.cores() == 1;
  std::_Exit(right ? 42 : 43);
}

TEST(PlacementBinding, HereKeepsTheAffinityOfItsFirstCall) {
  const std::vector<int> cpus = affinity_of_this_thread();
  const int cpu = cpus.back();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) _exit(50);
    setenv("VERSUS_PLACEMENT_PROBE", std::to_string(cpu).c_str(), 1);
    execl("/proc/self/exe", "placement_test", "--gtest_filter=PlacementProbe.FirstCallSeesNarrowedAffinity",
          static_cast<char*>(nullptr));
    _exit(51);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 42) << "43: here() did not keep to CPU " << cpu << "; 50, 51: the probe did not start";
}

}  // namespace
}  // namespace versus
