// `versus merge`: joins the results of shards of one matrix into one folder, refusing what does
// not fit (another schema, a row twice, another recorded matrix unless asked) and warning when
// the machines differ.
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/sys/whole_writes.h"
#include "bench/cli/commands.h"
#include "bench/results/histogram_files.h"
#include "bench/results/results_files.h"
#include "bench/results/schema.h"

namespace fs = std::filesystem;

namespace versus {

namespace {

// What makes runs shards of one matrix: the matrix matrix.json records beside `csv`, and the
// --benchmark_filter it ran with (the last one given); the shard may differ. nullopt when there
// is no matrix.json.
std::optional<nlohmann::json> recorded_matrix(const fs::path& csv) {
  const fs::path path = csv.parent_path() / "matrix.json";
  std::ifstream in(path);
  if (!in) return std::nullopt;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(fmt::format("merge: {} is not the JSON versus writes: {}", path.string(), e.what()));
  }
  if (!j.is_object() || !j.contains("matrix")) {
    throw UsageError(
        fmt::format("merge: {} records no matrix, so it is not the matrix.json versus writes", path.string()));
  }
  std::string filter;
  if (j.contains("benchmark_args") && j["benchmark_args"].is_array()) {
    for (const auto& arg : j["benchmark_args"]) {
      const std::string a = arg.is_string() ? arg.get<std::string>() : "";
      if (a.starts_with("--benchmark_filter=")) filter = a.substr(a.find('=') + 1);
    }
  }
  return nlohmann::json{{"matrix", j["matrix"]}, {"benchmark_filter", filter}};
}

// Where two recorded matrices differ, as "/matrix/repetitions: 2 in A, 3 in B" (three at most).
std::string differences(const nlohmann::json& a, const std::string& a_name, const nlohmann::json& b,
                        const std::string& b_name) {
  const nlohmann::json patch = nlohmann::json::diff(a, b);
  std::vector<std::string> parts;
  for (const auto& op : patch) {
    if (parts.size() == 3) {
      parts.push_back(fmt::format("and {} more", patch.size() - 3));
      break;
    }
    const std::string path = op.at("path").get<std::string>();
    const nlohmann::json::json_pointer at(path);
    parts.push_back(fmt::format("{}: {} in {}, {} in {}", path == "/benchmark_filter" ? "--benchmark_filter" : path,
                                a.contains(at) ? a[at].dump() : "nothing", a_name,
                                b.contains(at) ? b[at].dump() : "nothing", b_name));
  }
  return join(parts, "; ");
}

std::string machine_of(const nlohmann::json& env) {
  auto get = [&](const char* k) { return env.contains(k) ? env[k].dump() : std::string("?"); };
  return fmt::format("cpu_model={} logical_cores={} kernel={}", get("cpu_model"), get("logical_cores"), get("kernel"));
}

}  // namespace

int merge_command(const MergeOptions& options) {
  if (options.inputs.empty()) throw UsageError("merge: give the results to join (results.csv files or folders)");
  const fs::path out(options.out);
  if (fs::exists(out / "results.csv")) {
    throw UsageError(fmt::format("merge: {} already holds results (results.csv); choose another -o", out.string()));
  }
  std::vector<Record> rows;
  std::vector<fs::path> row_inputs;  // the results.csv each row came from
  // (cell, repetition) -> the input (its index) and line where first seen. One input may hold a
  // repetition more than once: the attempts set aside for interference, then the one run again.
  std::map<std::pair<std::string, int>, std::pair<size_t, std::string>> origin;
  nlohmann::json sources = nlohmann::json::array();
  std::optional<std::string> first_machine;
  struct Recorded {
    nlohmann::json matrix;
    std::string csv, file;  // the input and its matrix.json
  };
  std::optional<Recorded> first_matrix;
  std::vector<std::string> unrecorded;  // inputs with no matrix.json beside them
  for (size_t input_index = 0; input_index < options.inputs.size(); ++input_index) {
    const fs::path csv = results_csv_of(options.inputs[input_index]);
    const CsvTable table = read_csv_file(csv.string());
    check_results_header(table, csv.string(), OlderHeader::kAccept);
    const auto matrix = recorded_matrix(csv);
    const std::string matrix_file = (csv.parent_path() / "matrix.json").string();
    if (!matrix) {
      unrecorded.push_back(csv.string());
    } else if (!first_matrix) {
      first_matrix = Recorded{*matrix, csv.string(), matrix_file};
    } else if (*matrix != first_matrix->matrix) {
      const std::string diff = differences(first_matrix->matrix, first_matrix->file, *matrix, matrix_file);
      if (!options.allow_different_matrices) {
        throw UsageError(
            fmt::format("merge: {} was run with another matrix than {}: {}; merge joins the shards of one "
                        "matrix: give --allow-different-matrices to join these anyway",
                        csv.string(), first_matrix->csv, diff));
      }
      fmt::print(stderr,
                 "versus merge: warning: {} was run with another matrix ({}); joined as "
                 "--allow-different-matrices asks\n",
                 csv.string(), diff);
    }
    for (size_t i = 0; i < table.rows.size(); ++i) {
      Record r = record_from_row(table, i, csv.string());
      const std::string here = fmt::format("{}:{}", csv.string(), table.row_lines[i]);
      auto [it, fresh] = origin.emplace(std::make_pair(r.cell, r.repetition), std::make_pair(input_index, here));
      if (!fresh && it->second.first != input_index) {
        throw UsageError(
            fmt::format("merge: repetition {} of cell {} is in {} and again in {}; merge joins "
                        "disjoint results such as the shards of one matrix",
                        r.repetition, r.cell, it->second.second, here));
      }
      rows.push_back(std::move(r));
      row_inputs.push_back(csv);
    }
    const auto env = env_beside(csv);
    sources.push_back({{"results", csv.string()},
                       {"env", env ? *env : nlohmann::json()},
                       {"matrix", matrix ? (*matrix)["matrix"] : nlohmann::json()}});
    if (env) {
      const std::string machine = machine_of(*env);
      if (!first_machine) first_machine = machine;
      else if (machine != *first_machine) {
        fmt::print(stderr,
                   "versus merge: warning: {} was measured on a different machine ({}) than the first "
                   "input ({}); each row keeps its host\n",
                   csv.string(), machine, *first_machine);
      }
    }
  }
  if (first_matrix && !unrecorded.empty()) {
    fmt::print(stderr,
               "versus merge: warning: no matrix.json beside {}, so whether it is a shard of the same matrix "
               "as {} is not known\n",
               join(unrecorded, ", "), first_matrix->csv);
  }
  const OutputFolderLock lock(out);
  if (fs::exists(out / "results.csv")) {  // written since the check above
    throw UsageError(fmt::format("merge: {} already holds results (results.csv); choose another -o", out.string()));
  }
  ResultsWriter writer((out / "results.csv").string());
  for (size_t i = 0; i < rows.size(); ++i) {
    Record& r = rows[i];
    // A latency row's side file comes along under the same name: a name holds a hash of the cell
    // id and the repetition, and no repetition is in two inputs.
    try {
      carry_histogram(r, row_inputs[i], out / "results.csv", r.histogram);
    } catch (const std::runtime_error& e) {
      fmt::print(stderr, "versus merge: warning: {}; the row is kept without it\n", e.what());
      r.histogram.clear();
    }
    writer.write(r);
  }
  // The first input's environment at the top, so tools reading one env.json find the usual keys.
  nlohmann::json env = sources.empty() || sources[0]["env"].is_null() ? nlohmann::json::object() : sources[0]["env"];
  env["merged_from"] = sources;
  replace_file((out / "env.json").string(), env.dump(2) + "\n");
  fmt::print("versus merge: {} rows from {} inputs into {}\n", rows.size(), options.inputs.size(),
             (out / "results.csv").string());
  return 0;
}

}  // namespace versus
