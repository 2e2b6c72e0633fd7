// versus-baseline: how much of a versus figure is versus. Runs the bare form of each primitive
// versus measures and the versus cell beside it, under the same placement, and prints (and
// optionally writes as CSV) what, placement, CPUs, versus, bare and their ratio.
#include <stdlib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>

#include <fmt/format.h>

#include "baseline/comparisons.h"
#include "baseline/measure.h"
#include "bench/api/params.h"
#include "bench/results/csv.h"

namespace {

using baseline::Line;

// The columns of baseline.csv, which the report's environment section reads (scripts/versus_report).
const std::vector<std::string> kColumns = {"what",   "placement", "cpus",  "unit",     "higher_is_better",
                                           "versus", "bare",      "ratio", "versus_n", "bare_n", "note"};

std::string figure(const std::optional<double>& v) { return v ? fmt::format("{:.4g}", *v) : ""; }
std::string ratio(const Line& l) { return l.ratio ? fmt::format("{:.2f}", *l.ratio) : ""; }

std::vector<std::string> fields(const Line& l) {
  const baseline::Comparison& c = *l.comparison;
  return {c.what,
          versus::placement_name(l.placement),
          versus::format_cpu_list(l.cpus),
          c.unit,
          c.higher_is_better ? "1" : "0",
          figure(l.versus_figure),
          figure(l.bare),
          ratio(l),
          std::to_string(l.versus_n),
          std::to_string(l.bare_n),
          l.note};
}

void print_table(const std::vector<Line>& lines) {
  std::vector<std::vector<std::string>> rows = {{"what", "placement", "cpus", "versus", "bare", "unit", "ratio"}};
  for (const Line& l : lines) {
    const auto f = fields(l);
    rows.push_back({f[0], f[1], f[2], f[5], f[6], f[3], f[7]});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string out;
    for (size_t i = 0; i < r.size(); ++i) out += fmt::format("{:<{}}  ", r[i], width[i]);
    std::cout << out.substr(0, out.find_last_not_of(' ') + 1) << '\n';
  }
  for (const Line& l : lines) {
    if (!l.note.empty()) std::cout << fmt::format("{} ({}): {}\n", l.comparison->what, fields(l)[1], l.note);
  }
  std::cout
      << "versus, bare: medians over the turns; ratio: the median of each turn's versus / bare, the two measured\n"
         "one right after the other; for GB/s higher is better, else lower.\n";
}

void write_csv(const std::vector<Line>& lines, const std::string& path) {
  std::ofstream out(path);
  out << versus::csv_line(kColumns);
  for (const Line& l : lines) out << versus::csv_line(fields(l));
  if (!out.flush()) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
}

// The versus program beside this one.
std::string versus_beside_me() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("versus") : (self.parent_path() / "versus").string();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"versus-baseline: versus's figures beside bare programs doing the same, under the same placement"};
  std::string placements_text = "same,spread", only, csv, versus = versus_beside_me(), keep;
  int repetitions = 5;
  double scale = 1;
  app.add_option("--placement", placements_text, "placements, comma-separated (none, same, spread, compact, cpus:LIST)");
  app.add_option("--repetitions", repetitions, "repetitions of each bare measurement and versus cell (default 5)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--only", only, "a regular expression: only the comparisons whose name it finds");
  app.add_option("--scale", scale, "work per measurement, times the README's (default 1)")->check(CLI::Range(1e-4, 1e3));
  app.add_option("--csv", csv, "also write the table here as CSV (the report reads RESULTS/baseline.csv)");
  app.add_option("--versus", versus, "the versus program (default: the one beside this)");
  app.add_option("--versus-out", keep, "keep versus's results in this new folder (default: a temporary one)");
  CLI11_PARSE(app, argc, argv);

  std::vector<versus::Placement> placements;
  std::vector<baseline::Comparison> chosen;
  try {
    for (const auto& text : CLI::detail::split(placements_text, ',')) placements.push_back(versus::parse_placement(text));
    const std::regex pattern(only);
    for (auto& c : baseline::comparisons(scale)) {
      if (std::regex_search(c.what, pattern)) chosen.push_back(std::move(c));
    }
    if (chosen.empty()) {
      std::string names;
      for (const auto& c : baseline::comparisons(scale)) names += "\n  " + c.what;
      throw versus::UsageError("--only '" + only + "' selects no comparison; they are:" + names);
    }
  } catch (const std::exception& e) {  // UsageError, std::regex_error
    std::cerr << "versus-baseline: " << e.what() << '\n';
    return 2;
  }

  std::filesystem::path work;
  try {
    if (keep.empty()) {
      std::string folder = (std::filesystem::temp_directory_path() / "versus-baseline.XXXXXX").string();
      if (!mkdtemp(folder.data())) throw std::system_error(errno, std::generic_category(), "mkdtemp " + folder);
      work = folder;
    } else if (std::filesystem::exists(keep)) {
      std::cerr << "versus-baseline: --versus-out " << keep << " exists; name a new folder\n";
      return 2;
    }
    std::vector<Line> lines = baseline::plan_lines(chosen, placements);
    baseline::measure(lines, versus, keep.empty() ? work / "versus" : std::filesystem::path(keep), repetitions);
    if (!work.empty()) std::filesystem::remove_all(work);
    print_table(lines);
    if (!csv.empty()) write_csv(lines, csv);
    const bool whole = std::all_of(lines.begin(), lines.end(), [](const Line& l) { return !ratio(l).empty(); });
    return whole ? 0 : 1;
  } catch (const std::exception& e) {
    if (!work.empty()) std::filesystem::remove_all(work);
    std::cerr << "versus-baseline: " << e.what() << '\n';
    return 1;
  }
}
