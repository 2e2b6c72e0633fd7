#include "baseline/measure.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <variant>

#include <fmt/format.h>

#include "bench/api/params.h"
#include "bench/results/csv.h"
#include "bench/results/schema.h"
#include "bench/results/stability.h"
#include "bench/sys/child.h"
#include "bench/sys/fd.h"
#include "bench/sys/measure.h"

namespace baseline {
namespace {

constexpr int64_t kBareLimitNs = int64_t(120) * 1'000'000'000;
constexpr int64_t kVersusLimitNs = int64_t(1800) * 1'000'000'000;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// The parameters of a line's cell, placement included, as results.csv spells them.
std::vector<std::pair<std::string, std::string>> cell_set(const Line& line) {
  auto set = line.comparison->set;
  set.emplace_back("placement", versus::placement_name(line.placement));
  return set;
}

// The cell's identity for matching: scenario, runner, workers and its parameters.
std::string cell_key(const Line& line) {
  const Comparison& c = *line.comparison;
  std::string key = fmt::format("{}/{}/{}", c.scenario, c.runner, c.workers);
  for (const auto& [k, v] : cell_set(line)) key += fmt::format(";{}={}", k, v);
  return key;
}

bool row_is_of(const versus::Record& r, const Line& line) {
  const Comparison& c = *line.comparison;
  if (r.scenario != c.scenario || r.runner != c.runner || r.workers != c.workers) return false;
  const std::string params = ";" + r.params + ";";
  for (const auto& [k, v] : cell_set(line)) {
    if (params.find(";" + k + "=" + v + ";") == std::string::npos) return false;
  }
  return true;
}

// One [[matrix]] block per distinct cell (a cell at each placement is one), one repetition each.
std::string preset_text(const std::vector<Line>& lines) {
  std::string text =
      "description = \"the versus cells the bare self-check sets its figures beside\"\nrepetitions = 1\n";
  std::set<std::string> written;
  for (const Line& line : lines) {
    if (!written.insert(cell_key(line)).second) continue;
    const Comparison& c = *line.comparison;
    text += fmt::format("\n[[matrix]]\nscenario = [\"{}\"]\nrunner = [\"{}\"]\nworkers = [{}]\n[matrix.set]\n",
                        c.scenario, c.runner, c.workers);
    for (const auto& [k, v] : cell_set(line)) text += fmt::format("{} = [\"{}\"]\n", k, v);
  }
  return text;
}

// One bare measurement in a child process: its figure, or why there is none.
std::variant<double, std::string> bare_once(const Line& line) {
  versus::ChildOptions options;
  options.capture_output = true;
  options.name = "bare measurement";
  versus::Child child = versus::Child::run(
      [&](int out) {
        std::string said;
        try {
          said = fmt::format("{:.17g}", line.comparison->bare(line.cpus));
        } catch (const std::exception& e) {
          said = std::string("error: ") + e.what();
        }
        return versus::write_all(out, said) ? 0 : 1;
      },
      options);
  versus::ChildWait until;
  until.deadline_ns = versus::now_ns() + kBareLimitNs;
  const versus::ChildEnd end = child.wait(until);
  const std::string& said = child.output();
  if (said.starts_with("error: ")) return said.substr(7);
  if (end.how != versus::ChildEnd::How::kExited || end.code() != 0) return "the bare measurement " + end.describe();
  double figure = 0;
  const auto [rest, ec] = std::from_chars(said.data(), said.data() + said.size(), figure);
  if (ec != std::errc() || rest != said.data() + said.size() || !(figure > 0)) {
    return "the bare measurement said '" + said + "', not a figure";
  }
  return figure;
}

}  // namespace

std::vector<Line> plan_lines(const std::vector<Comparison>& comparisons,
                             const std::vector<versus::Placement>& placements) {
  const versus::Topology& topology = versus::Topology::here();
  std::vector<Line> lines;
  for (const Comparison& c : comparisons) {
    for (const versus::Placement& p : placements) {
      Line line;
      line.comparison = &c;
      line.placement = p;
      const versus::PlacementPlan plan = versus::plan_placement(topology, p, c.units, c.group);
      line.cpus = plan.cpu_of;
      line.note = plan.unsupported;
      lines.push_back(std::move(line));
    }
  }
  return lines;
}

namespace {

// `versus run` once over every line's cell, one repetition each, into `out`; its rows.
std::vector<versus::Record> run_versus_once(const std::vector<Line>& lines, const std::string& versus,
                                            const std::filesystem::path& out) {
  const std::filesystem::path preset = out.string() + ".toml";
  std::filesystem::create_directories(out.parent_path());
  {
    std::ofstream file(preset);
    file << preset_text(lines);
    if (!file.flush()) throw std::runtime_error("cannot write " + preset.string());
  }
  versus::ChildOptions options;
  options.own_group = true;
  options.capture_output = true;
  options.output_limit = 4096;
  options.capture_errors = true;
  options.errors_limit = 4096;
  options.name = "versus";
  versus::Child child = versus::Child::exec(
      {versus, "run", "--preset", preset.string(), "--out", out.string(), "--quiet", "--system-check", "0"}, options);
  versus::ChildWait until;
  until.deadline_ns = versus::now_ns() + kVersusLimitNs;
  const versus::ChildEnd end = child.wait(until);
  std::filesystem::remove(preset);
  // 0: measured; 3: rows written, none ok (each says why, in the lines' notes).
  if (end.how != versus::ChildEnd::How::kExited || (end.code() != 0 && end.code() != 3)) {
    throw std::runtime_error(fmt::format("{} run {}: {}", versus, end.describe(), child.errors()));
  }
  const std::string csv = (out / "results.csv").string();
  const versus::CsvTable table = versus::read_csv_file(csv);
  versus::check_results_header(table, csv, versus::OlderHeader::kRefuse);
  std::vector<versus::Record> records;
  for (size_t i = 0; i < table.rows.size(); ++i) records.push_back(versus::record_from_row(table, i, csv));
  return records;
}

// One turn's figure of a line from its cell's rows (the clean one, as the report takes it), or
// why there is none. A figure measured on other CPUs than the bare ends' is noted on the line.
std::variant<double, std::string> versus_figure_of(Line& line, const std::vector<versus::Record>& records) {
  std::vector<const versus::Record*> mine;
  for (const auto& r : records) {
    if (row_is_of(r, line)) mine.push_back(&r);
  }
  std::optional<double> figure;
  for (const versus::Record* r : versus::rows_used(mine)) {
    if (r->status != versus::Status::kOk) continue;
    figure = line.comparison->versus_figure(*r);
    line.versus_cpus = r->cpus;
  }
  if (!figure) {
    if (mine.empty()) return std::string("versus: no row");
    return fmt::format("versus: {}: {}", versus::status_name(mine.back()->status), mine.back()->message);
  }
  std::vector<int> planned = line.cpus;
  std::sort(planned.begin(), planned.end());
  planned.erase(std::unique(planned.begin(), planned.end()), planned.end());
  if (line.versus_cpus != versus::format_cpu_list(planned) && line.note.empty()) {
    line.note = fmt::format("versus ran on CPUs '{}', the bare ends on {}", line.versus_cpus,
                            versus::format_cpu_list(planned));
  }
  return *figure;
}

// The lines' indices grouped by the versus cell they read (a cell at each placement is one), in
// the order of the lines.
std::vector<std::vector<size_t>> by_cell(const std::vector<Line>& lines) {
  std::vector<std::vector<size_t>> groups;
  std::map<std::string, size_t> group_of;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto [at, added] = group_of.try_emplace(cell_key(lines[i]), groups.size());
    if (added) groups.emplace_back();
    groups[at->second].push_back(i);
  }
  return groups;
}

// Each turn's figures of one line; a turn either half missed is left out of the ratio. Why a half
// gave no figure the last time it gave none: the line's note if it never gave one.
struct Turns {
  std::vector<std::optional<double>> versus, bare;
  std::string versus_missing, bare_missing;
};

std::optional<double> median_of(const std::vector<std::optional<double>>& figures) {
  std::vector<double> present;
  for (const auto& f : figures) {
    if (f) present.push_back(*f);
  }
  if (present.empty()) return std::nullopt;
  return median(present);
}

}  // namespace

void measure(std::vector<Line>& lines, const std::string& versus, const std::filesystem::path& out,
             int repetitions) {
  std::filesystem::create_directories(out);
  Turns none;
  none.versus.resize(size_t(repetitions));
  none.bare.resize(size_t(repetitions));
  std::vector<Turns> turns(lines.size(), none);
  const std::vector<std::vector<size_t>> groups = by_cell(lines);
  for (int rep = 1; rep <= repetitions; ++rep) {
    const size_t turn = size_t(rep - 1);
    for (size_t g = 0; g < groups.size(); ++g) {
      const std::vector<size_t>& group = groups[g];
      auto bare_half = [&] {
        for (size_t i : group) {
          Line& line = lines[i];
          // Unsupported here, or failing from the first turn: not tried again.
          if ((!line.note.empty() || !turns[i].bare_missing.empty()) && !line.bare_n) continue;
          auto result = bare_once(line);
          if (auto* why = std::get_if<std::string>(&result)) {
            turns[i].bare_missing = "bare: " + *why;
          } else {
            turns[i].bare[turn] = std::get<double>(result);
            ++line.bare_n;
          }
        }
      };
      auto versus_half = [&] {
        std::vector<Line> cell;
        for (size_t i : group) cell.push_back(lines[i]);
        const auto rows =
            run_versus_once(cell, versus, out / fmt::format("rep-{}", rep) / fmt::format("cell-{}", g + 1));
        for (size_t i : group) {
          auto result = versus_figure_of(lines[i], rows);
          if (auto* why = std::get_if<std::string>(&result)) {
            turns[i].versus_missing = std::move(*why);
          } else {
            turns[i].versus[turn] = std::get<double>(result);
            ++lines[i].versus_n;
          }
        }
      };
      // The two halves of a line one right after the other, so that both see the machine as it
      // is then (its speed drifts over seconds here); which goes first alternates turn by turn.
      if (rep % 2 == 1) {
        bare_half();
        versus_half();
      } else {
        versus_half();
        bare_half();
      }
    }
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    Line& line = lines[i];
    line.bare = median_of(turns[i].bare);
    line.versus_figure = median_of(turns[i].versus);
    std::vector<std::optional<double>> ratios;
    for (size_t t = 0; t < size_t(repetitions); ++t) {
      if (turns[i].versus[t] && turns[i].bare[t]) ratios.push_back(*turns[i].versus[t] / *turns[i].bare[t]);
    }
    line.ratio = median_of(ratios);
    if (!line.note.empty()) continue;
    if (!line.bare_n) {
      line.note = turns[i].bare_missing;
    } else if (!line.versus_n) {
      line.note = turns[i].versus_missing;
    } else if (!line.ratio) {
      line.note = "no turn had both figures";
    }
  }
}

}  // namespace baseline
