// The columns of results.csv: one row per Record member, in column order. This is the only list
// of them in C++: the CSV writer and reader (bench/results/schema.*) and the repetition's message
// to the harness (bench/harness/repetition.cc) walk it, and a test holds reports/SCHEMA.md to it.
// To add a column: a member in Record (cell.h), a row here, and its line in reports/SCHEMA.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "bench/api/cell.h"

namespace versus {

// Where a column lives in a Record. A member pointer rather than get/set functions, so that each
// reader and writer sees the member's own type and picks its own form for it: the CSV writes
// doubles to 9 digits, the repetition's message keeps every bit.
using RecordMember =
    std::variant<std::string Record::*, int Record::*, Status Record::*, std::optional<double> Record::*,
                 std::optional<int64_t> Record::*, std::optional<uint64_t> Record::*>;

struct RecordField {
  const char* name;     // the CSV column
  const char* unit;     // as reports/SCHEMA.md writes it; "" for names, text and plain numbers
  const char* meaning;  // in brief; reports/SCHEMA.md says it in full
  RecordMember member;
};

inline constexpr RecordField kRecordFields[] = {
    {"cell", "", "identity of the cell: scenario/runner/workers:N/params", &Record::cell},
    {"scenario", "", "what work was done", &Record::scenario},
    {"runner", "", "how the workers were made and how they waited", &Record::runner},
    {"workers", "count", "concurrency, in the runner's own unit", &Record::workers},
    {"params", "", "the scenario's and runner's parameters, k=v;k=v sorted by key", &Record::params},
    {"repetition", "index", "0-based repetition of the cell", &Record::repetition},
    {"status", "", "ok, unsupported, invalid, failed, crashed or timeout", &Record::status},
    {"message", "", "why the status is not ok, or what else happened", &Record::message},
    {"wall_s", "s", "wall time of the measured phase: start barrier released to last worker done", &Record::wall_s},
    {"ops", "count", "units of work done in the measured phase (scenario-defined)", &Record::ops},
    {"ops_per_s", "1/s", "ops / wall_s", &Record::ops_per_s},
    {"cpu_user_s", "s", "user CPU time of every process and thread of the cell in the measured phase",
     &Record::cpu_user_s},
    {"cpu_sys_s", "s", "system CPU time, likewise", &Record::cpu_sys_s},
    {"ctx_voluntary", "count", "voluntary context switches (the worker waited), likewise", &Record::ctx_voluntary},
    {"ctx_involuntary", "count", "involuntary context switches (preempted), likewise", &Record::ctx_involuntary},
    {"rss_peak_bytes", "bytes", "peak resident set size summed over the cell's processes", &Record::rss_peak_bytes},
    {"pss_bytes", "bytes", "proportional set size summed over the cell's processes at the end of the measured phase",
     &Record::pss_bytes},
    {"bytes", "bytes", "payload bytes moved in the measured phase (ipc: both directions)", &Record::bytes},
    {"bytes_per_s", "bytes/s", "bytes / wall_s", &Record::bytes_per_s},
    {"lat_p50_us", "µs", "median latency of one operation (ipc pingpong: a round trip)", &Record::lat_p50_us},
    {"lat_p90_us", "µs", "90th percentile latency", &Record::lat_p90_us},
    {"lat_p99_us", "µs", "99th percentile latency", &Record::lat_p99_us},
    {"lat_p999_us", "µs", "99.9th percentile latency", &Record::lat_p999_us},
    {"lost_updates", "count", "sync counter: increments made but missing from the counter", &Record::lost_updates},
    {"setup_s", "s", "mux: registering the descriptors (or creating a thread or fiber for each) before the first round",
     &Record::setup_s},
    {"syscalls", "count", "mux: system calls the runner made in the measured phase (waits, reads, writes, submits)",
     &Record::syscalls},
    {"result", "", "the scenario's checked answer (the prime count, a checksum)", &Record::result},
    {"host", "", "host name of the machine that measured the row", &Record::host},
    {"cpus", "", "the CPUs the cell's workers were bound to (placement), as 0-3,8; empty under placement=none",
     &Record::cpus},
    {"cpu_migrations", "count", "moves of the cell's threads between CPUs in the measured phase; empty when unreadable",
     &Record::cpu_migrations},
    {"other_cpu_s", "s",
     "CPU time used on the cell's CPUs by anything outside the cell during the measured phase (/proc/stat)",
     &Record::other_cpu_s},
    {"steal_s", "s", "time a hypervisor took the cell's CPUs away during the measured phase (/proc/stat)",
     &Record::steal_s},
    {"interfered", "fraction",
     "set only on a repetition set aside: (other_cpu_s + steal_s) / (wall_s x the cell's CPUs)", &Record::interfered},
    // Later columns: an older file, read by position, stops before them (bench/results/schema.cc).
    {"work_size", "", "the value chosen for the cell's work-size parameter when --min-time sized it (params says auto)",
     &Record::work_size},
    {"offered_per_s", "1/s", "open loop: requests per second offered in all; empty for a closed loop",
     &Record::offered_per_s},
    {"late_p99_us", "µs", "open loop: 99th percentile of how late requests were sent after their due time",
     &Record::late_p99_us},
    {"histogram", "", "the row's latency histogram (HdrHistogram text), relative to the output folder",
     &Record::histogram},
};

// The field named `name`, found while compiling: a name that is no column stops the build.
consteval const RecordField& record_field(std::string_view name) {
  for (const auto& f : kRecordFields) {
    if (name == f.name) return f;
  }
  throw "no column of results.csv has this name";
}

}  // namespace versus
