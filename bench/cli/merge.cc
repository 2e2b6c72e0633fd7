// `versus merge`: joins the results of shards (or of any runs with the same schema) into one
// folder, refusing what does not fit and warning when the machines differ.
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/cli/commands.h"
#include "bench/results/results_files.h"
#include "bench/results/schema.h"

namespace fs = std::filesystem;

namespace versus {

namespace {

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
  std::map<std::pair<std::string, int>, std::string> origin;  // (cell, repetition) -> where first seen
  nlohmann::json sources = nlohmann::json::array();
  std::optional<std::string> first_machine;
  for (const auto& input : options.inputs) {
    const fs::path csv = results_csv_of(input);
    const CsvTable table = read_csv_file(csv.string());
    check_results_header(table, csv.string());
    for (size_t i = 0; i < table.rows.size(); ++i) {
      Record r = record_from_row(table, i, csv.string());
      const std::string here = fmt::format("{}:{}", csv.string(), table.row_lines[i]);
      auto [it, fresh] = origin.emplace(std::make_pair(r.cell, r.repetition), here);
      if (!fresh) {
        throw UsageError(fmt::format("merge: repetition {} of cell {} is in {} and again in {}; merge joins "
                                     "disjoint results such as the shards of one matrix",
                                     r.repetition, r.cell, it->second, here));
      }
      rows.push_back(std::move(r));
    }
    const auto env = env_beside(csv);
    sources.push_back({{"results", csv.string()}, {"env", env ? *env : nlohmann::json()}});
    if (env) {
      const std::string machine = machine_of(*env);
      if (!first_machine) first_machine = machine;
      else if (machine != *first_machine) {
        fmt::print(stderr, "versus merge: warning: {} was measured on a different machine ({}) than the first "
                           "input ({}); each row keeps its host\n", csv.string(), machine, *first_machine);
      }
    }
  }
  const OutputFolderLock lock(out);
  if (fs::exists(out / "results.csv")) {  // written since the check above
    throw UsageError(fmt::format("merge: {} already holds results (results.csv); choose another -o", out.string()));
  }
  ResultsWriter writer((out / "results.csv").string());
  for (const auto& r : rows) writer.write(r);
  // The first input's environment at the top, so tools reading one env.json find the usual keys.
  nlohmann::json env = sources.empty() || sources[0]["env"].is_null() ? nlohmann::json::object() : sources[0]["env"];
  env["merged_from"] = sources;
  std::ofstream(out / "env.json") << env.dump(2) << "\n";
  fmt::print("versus merge: {} rows from {} inputs into {}\n", rows.size(), options.inputs.size(),
             (out / "results.csv").string());
  return 0;
}

}  // namespace versus
