#include "bench/harness/resume.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "bench/results/schema.h"
#include "bench/sys/errors.h"
#include "bench/sys/whole_writes.h"

namespace fs = std::filesystem;

namespace versus {

void save_plan(const std::string& out_dir, const RunPlan& plan) {
  nlohmann::json j;
  j["matrix"] = spec_to_json(plan.spec);
  j["shard"] = plan.shard ? nlohmann::json(plan.shard->str()) : nlohmann::json();
  j["benchmark_args"] = plan.benchmark_args;
  replace_file((fs::path(out_dir) / "matrix.json").string(), j.dump(2) + "\n");
}

RunPlan load_plan(const std::string& out_dir) {
  const fs::path path = fs::path(out_dir) / "matrix.json";
  std::ifstream in(path);
  if (!in) {
    throw UsageError(
        fmt::format("--resume {}: no {} there, so this is not a folder `versus run` wrote", out_dir, path.string()));
  }
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    RunPlan plan;
    plan.spec = spec_from_json(j.at("matrix"));
    if (!j.at("shard").is_null()) plan.shard = parse_shard(j.at("shard").get<std::string>());
    plan.benchmark_args = j.at("benchmark_args").get<std::vector<std::string>>();
    return plan;
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(fmt::format("{}: not a matrix versus wrote: {}", path.string(), e.what()));
  }
}

ResumeState prepare_resume(const std::string& csv_path, const std::vector<Cell>& cells) {
  ResumeState state;
  std::ifstream in(csv_path, std::ios::binary);
  if (!in) {
    state.todo = cells;
    return state;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  // A write cut short (a full disk, a kill mid-row) leaves a last line without its newline.
  bool torn = false;
  if (!text.empty() && text.back() != '\n') {
    const auto last = text.rfind('\n');
    text.erase(last == std::string::npos ? 0 : last + 1);
    torn = true;
  }
  std::vector<Record> rows;
  if (!text.empty()) {
    const CsvTable table = parse_csv(text, csv_path);
    check_results_header(table, csv_path, OlderHeader::kRefuse);
    for (size_t i = 0; i < table.rows.size(); ++i) rows.push_back(record_from_row(table, i, csv_path));
  }
  std::map<std::string, std::set<int>> seen;
  for (const auto& r : rows) seen[r.cell].insert(r.repetition);
  std::set<std::string> complete;
  for (const auto& c : cells) {
    const auto it = seen.find(c.id());
    bool all = it != seen.end();
    for (int rep = 0; all && rep < c.repetitions; ++rep) all = it->second.count(rep) > 0;
    if (all) complete.insert(c.id());
    else state.todo.push_back(c);
  }
  for (auto& r : rows) {
    if (complete.count(r.cell)) state.kept.push_back(std::move(r));
    else ++state.dropped_rows;
  }
  if (state.dropped_rows > 0 || torn) {
    std::string text = csv_line(result_header());
    for (const auto& r : state.kept) text += csv_line(record_row(r));
    replace_file(csv_path, text);
  }
  return state;
}

}  // namespace versus
