// py-thread, py-process, py-asyncio: the seeds' own tools. The cell's work is done by a Python
// program (scripts/versus_py) with threading / multiprocessing / concurrent.futures / asyncio,
// and checked here by the scenario's own check, as the C++ runners' work is. Python runs cpu
// (primes), ipc (multiprocessing's Pipe, Queue and shared_memory), redis (redis-py) and spawn.
#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "bench/sys/cell_names.h"
#include "bench/sys/python_interpreter.h"
#include "runners/python_program.h"
#include "runners/registry.h"

namespace versus {
namespace {

enum class PyKind { kThread, kProcess, kAsyncio };

const ParamSpec kPoolParam = choice_param(
    "py_pool", {"pool", "executor"},
    "pool: multiprocessing.Pool / multiprocessing.pool.ThreadPool (seed 004's); executor: concurrent.futures' "
    "ProcessPoolExecutor / ThreadPoolExecutor (seeds 001, 003); each with its own default chunking");
const ParamSpec kStartParam =
    choice_param("py_start", {"default", "fork", "spawn", "forkserver"},
                 "multiprocessing start method; default: the platform's (fork on Linux before Python 3.14)");
const ParamSpec kFaultParam =
    choice_param("py_fault", {"none", "raise", "kill"}, "for tests: the first task raises, or its process is killed");

const ParamSpec kThreadParams[] = {kPoolParam, kFaultParam};
const ParamSpec kProcessParams[] = {kPoolParam, kStartParam, kFaultParam};
const ParamSpec kAsyncioParams[] = {kFaultParam};

class PythonRunner final : public Runner {
 public:
  PythonRunner(PyKind kind, std::string_view name, std::string_view summary, std::span<const ParamSpec> params)
      : kind_(kind), name_(name), summary_(summary), params_(params) {}

  std::string_view name() const override { return name_; }
  std::string_view summary() const override { return summary_; }
  unsigned shapes() const override { return kTaskShape | kChannelShape | kConversationShape; }
  WorkerHost worker_host() const override { return WorkerHost::kOwnProgram; }
  std::span<const ParamSpec> params() const override { return params_; }
  // Seed 001's is_prime in CPython is some 20 to 40 times slower than the C++ loop here, and a
  // Python process takes tens of milliseconds to start.
  double slowdown() const override { return 50.0; }
  // py-asyncio's workers are coroutines on the one thread of its event loop.
  PlacedUnits placed_units(const Scenario& scenario, const Cell& cell) const override {
    if (kind_ == PyKind::kAsyncio) return {1, 1};
    return Runner::placed_units(scenario, cell);
  }

  std::string unsupported(const Scenario& scenario, const Cell& cell) const override {
    const std::string_view s = scenario.name();
    if (s != "cpu" && s != "ipc" && s != "redis" && s != "spawn") {
      return fmt::format("the Python runners run cpu, ipc, redis and spawn; {} is measured in C++ only", s);
    }
    const PythonInterpreter& py = python_interpreter();
    if (py.path.empty()) return py.problem;
    const Params& p = cell.params;
    if (s == "cpu" && p.str("kernel") != "primes") {
      return "the Python runners run kernel=primes only (a triad in Python measures the interpreter, not memory)";
    }
    if (s == "redis" && !py.has_redis) {
      return fmt::format("redis-py does not import under {}; scripts/setup.sh installs Debian's python3-redis",
                         py.path);
    }
    if (s == "redis" && (p.str("key_dist") != "uniform" || p.str("ratio") != "0:1" ||
                         p.str("value_size").find_first_not_of("0123456789") != std::string::npos)) {
      return "the Python runners' redis clients ask keys evenly, GET only, values of one size in bytes; key_dist, "
             "ratio and value ranges are measured under the C++ runners";
    }
    if (s == "redis" && p.str("rate") != "0") {
      return "the Python runners' redis clients (a pool's map, asyncio's gather) send in a closed loop; an offered "
             "rate is measured under fork, pthread, fiber and the loop runners";
    }
    if (s == "ipc") {
      const std::string& ch = p.str("channel");
      if (p.str("fault") != "none")
        return "ipc's fault is injected by the C++ producer; the Python runners use py_fault";
      if (kind_ == PyKind::kAsyncio && ch != "queue" && ch != "socketpair") {
        return fmt::format("py-asyncio carries ipc over channel=queue (asyncio.Queue) or socketpair (streams), not {}",
                           ch);
      }
      if (ch == "tcp" || ch == "mq") {
        return fmt::format(
            "the Python runners carry ipc over pipe, socketpair, queue and shm (multiprocessing's "
            "Pipe, Queue, shared_memory), not {}",
            ch);
      }
    }
    return {};
  }

  RunOutcome run_task(TaskWork&, const Cell& cell, const TaskLayout& layout) const override {
    PythonCell py = python_cell(cell, layout.workers);
    if (cell.scenario == "ipc" && cell.params.str("channel") == "shm") {
      // A block each way per pair, under names the harness removes if the cell leaves them.
      std::vector<std::string> names;
      for (int pair = 0; pair < cell.workers; ++pair) {
        for (const char* way : {"ab", "ba"}) names.push_back(cell_ipc_name(fmt::format("py.{}.{}", pair, way)));
      }
      py.settings["shm_names"] = join(names, ",");
    }
    return run_python_cell(py);
  }

  RunOutcome run_conversations(ConversationWork& work, const Cell& cell) const override {
    PythonCell py = python_cell(cell, cell.workers);
    py.settings.merge(work.hand_to_own_client());
    return run_python_cell(py);
  }

 private:
  // The program binds its own workers: unit_cpus lists each one's CPU (empty under none).
  PythonCell python_cell(const Cell& cell, int workers) const {
    PythonCell py{std::string(name_), cell.scenario, workers, cell.params, {}};
    std::vector<std::string> cpus;
    for (int cpu : cell.unit_cpus) cpus.push_back(std::to_string(cpu));
    py.settings["unit_cpus"] = join(cpus, ",");
    return py;
  }

  PyKind kind_;
  std::string_view name_, summary_;
  std::span<const ParamSpec> params_;
};

}  // namespace

const Runner* py_thread_runner() {
  static const PythonRunner runner(PyKind::kThread, "py-thread",
                                   "Python threads (ThreadPool / ThreadPoolExecutor) under the GIL", kThreadParams);
  return &runner;
}

const Runner* py_process_runner() {
  static const PythonRunner runner(PyKind::kProcess, "py-process",
                                   "Python processes (multiprocessing.Pool / ProcessPoolExecutor; py_start)",
                                   kProcessParams);
  return &runner;
}

const Runner* py_asyncio_runner() {
  static const PythonRunner runner(PyKind::kAsyncio, "py-asyncio", "Python coroutines on one asyncio event loop",
                                   kAsyncioParams);
  return &runner;
}

}  // namespace versus
