// fork: one child process per worker, released together at a start line in a shared mapping.
// Each child reports its result and its own CPU use there; every child is reaped, and a child
// that dies from a signal makes the repetition `crashed`.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "bench/sys/hot_path.h"
#include "bench/sys/limits.h"
#include "bench/sys/process.h"
#include "runners/conversation_io.h"
#include "runners/registry.h"
#include "runners/task_phase.h"

extern char** environ;

namespace versus {
namespace {

const ParamSpec kParams[] = {
    choice_param("spawn", {"fork", "vfork", "posix_spawn"},
                 "how processes are made where creation is measured (the spawn scenario): fork runs the worker; "
                 "vfork+exec and posix_spawn start a tiny program (versus-noop) instead"),
};

class ForkRunner final : public Runner {
 public:
  std::string_view name() const override { return "fork"; }
  std::string_view summary() const override { return "one child process per worker (fork)"; }
  unsigned shapes() const override { return kTaskShape | kChannelShape | kConversationShape; }
  WorkerHost worker_host() const override { return WorkerHost::kProcessEach; }
  std::span<const ParamSpec> params() const override { return kParams; }
  std::string unsupported(const Scenario& scenario, const Cell& cell) const override {
    const TaskLayout layout = layout_of(scenario, cell);
    if (cell.params.str("spawn") != "fork") {
      if (layout.spawn_rounds == 0) {
        return fmt::format(
            "spawn={} starts a tiny program, not a worker: only where creation is measured (spawn "
            "scenario, mode=create)",
            cell.params.str("spawn"));
      }
      if (access(noop_program().c_str(), X_OK) != 0) return fmt::format("{} is missing: build it", noop_program());
    }
    return check_tasks(layout.workers, "processes");
  }

  RunOutcome run_conversations(ConversationWork& work, const Cell& cell) const override {
    return run_conversations_as_workers(*this, work, cell);
  }

  RunOutcome run_task(TaskWork& work, const Cell& cell, const TaskLayout& layout) const override {
    const int n = layout.workers;
    if (layout.spawn_rounds > 0) {
      const ScopedBinding spawner(cell, std::nullopt);
      return spawn(work, n, layout.spawn_rounds, cell.params.str("spawn"));
    }
    TaskPhase phase(n, n);
    ChildSet children;  // killed and reaped on any exit from here
    for (int i = 0; i < n; ++i) {
      try {
        children.spawn([&, i] { return worker_main(work, cell, phase, i); });
      } catch (...) {
        phase.abort();
        throw;
      }
    }

    // While waiting, a child that ended has died early: no worker leaves before let_leave().
    auto watch = [&] {
      if (auto ended = children.reap_ended()) {
        const int running = still_running(children.pids(), ended->index);
        phase.abort();
        throw_for(ended->index, ended->pid, ended->status,
                  fmt::format("; the other {} of {} workers were still running", running, n - 1));
      }
    };
    std::vector<pid_t> pids = children.pids();
    pids.push_back(getpid());
    RunOutcome out = phase.measure(pids, watch);

    const std::vector<int> statuses = children.reap_all();
    for (int i = 0; i < n; ++i) {
      const int st = statuses[i];
      const bool clean = WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == kWorkerFailed);
      if (!clean) throw_for(i, children.pids()[i], st);
      out.usage += phase.party_usage(i);
    }
    return out;
  }

 private:
  static constexpr int kWorkerFailed = 1;  // the worker's error is in its result

  // The tiny program vfork and posix_spawn start: built beside the versus binary.
  static std::string noop_program() {
    const std::string self = executable_path();
    const std::filesystem::path dir = std::filesystem::path(self.empty() ? "./versus" : self).parent_path();
    for (const auto& candidate : {dir / "versus-noop", dir.parent_path() / "versus-noop"}) {
      if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    return (dir / "versus-noop").string();
  }


  // In a function of its own: the child shares this stack frame until it execs, and the caller's
  // loop variables must not live in it.
  [[gnu::noinline]] static pid_t vfork_exec(char* const argv[]) {
    const pid_t pid = vfork();
    if (pid == 0) {
      execv(argv[0], argv);
      _exit(kExitCannotExec);
    }
    return pid;
  }

  // Processes made and reaped round after round with the clock running. fork: each child runs
  // the worker and exits; vfork/posix_spawn: each starts versus-noop, and a clean exit counts.
  // The pids are kept in a shared mapping: a private page written right after a fork is copied
  // (a fault on every round) while the child still shares it; a bare fork loop writes none. Hot
  // and a function of its own, so that the child's code (this and the worker's run) lies in the
  // few pages one fault maps in: each code page a child touches first is a fault of its own.
  VERSUS_HOT [[gnu::noinline]] static RunOutcome spawn(TaskWork& work, int n, int rounds, const std::string& how) {
    SharedArray<WorkerResult> results(n);
    const std::string program = how == "fork" ? std::string() : noop_program();
    char* const argv[] = {const_cast<char*>(program.c_str()), nullptr};
    SharedArray<pid_t> pids(n);
    const PhaseStart start = PhaseStart::now(/*children=*/true);
    for (int round = 0; round < rounds; ++round) {
      for (int i = 0; i < n; ++i) {
        pid_t pid = -1;
        if (how == "fork") {
          pid = fork();
          if (pid == 0) {
            WorkerContext ctx(i, n);
            run_guarded(results[i], [&] { work.run(ctx, results[i]); });
            _exit(results[i].failed ? kWorkerFailed : 0);
          }
        } else if (how == "vfork") {
          pid = vfork_exec(argv);
        } else if (const int err = posix_spawn(&pid, argv[0], nullptr, nullptr, argv, environ); err != 0) {
          errno = err;
          pid = -1;
        }
        if (pid < 0) {
          const int err = errno;
          for (int j = 0; j < i; ++j) waitpid(pids[j], nullptr, 0);
          throw std::system_error(err, std::generic_category(), how);
        }
        pids[i] = pid;
      }
      for (int i = 0; i < n; ++i) {
        int st = 0;
        while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR) {}
        if (WIFSIGNALED(st)) throw_for(size_t(i), pids[i], st);
        if (how != "fork") {  // the program did its nothing: one spawn, checked by its exit
          results[i].ops += 1;
          results[i].value += WIFEXITED(st) && WEXITSTATUS(st) == 0;
        }
      }
    }
    std::vector<WorkerResult> collected;
    for (int i = 0; i < n; ++i) collected.push_back(results[i]);
    return outcome_since(start, std::move(collected));
  }

  static int worker_main(TaskWork& work, const Cell& cell, TaskPhase& phase, int i) {
    WorkerResult& result = phase.result(i);
    WorkerContext ctx(i, phase.workers());
    const bool prepared = run_guarded(result, [&] {
      bind_unit(cell, i);
      work.prepare(ctx);
    });
    phase.arrive_and_wait_start();
    const Usage before = usage_of_self();
    if (prepared && !phase.aborted()) run_guarded(result, [&] { work.run(ctx, result); });
    phase.mark_finished(i);
    phase.party_usage(i) = usage_of_self() - before;
    phase.arrive_done_and_wait_leave();
    return result.failed ? kWorkerFailed : 0;
  }

  // How many workers but `ended` have not ended, without reaping any: one process dying leaves
  // its siblings running (the report's claim C16 reads this from the row's message).
  static int still_running(const std::vector<pid_t>& pids, size_t ended) {
    int n = 0;
    for (size_t j = 0; j < pids.size(); ++j) {
      siginfo_t info{};
      if (j != ended && waitid(P_PID, id_t(pids[j]), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0) ++n;
    }
    return n;
  }

  [[noreturn]] static void throw_for(size_t index, pid_t pid, int status, const std::string& others = {}) {
    const std::string what = fmt::format("worker {} (pid {}) {}", index, pid, describe_wait_status(status));
    if (WIFSIGNALED(status)) throw WorkerCrashed(what + others);
    throw std::runtime_error(what + " before the repetition ended" + others);
  }
};

}  // namespace

const Runner* fork_runner() {
  static const ForkRunner runner;
  return &runner;
}

}  // namespace versus
