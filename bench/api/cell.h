// A cell: one point of the matrix, and the repetition record it produces.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "bench/api/params.h"
#include "bench/sys/histogram.h"

namespace versus {

struct Cell {
  std::string scenario;
  std::string runner;
  int workers = 1;
  Params params;  // every parameter of the scenario and of the runner, with its value
  int repetitions = 1;
  int warmup = 0;        // discarded repetitions before the first measured one
  double timeout_s = 0;  // limit for each repetition's child process
  // A repetition whose CPUs went to something else for more than this share of their time is
  // set aside and run again, up to `retries` times (reports/SCHEMA.md, `interfered`).
  double interference_limit = 0.05;
  int retries = 2;
  // Work sized by time (--min-time, bench/harness/work_sizing.h): the parameter whose value the
  // harness chooses so a repetition lasts about `min_time_s`, empty when every value is as given.
  // `params` holds the value to run; the identity and the `params` column say `auto` for it, the
  // `work_size` column the value chosen.
  std::string sized_param;
  double min_time_s = 0;
  int repetition = 0;    // in a repetition's own process: which one it runs (0-based; warm-ups run as 0)
  // In a repetition's own process: the CPU of each unit the runner places (placed_units in
  // bench/api/runner.h), from the placement plan; empty under placement=none.
  std::vector<int> unit_cpus;
  // For a cell whose load is a share of its closed-loop rate (Scenario::peak_twin; redis
  // rate=P%): that rate in ops per second, measured in this run, set by the harness before the
  // cell's repetitions run; 0 until then.
  double peak_ops_per_s = 0;

  // "cpu/fork/workers:2/count=300000;kernel=primes;split=static": the `cell` column and the
  // name the benchmark engine knows the cell by (so --benchmark_filter selects cells).
  std::string id() const;
  // The parameters as the identity gives them: the sized one's value is `auto`.
  std::string canonical_params() const;
};

// Parameters every cell has, whatever its scenario and runner (placement): part of the cell's
// identity as theirs are, declared once here and read by the runners that place their workers.
std::span<const ParamSpec> cell_params();

// About how long one hand-over between two workers takes (a message answered, a token passed),
// by the cell's placement: on one CPU a context switch, across CPUs a wake-up on another, where
// the scheduler puts them somewhere between. Measured on a 2-vCPU VM (benchmarks/placement.sh);
// for Scenario::expected_seconds, which sizes time limits and estimates, never for a measure.
double typical_handover_s(const Cell& cell);

enum class Status { kOk, kUnsupported, kInvalid, kFailed, kCrashed, kTimeout };
const char* status_name(Status s);
std::optional<Status> parse_status(std::string_view name);
inline std::ostream& operator<<(std::ostream& os, Status s) { return os << status_name(s); }

// One row of results.csv: one repetition of one cell. Measures that a repetition did not
// produce (a row that is not ok) stay empty (nullopt) and are written as empty fields.
struct Record {
  std::string cell;
  std::string scenario;
  std::string runner;
  int workers = 0;
  std::string params;
  int repetition = 0;
  Status status = Status::kOk;
  std::string message;
  std::optional<double> wall_s;
  std::optional<uint64_t> ops;
  std::optional<double> ops_per_s;
  std::optional<double> cpu_user_s;
  std::optional<double> cpu_sys_s;
  std::optional<int64_t> ctx_voluntary;
  std::optional<int64_t> ctx_involuntary;
  std::optional<int64_t> rss_peak_bytes;
  std::optional<int64_t> pss_bytes;
  std::optional<uint64_t> bytes;  // payload bytes moved (channels, connections)
  std::optional<double> bytes_per_s;
  std::optional<double> lat_p50_us;  // per-operation latency percentiles
  std::optional<double> lat_p90_us;
  std::optional<double> lat_p99_us;
  std::optional<double> lat_p999_us;
  std::optional<double> offered_per_s;  // open loop: requests per second offered in all
  std::optional<double> late_p99_us;    // open loop: 99th percentile of how late sends went out
  std::string histogram;  // the latency histogram's side file, relative to the output folder
  std::optional<uint64_t> lost_updates;  // sync counter: increments lost without a lock
  std::optional<double> setup_s;         // mux: registering descriptors before the first round
  std::optional<uint64_t> syscalls;      // mux: system calls made in the measured phase
  std::optional<uint64_t> result;        // the scenario's checked answer (e.g. the prime count)
  std::string host;
  std::string cpus;                        // the CPUs the cell's workers were bound to; empty under none
  std::optional<uint64_t> cpu_migrations;  // moves between CPUs of the cell's threads, measured phase
  std::optional<double> other_cpu_s;       // the cell's CPUs busy with something else, measured phase
  std::optional<double> steal_s;           // the cell's CPUs taken by a hypervisor, measured phase
  std::optional<double> interfered;        // set on a repetition set aside for interference: the fraction
  std::string work_size;                   // "count=4000000": the value chosen for the cell's sized parameter
  // Not a column: the side file's text (HdrHistogram's percentile distribution), carried from the
  // repetition's process to the harness, which writes it and sets `histogram`.
  std::string histogram_text;
};

Record record_for(const Cell& cell, int repetition);

// The lat_* columns from a histogram of nanoseconds, and the side file's text for the harness
// to write (`histogram`): one place for every scenario that measures latency.
void set_latency(Record& r, const LatencyHistogram& ns);

}  // namespace versus
