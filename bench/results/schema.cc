#include "bench/results/schema.h"
#include "bench/sys/errors.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include <fmt/format.h>

namespace versus {

const std::vector<Column>& result_columns() {
  static const std::vector<Column> columns = {
      {"cell", "", "identity of the cell: scenario/runner/workers:N/params"},
      {"scenario", "", "what work was done"},
      {"runner", "", "how the workers were made and how they waited"},
      {"workers", "count", "concurrency, in the runner's own unit"},
      {"params", "", "the scenario's and runner's parameters, k=v;k=v sorted by key"},
      {"repetition", "index", "0-based repetition of the cell"},
      {"status", "", "ok, unsupported, invalid, failed, crashed or timeout"},
      {"message", "", "why the status is not ok, or what else happened"},
      {"wall_s", "s", "wall time of the measured phase: start barrier released to last worker done"},
      {"ops", "count", "units of work done in the measured phase (scenario-defined)"},
      {"ops_per_s", "1/s", "ops / wall_s"},
      {"cpu_user_s", "s", "user CPU time of every process and thread of the cell in the measured phase"},
      {"cpu_sys_s", "s", "system CPU time, likewise"},
      {"ctx_voluntary", "count", "voluntary context switches (the worker waited), likewise"},
      {"ctx_involuntary", "count", "involuntary context switches (preempted), likewise"},
      {"rss_peak_bytes", "bytes", "peak resident set size summed over the cell's processes"},
      {"pss_bytes", "bytes", "proportional set size summed over the cell's processes at the end of the measured phase"},
      {"bytes", "bytes", "payload bytes moved in the measured phase (ipc: both directions)"},
      {"bytes_per_s", "bytes/s", "bytes / wall_s"},
      {"lat_p50_us", "us", "median latency of one operation (ipc pingpong: a round trip)"},
      {"lat_p90_us", "us", "90th percentile latency"},
      {"lat_p99_us", "us", "99th percentile latency"},
      {"lat_p999_us", "us", "99.9th percentile latency"},
      {"lost_updates", "count", "sync counter: increments made but missing from the counter"},
      {"setup_s", "s", "mux: registering the descriptors (or creating a thread or fiber for each) before the first round"},
      {"syscalls", "count", "mux: system calls the runner made in the measured phase (waits, reads, writes, submits)"},
      {"result", "", "the scenario's checked answer (the prime count, a checksum)"},
      {"host", "", "host name of the machine that measured the row"},
  };
  return columns;
}

std::vector<std::string> result_header() {
  std::vector<std::string> names;
  for (const auto& c : result_columns()) names.push_back(c.name);
  return names;
}

namespace {

template <typename T>
std::string opt(const std::optional<T>& v) {
  if (!v) return {};
  if constexpr (std::is_floating_point_v<T>) return fmt::format("{:.9g}", *v);
  else return std::to_string(*v);
}

template <typename T>
void parse_opt(const std::string& text, std::optional<T>& out, const char* column, const std::string& where) {
  if (text.empty()) return;
  try {
    size_t used = 0;
    if constexpr (std::is_floating_point_v<T>) out = std::stod(text, &used);
    else if constexpr (std::is_signed_v<T>) out = std::stoll(text, &used);
    else out = std::stoull(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    throw UsageError(fmt::format("{}: column {}: '{}' is not a number", where, column, text));
  }
}

}  // namespace

std::vector<std::string> record_fields(const Record& r) {
  return {r.cell,
          r.scenario,
          r.runner,
          std::to_string(r.workers),
          r.params,
          std::to_string(r.repetition),
          status_name(r.status),
          r.message,
          opt(r.wall_s),
          opt(r.ops),
          opt(r.ops_per_s),
          opt(r.cpu_user_s),
          opt(r.cpu_sys_s),
          opt(r.ctx_voluntary),
          opt(r.ctx_involuntary),
          opt(r.rss_peak_bytes),
          opt(r.pss_bytes),
          opt(r.bytes),
          opt(r.bytes_per_s),
          opt(r.lat_p50_us),
          opt(r.lat_p90_us),
          opt(r.lat_p99_us),
          opt(r.lat_p999_us),
          opt(r.lost_updates),
          opt(r.setup_s),
          opt(r.syscalls),
          opt(r.result),
          r.host};
}

void check_results_header(const CsvTable& table, const std::string& origin) {
  const auto want = result_header();
  if (table.header != want) {
    throw UsageError(fmt::format("{}:1: the header is not the results schema; expected: {}", origin, join(want, ",")));
  }
}

Record record_from_row(const CsvTable& table, size_t i, const std::string& origin) {
  const auto& f = table.rows[i];
  const std::string where = fmt::format("{}:{}", origin, table.row_lines[i]);
  Record r;
  r.cell = f[0];
  r.scenario = f[1];
  r.runner = f[2];
  std::optional<int64_t> workers, repetition;
  parse_opt(f[3], workers, "workers", where);
  parse_opt(f[5], repetition, "repetition", where);
  if (!workers || !repetition) throw UsageError(fmt::format("{}: workers and repetition must not be empty", where));
  r.workers = static_cast<int>(*workers);
  r.repetition = static_cast<int>(*repetition);
  r.params = f[4];
  auto status = parse_status(f[6]);
  if (!status) {
    throw UsageError(fmt::format("{}: status '{}' is not one of ok, unsupported, invalid, failed, crashed, timeout", where, f[6]));
  }
  r.status = *status;
  r.message = f[7];
  parse_opt(f[8], r.wall_s, "wall_s", where);
  parse_opt(f[9], r.ops, "ops", where);
  parse_opt(f[10], r.ops_per_s, "ops_per_s", where);
  parse_opt(f[11], r.cpu_user_s, "cpu_user_s", where);
  parse_opt(f[12], r.cpu_sys_s, "cpu_sys_s", where);
  parse_opt(f[13], r.ctx_voluntary, "ctx_voluntary", where);
  parse_opt(f[14], r.ctx_involuntary, "ctx_involuntary", where);
  parse_opt(f[15], r.rss_peak_bytes, "rss_peak_bytes", where);
  parse_opt(f[16], r.pss_bytes, "pss_bytes", where);
  parse_opt(f[17], r.bytes, "bytes", where);
  parse_opt(f[18], r.bytes_per_s, "bytes_per_s", where);
  parse_opt(f[19], r.lat_p50_us, "lat_p50_us", where);
  parse_opt(f[20], r.lat_p90_us, "lat_p90_us", where);
  parse_opt(f[21], r.lat_p99_us, "lat_p99_us", where);
  parse_opt(f[22], r.lat_p999_us, "lat_p999_us", where);
  parse_opt(f[23], r.lost_updates, "lost_updates", where);
  parse_opt(f[24], r.setup_s, "setup_s", where);
  parse_opt(f[25], r.syscalls, "syscalls", where);
  parse_opt(f[26], r.result, "result", where);
  r.host = f[27];
  return r;
}

ResultsWriter::ResultsWriter(const std::string& path) : path_(path) {
  struct stat st {};
  const bool fresh = stat(path.c_str(), &st) != 0 || st.st_size == 0;
  file_ = std::fopen(path.c_str(), "a");
  if (!file_) throw_errno("open " + path);
  if (fresh) put(csv_line(result_header()));
}

ResultsWriter::~ResultsWriter() {
  if (file_) std::fclose(file_);
}

void ResultsWriter::write(const Record& r) { put(csv_line(record_fields(r))); }

void ResultsWriter::put(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::fflush(file_) != 0) {
    throw_errno("write " + path_);
  }
}

}  // namespace versus
