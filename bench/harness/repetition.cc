#include "bench/harness/repetition.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <system_error>
#include <type_traits>
#include <variant>

#include <fmt/format.h>

#include "bench/api/record_fields.h"
#include "bench/harness/isolate.h"
#include "bench/sys/fd.h"

namespace versus {

std::string why_unsupported(const Scenario& scenario, const Runner& runner, const Cell& cell) {
  if (!(runner.shapes() & scenario.shape())) {
    return fmt::format("runner {} does not drive the {} shape of scenario {}", runner.name(),
                       shape_name(scenario.shape()), scenario.name());
  }
  if (scenario.needs_concurrent_workers(cell) && !runner.concurrent()) {
    return fmt::format("the workers of this {} cell wait for each other; runner {} runs them one after another",
                       scenario.name(), runner.name());
  }
  if (std::string why = scenario.unsupported(cell); !why.empty()) return why;
  if (std::string why = runner.unsupported(scenario, cell); !why.empty()) return why;
  try {
    return placement_plan(scenario, runner, cell).unsupported;
  } catch (const UsageError& e) {  // cpus:LIST of a machine this is not (a resumed run, say)
    return e.what();
  }
}

namespace {

// A row that is not ok reports no measure (SCHEMA.md): a failed or wrong repetition's time is
// not a figure of anything, and a zero would read as one.
void clear_measures(Record& r) {
  for (const auto& f : kRecordFields) {
    std::visit(
        [&](auto m) {
          using Member = std::remove_reference_t<decltype(r.*m)>;
          if constexpr (!std::is_same_v<Member, std::string> && !std::is_same_v<Member, int> &&
                        !std::is_same_v<Member, Status>) {
            (r.*m).reset();
          }
        },
        f.member);
  }
}

Record run_repetition(const Scenario& scenario, const Runner& runner, const Cell& matrix_cell, int repetition);

}  // namespace

Record measure_repetition(const Scenario& scenario, const Runner& runner, const Cell& matrix_cell, int repetition) {
  Record r = run_repetition(scenario, runner, matrix_cell, repetition);
  if (r.status != Status::kOk) clear_measures(r);
  return r;
}

namespace {

// Runs the repetition into `r`; `work` is made here and left to the caller, so that what it
// says went wrong can be asked however this leaves.
void run_into(const Scenario& scenario, const Runner& runner, Cell& cell, Record& r, std::unique_ptr<Work>& work) {
  const PlacementPlan plan = placement_plan(scenario, runner, cell);
  cell.unit_cpus = plan.cpu_of;
  r.cpus = format_cpu_list(plan.cpus());
  RunOutcome out;
  if (scenario.shape() == kMultiplexShape) {
    std::unique_ptr<MultiplexWork> mux = scenario.make_multiplex(cell);
    MultiplexWork& m = *mux;
    work = std::move(mux);
    reset_peak_rss();
    out = runner.run_multiplex(m, cell);
  } else if (scenario.shape() == kConversationShape) {
    std::unique_ptr<ConversationWork> talk = scenario.make_conversations(cell);
    ConversationWork& t = *talk;
    work = std::move(talk);
    reset_peak_rss();
    out = runner.run_conversations(t, cell);
  } else {
    std::unique_ptr<TaskWork> task = scenario.make_task(cell);
    TaskWork& t = *task;
    work = std::move(task);
    reset_peak_rss();
    out = runner.run_task(t, cell, layout_of(scenario, cell));
  }
  r.wall_s = out.wall_s;
  uint64_t ops = 0;
  for (const auto& w : out.results) ops += w.ops;
  r.ops = ops;
  r.ops_per_s = out.wall_s > 0 ? double(ops) / out.wall_s : 0.0;
  r.cpu_user_s = out.usage.user_s;
  r.cpu_sys_s = out.usage.sys_s;
  r.ctx_voluntary = out.usage.voluntary;
  r.ctx_involuntary = out.usage.involuntary;
  r.rss_peak_bytes = out.memory.rss_peak_bytes;
  r.pss_bytes = out.memory.pss_bytes;
  r.setup_s = out.setup_s;
  r.syscalls = out.syscalls;
  r.cpu_migrations = out.cpu_migrations;
  if (out.cpu_times) {
    // Under placement none the cell could have run on any CPU it was allowed.
    const std::vector<int> cpus = with_counted_cpus(plan.cpus().empty() ? Topology::here().cpus() : plan.cpus());
    const Interference seen = interference_on(*out.cpu_times, cpus, out.usage.user_s + out.usage.sys_s, out.wall_s);
    r.other_cpu_s = seen.other_cpu_s;
    r.steal_s = seen.steal_s;
    if (seen.fraction > cell.interference_limit) r.interfered = seen.fraction;
  }
  for (size_t i = 0; i < out.results.size(); ++i) {
    if (out.results[i].failed) {
      r.status = Status::kFailed;
      r.message = fmt::format("worker {}: {}", i, out.results[i].message);
      return;
    }
  }
  r.result = work->answer(out.results);
  if (std::string wrong = work->check(out.results); !wrong.empty()) {
    r.status = Status::kInvalid;
    r.message = wrong;
  } else if (!out.program_measures) {
    work->add_measures(out.results, r);
  } else {
    const ProgramMeasures& m = *out.program_measures;
    r.bytes = m.bytes;
    if (m.bytes) r.bytes_per_s = out.wall_s > 0 ? double(*m.bytes) / out.wall_s : 0.0;
    r.lat_p50_us = m.lat_p50_us;
    r.lat_p90_us = m.lat_p90_us;
    r.lat_p99_us = m.lat_p99_us;
    r.lat_p999_us = m.lat_p999_us;
  }
}

Record run_repetition(const Scenario& scenario, const Runner& runner, const Cell& matrix_cell, int repetition) {
  Record r = record_for(matrix_cell, repetition);
  Cell cell = matrix_cell;
  cell.repetition = repetition;
  std::unique_ptr<Work> work;
  try {
    run_into(scenario, runner, cell, r, work);
  } catch (const WorkerCrashed& e) {
    r.status = Status::kCrashed;
    r.message = e.what();
  } catch (const std::exception& e) {
    r.status = Status::kFailed;
    r.message = e.what();
  }
  // After the row's own message: a server that ran out of descriptors or was killed may be why
  // the row failed, and is worth knowing even under an ok one.
  if (work) {
    std::string trouble;
    try {
      trouble = work->trouble();
    } catch (const std::exception& e) {
      trouble = fmt::format("what the work's helpers reported could not be read: {}", e.what());
    }
    if (!trouble.empty()) r.message += (r.message.empty() ? "" : "; ") + trouble;
  }
  return r;
}

}  // namespace

namespace {

// Default time limit of one repetition: generous, scaled by the expected work (the whole work
// on one core, which bounds the wall time whatever the runner) and by how much slower than C++
// the runner does the same work.
double default_timeout(const Scenario& scenario, const Runner& runner, const Cell& cell) {
  return 30.0 + 20.0 * scenario.expected_seconds(cell) * runner.slowdown();
}

// While a pinned cell runs, the harness keeps off the cell's CPUs where a spare one exists: this
// process and the repetition's process that supervises the workers (its main thread waits at the
// start line and samples the measures), which a fork inherits it from and an exec'd one does for
// itself (repetition_process_main). Placement none leaves all as it is.
class HarnessOffCell {
 public:
  explicit HarnessOffCell(const std::vector<int>& measured) {
    if (measured.empty()) return;
    const Topology& topology = Topology::here();
    spare_ = topology.cpus_other_than(measured);
    if (spare_.empty()) {
      note_ = fmt::format("no spare CPU: the harness shared CPUs {} with the workers", format_cpu_list(measured));
      return;
    }
    try {
      topology.bind_process(spare_);
      bound_ = true;
    } catch (const std::exception& e) {
      note_ = fmt::format("the harness could not keep off the workers' CPUs: {}", e.what());
    }
  }
  ~HarnessOffCell() {
    if (!bound_) return;
    try {
      Topology::here().bind_process(Topology::here().cpus());
    } catch (const std::exception&) {
      // Later cells are then measured with the harness on the spare CPUs only: no worse.
    }
  }
  HarnessOffCell(const HarnessOffCell&) = delete;
  HarnessOffCell& operator=(const HarnessOffCell&) = delete;
  const std::string& note() const { return note_; }

 private:
  std::vector<int> spare_;
  bool bound_ = false;
  std::string note_;
};

}  // namespace

int repetition_process_main(const Catalog& catalog, const std::string& cell_text, const std::string& repetition) {
  const int row_fd = dup(STDOUT_FILENO);
  if (row_fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    fmt::print(stderr, "versus repetition: cannot set its output aside: {}\n", std::strerror(errno));
    return 1;
  }
  Cell cell;
  int number = 0;
  try {
    cell = decode_cell(cell_text);
    number = int(parse_integer(repetition, "the repetition's number"));
  } catch (const std::exception& e) {
    fmt::print(stderr, "versus repetition: the cell or its repetition cannot be read: {}\n", e.what());
    return 2;
  }
  const Scenario* scenario = catalog.scenario(cell.scenario);
  const Runner* runner = catalog.runner(cell.runner);
  if (!scenario || !runner) {
    fmt::print(stderr, "versus repetition: this program has no {} '{}'\n", scenario ? "runner" : "scenario",
               scenario ? cell.runner : cell.scenario);
    return 2;
  }
  enter_repetition_process();
  // Started before the harness kept off the cell's CPUs (execute_repetition), this process found
  // the CPUs versus may use as the harness did; it keeps off the cell's own as a fork would have.
  std::optional<HarnessOffCell> off_cell;
  try {
    off_cell.emplace(placement_plan(*scenario, *runner, cell).cpus());
  } catch (const std::exception&) {
    // A plan that cannot be made here is the row's to report: measure_repetition makes it again.
  }
  if (!write_all(row_fd, encode_record(measure_repetition(*scenario, *runner, cell, number)))) {
    fmt::print(stderr, "versus repetition: cannot write the row: {}\n", std::strerror(errno));
    return 1;
  }
  return 0;
}

Record execute_repetition(const Catalog& catalog, const Cell& cell, int repetition) {
  Record r = record_for(cell, repetition);
  const Scenario* scenario = catalog.scenario(cell.scenario);
  const Runner* runner = catalog.runner(cell.runner);
  if (std::string why = why_unsupported(*scenario, *runner, cell); !why.empty()) {
    r.status = Status::kUnsupported;
    r.message = why;
    r.work_size.clear();  // nothing ran, so no size was chosen
    return r;
  }
  const double timeout = cell.timeout_s > 0 ? cell.timeout_s : default_timeout(*scenario, *runner, cell);
  const std::vector<int> cell_cpus = placement_plan(*scenario, *runner, cell).cpus();
  std::optional<HarnessOffCell> off_cell;
  IsolatedEnd end;
  try {
    if (catalog.repetition_command.empty()) {
      off_cell.emplace(cell_cpus);  // before the fork, which inherits it
      end = run_isolated([&] { return encode_record(measure_repetition(*scenario, *runner, cell, repetition)); },
                         timeout);
    } else {
      std::vector<std::string> argv = catalog.repetition_command;
      argv.push_back(encode_cell(cell));
      argv.push_back(std::to_string(repetition));
      // After the start: the program learns the CPUs it may use from its binding at its start.
      end = run_isolated_program(argv, timeout, [&] { off_cell.emplace(cell_cpus); });
    }
  } catch (const std::system_error& e) {  // no pipe, no fork: this machine is out of something
    r.status = Status::kFailed;
    r.message = fmt::format("could not start the repetition's process: {}", e.what());
    return r;
  }
  using How = IsolatedEnd::How;
  switch (end.how) {
    case How::kExited:
      if (end.code == 0 && !end.output.empty()) {
        try {
          r = decode_record(end.output);
        } catch (const std::exception& e) {
          r.status = Status::kFailed;
          r.message = fmt::format("unreadable result from the repetition process: {}", e.what());
        }
      } else {
        r.status = Status::kFailed;
        r.message = fmt::format("repetition process {} without a result", end.describe());
      }
      break;
    case How::kSignaled:
      r.status = Status::kCrashed;
      r.message = fmt::format("repetition process {}", end.describe());
      break;
    case How::kTimedOut:
      r.status = Status::kTimeout;
      r.message = fmt::format("no result within the time limit of {:.1f} s; the cell's processes were killed", timeout);
      break;
    case How::kInterrupted:
      r.status = Status::kFailed;
      r.message = "interrupted";
      break;
  }
  auto note = [&r](const std::string& what) { r.message += (r.message.empty() ? "" : "; ") + what; };
  if (off_cell && !off_cell->note().empty() && r.status == Status::kOk) note(off_cell->note());
  if (end.processes_left > 0)
    note(fmt::format("{} process(es) left behind by the cell were killed", end.processes_left));
  if (end.names_left > 0)
    note(fmt::format("{} shared-memory, queue or temporary name(s) left by the cell were removed", end.names_left));
  return r;
}

}  // namespace versus
