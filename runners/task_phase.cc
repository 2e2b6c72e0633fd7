#include "runners/task_phase.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

namespace versus {

namespace {

constexpr int kPollMs = 20;

// Waits until `counter` reaches `target`, calling `poll` between waits.
void wait_count(std::atomic<uint32_t>& counter, uint32_t target, const std::function<void()>& poll) {
  while (true) {
    uint32_t seen = counter.load(std::memory_order_acquire);
    if (seen >= target) return;
    if (poll) poll();
    futex_wait(counter, seen, kPollMs);
  }
}

void wait_flag(std::atomic<uint32_t>& flag) {
  while (flag.load(std::memory_order_acquire) == 0) futex_wait(flag, 0);
}

void raise_count(std::atomic<uint32_t>& counter) {
  counter.fetch_add(1, std::memory_order_acq_rel);
  futex_wake_all(counter);
}

void raise_flag(std::atomic<uint32_t>& flag) {
  flag.store(1, std::memory_order_release);
  futex_wake_all(flag);
}

}  // namespace

TaskPhase::TaskPhase(int workers, int parties)
    : parties_(parties), line_(1), results_(workers), finish_ns_(workers), party_usage_(parties) {}

void TaskPhase::arrive_and_wait_start() {
  raise_count(line_[0].ready);
  wait_flag(line_[0].go);
}

void TaskPhase::arrive_done_and_wait_leave() {
  raise_count(line_[0].done);
  wait_flag(line_[0].leave);
}

void TaskPhase::wait_ready(const std::function<void()>& poll) { wait_count(line_[0].ready, parties_, poll); }

void TaskPhase::release() {
  line_[0].start_ns = now_ns();
  raise_flag(line_[0].go);
}

void TaskPhase::wait_done(const std::function<void()>& poll) { wait_count(line_[0].done, parties_, poll); }

void TaskPhase::let_leave() { raise_flag(line_[0].leave); }

void TaskPhase::abort() {
  line_[0].aborted.store(1, std::memory_order_release);
  raise_flag(line_[0].go);
  raise_flag(line_[0].leave);
}

RunOutcome TaskPhase::measure(std::span<const pid_t> pids, const std::function<void()>& poll) {
  wait_ready(poll);
  // Every worker's thread exists now; this one only supervises, and is left out.
  MigrationCount migrations;
  migrations.start(pids, pid_t(syscall(SYS_gettid)));
  const std::optional<CpuTimes> cpus_before = read_cpu_times();
  const Usage before = usage_of_self();
  release();
  wait_done(poll);
  RunOutcome out;
  out.cpu_migrations = migrations.stop();
  out.usage = usage_of_self() - before;
  if (const auto cpus_after = read_cpu_times(); cpus_before && cpus_after) out.cpu_times = *cpus_after - *cpus_before;
  out.memory = sample_memory(pids);
  let_leave();
  out.wall_s = wall_s();
  for (int i = 0; i < workers(); ++i) out.results.push_back(result(i));
  return out;
}

PhaseStart PhaseStart::now(bool children) {
  PhaseStart s;
  s.children = children;
  s.cpu_times = read_cpu_times();
  s.usage = children ? usage_of_self() + usage_of_children() : usage_of_self();
  s.ns = versus::now_ns();
  return s;
}

RunOutcome outcome_since(const PhaseStart& start, std::vector<WorkerResult> results) {
  RunOutcome out;
  out.wall_s = double(now_ns() - start.ns) * 1e-9;
  const PhaseStart end = PhaseStart::now(start.children);
  out.usage = end.usage - start.usage;
  if (start.cpu_times && end.cpu_times) out.cpu_times = *end.cpu_times - *start.cpu_times;
  const pid_t self = getpid();
  out.memory = sample_memory({&self, 1});
  out.results = std::move(results);
  return out;
}

double TaskPhase::wall_s() const {
  int64_t last = line_[0].start_ns;
  for (size_t i = 0; i < finish_ns_.size(); ++i) last = std::max(last, finish_ns_[i]);
  return double(last - line_[0].start_ns) * 1e-9;
}

}  // namespace versus
