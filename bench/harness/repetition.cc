#include "bench/harness/repetition.h"

#include <unistd.h>

#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/harness/isolate.h"

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
  return runner.unsupported(scenario, cell);
}

Record measure_repetition(const Scenario& scenario, const Runner& runner, const Cell& matrix_cell, int repetition) {
  Record r = record_for(matrix_cell, repetition);
  Cell cell = matrix_cell;
  cell.repetition = repetition;
  try {
    std::unique_ptr<Work> work;
    TaskOutcome out;
    if (scenario.shape() == kMultiplexShape) {
      std::unique_ptr<MultiplexWork> mux = scenario.make_multiplex(cell);
      reset_peak_rss();
      out = runner.run_multiplex(*mux, cell);
      work = std::move(mux);
    } else if (scenario.shape() == kConversationShape) {
      std::unique_ptr<ConversationWork> talk = scenario.make_conversations(cell);
      reset_peak_rss();
      out = runner.run_conversations(*talk, cell);
      work = std::move(talk);
    } else {
      std::unique_ptr<TaskWork> task = scenario.make_task(cell);
      reset_peak_rss();
      out = runner.run_task(*task, cell, layout_of(scenario, cell));
      work = std::move(task);
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
    for (size_t i = 0; i < out.results.size(); ++i) {
      if (out.results[i].failed) {
        r.status = Status::kFailed;
        r.message = fmt::format("worker {}: {}", i, out.results[i].message);
        return r;
      }
    }
    r.result = work->answer(out.results);
    if (std::string wrong = work->check(out.results); !wrong.empty()) {
      r.status = Status::kInvalid;
      r.message = wrong;
    } else if (!out.own_measures) {
      work->add_measures(out.results, r);
    } else {
      r.bytes = out.bytes;
      if (out.bytes) r.bytes_per_s = out.wall_s > 0 ? double(*out.bytes) / out.wall_s : 0.0;
      r.lat_p50_us = out.lat_p50_us;
      r.lat_p90_us = out.lat_p90_us;
      r.lat_p99_us = out.lat_p99_us;
      r.lat_p999_us = out.lat_p999_us;
    }
  } catch (const WorkerCrashed& e) {
    r.status = Status::kCrashed;
    r.message = e.what();
  } catch (const std::exception& e) {
    r.status = Status::kFailed;
    r.message = e.what();
  }
  return r;
}

namespace {

template <typename T>
void put(nlohmann::json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

template <typename T>
void get(const nlohmann::json& j, const char* key, std::optional<T>& v) {
  if (j.contains(key) && !j[key].is_null()) v = j[key].get<T>();
}

// Default time limit of one repetition: generous, scaled by the expected work (the whole work
// on one core, which bounds the wall time whatever the runner) and by how much slower than C++
// the runner does the same work.
double default_timeout(const Scenario& scenario, const Runner& runner, const Cell& cell) {
  return 30.0 + 20.0 * scenario.expected_seconds(cell) * runner.slowdown();
}

}  // namespace

std::string encode_measures(const Record& r) {
  nlohmann::json j;
  j["status"] = status_name(r.status);
  j["message"] = r.message;
  put(j, "wall_s", r.wall_s);
  put(j, "ops", r.ops);
  put(j, "ops_per_s", r.ops_per_s);
  put(j, "cpu_user_s", r.cpu_user_s);
  put(j, "cpu_sys_s", r.cpu_sys_s);
  put(j, "ctx_voluntary", r.ctx_voluntary);
  put(j, "ctx_involuntary", r.ctx_involuntary);
  put(j, "rss_peak_bytes", r.rss_peak_bytes);
  put(j, "pss_bytes", r.pss_bytes);
  put(j, "bytes", r.bytes);
  put(j, "bytes_per_s", r.bytes_per_s);
  put(j, "lat_p50_us", r.lat_p50_us);
  put(j, "lat_p90_us", r.lat_p90_us);
  put(j, "lat_p99_us", r.lat_p99_us);
  put(j, "lat_p999_us", r.lat_p999_us);
  put(j, "lost_updates", r.lost_updates);
  put(j, "setup_s", r.setup_s);
  put(j, "syscalls", r.syscalls);
  put(j, "result", r.result);
  return j.dump();
}

void decode_measures(const std::string& text, Record& r) {
  const nlohmann::json j = nlohmann::json::parse(text);
  r.status = parse_status(j.at("status").get<std::string>()).value();
  r.message = j.at("message").get<std::string>();
  get(j, "wall_s", r.wall_s);
  get(j, "ops", r.ops);
  get(j, "ops_per_s", r.ops_per_s);
  get(j, "cpu_user_s", r.cpu_user_s);
  get(j, "cpu_sys_s", r.cpu_sys_s);
  get(j, "ctx_voluntary", r.ctx_voluntary);
  get(j, "ctx_involuntary", r.ctx_involuntary);
  get(j, "rss_peak_bytes", r.rss_peak_bytes);
  get(j, "pss_bytes", r.pss_bytes);
  get(j, "bytes", r.bytes);
  get(j, "bytes_per_s", r.bytes_per_s);
  get(j, "lat_p50_us", r.lat_p50_us);
  get(j, "lat_p90_us", r.lat_p90_us);
  get(j, "lat_p99_us", r.lat_p99_us);
  get(j, "lat_p999_us", r.lat_p999_us);
  get(j, "lost_updates", r.lost_updates);
  get(j, "setup_s", r.setup_s);
  get(j, "syscalls", r.syscalls);
  get(j, "result", r.result);
}

Record execute_repetition(const Catalog& catalog, const Cell& cell, int repetition) {
  Record r = record_for(cell, repetition);
  const Scenario* scenario = catalog.scenario(cell.scenario);
  const Runner* runner = catalog.runner(cell.runner);
  if (std::string why = why_unsupported(*scenario, *runner, cell); !why.empty()) {
    r.status = Status::kUnsupported;
    r.message = why;
    return r;
  }
  const double timeout = cell.timeout_s > 0 ? cell.timeout_s : default_timeout(*scenario, *runner, cell);
  IsolatedEnd end;
  try {
    end = run_isolated([&] { return encode_measures(measure_repetition(*scenario, *runner, cell, repetition)); },
                       timeout);
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
          decode_measures(end.output, r);
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
  if (end.leftovers > 0) note(fmt::format("{} process(es) left behind by the cell were killed", end.leftovers));
  if (end.litter > 0) note(fmt::format("{} shared-memory, queue or temporary name(s) left by the cell were removed", end.litter));
  return r;
}

}  // namespace versus
