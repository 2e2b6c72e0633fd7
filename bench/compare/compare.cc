#include "bench/compare/compare.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <variant>

#include <fmt/format.h>

#include "bench/api/params.h"
#include "bench/api/record_fields.h"
#include "bench/results/results_files.h"
#include "bench/results/schema.h"
#include "bench/compare/stats.h"
#include "bench/results/stability.h"

namespace versus {

namespace {

// Measures that scale with the machine's speed are the ones a reference cell can normalise.
bool scales_with_speed(std::string_view column) {
  return column == "wall_s" || column.ends_with("_per_s") || column.starts_with("lat_") || column.starts_with("cpu_");
}

// Measures that add up over the work done. When --min-time chose a cell's work differently in the
// two runs (the `work_size` column), these are compared per unit of work, at the baseline's size.
bool grows_with_work(std::string_view column) {
  return column == "wall_s" || column == "cpu_user_s" || column == "cpu_sys_s";
}

// The value of a row's `work_size` ("count=5000000"), when --min-time chose it.
std::optional<double> work_units(const Record& r) {
  const auto eq = r.work_size.find('=');
  if (eq == std::string::npos) return std::nullopt;
  try {
    const double v = std::stod(r.work_size.substr(eq + 1));
    if (v > 0) return v;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

CellComparison make_comparison(const std::string& cell, const std::string& measure, Verdict verdict) {
  CellComparison c;
  c.cell = cell;
  c.measure = measure;
  c.verdict = verdict;
  return c;
}

struct Group {
  std::vector<const Record*> rows;
  int not_ok = 0;
  const Record* first_not_ok = nullptr;
  Stability stability;  // of all its rows, whatever the measure
};

// Cells in order of first appearance, with their rows.
struct Grouped {
  std::vector<std::string> order;
  std::map<std::string, Group> cells;
};

Grouped group(const RunResults& run) {
  Grouped g;
  for (const Record& r : run.rows) {
    auto [it, fresh] = g.cells.try_emplace(r.cell);
    if (fresh) g.order.push_back(r.cell);
    it->second.rows.push_back(&r);
    if (r.status != Status::kOk) {
      ++it->second.not_ok;
      if (!it->second.first_not_ok) it->second.first_not_ok = &r;
    }
  }
  for (auto& [cell, cell_group] : g.cells) cell_group.stability = judge_stability(cell_group.rows);
  return g;
}

// The values of the rows the cell's figures come from (bench/results/stability.h); with `at_work`
// (given only for a measure that grows with the work), scaled from each row's own work to that much.
std::vector<double> samples(const Group& g, const ComparableMeasure& m, std::optional<double> at_work = {}) {
  std::vector<double> out;
  for (const Record* r : rows_used(g.rows)) {
    auto v = m.read(*r);
    if (!v) continue;
    if (const auto units = work_units(*r); at_work && units) *v *= *at_work / *units;
    out.push_back(*v);
  }
  return out;
}

// The baseline's work when the two runs sized a cell differently, and a note saying so.
std::optional<double> common_work(const Group& base, const Group& cur, std::string& note) {
  const auto used_base = rows_used(base.rows), used_cur = rows_used(cur.rows);
  if (used_base.empty() || used_cur.empty()) return std::nullopt;
  const std::string &b = used_base.front()->work_size, &c = used_cur.front()->work_size;
  if (b == c || !work_units(*used_base.front()) || !work_units(*used_cur.front())) return std::nullopt;
  note = fmt::format("work sized differently ({} in the baseline, {} now): times compared per unit of work", b, c);
  return work_units(*used_base.front());
}

// What the cell's rows say of themselves on each side: set aside, unstable.
void add_stability(CellComparison& c, const Group& base, const Group& cur) {
  const Stability &b = base.stability, &n = cur.stability;
  c.baseline_set_aside = b.set_aside;
  c.current_set_aside = n.set_aside;
  std::vector<std::string> parts;
  if (b.unstable) parts.push_back("baseline: " + b.reason);
  if (n.unstable) parts.push_back("current: " + n.reason);
  c.unstable = join(parts, "; ");
}

std::string not_ok_summary(const Group& g) {
  const Record& r = *g.first_not_ok;
  return fmt::format("{} of {} repetitions not ok, first {}{}", g.not_ok, g.rows.size(), status_name(r.status),
                     r.message.empty() ? "" : ": " + r.message);
}

// The median wall time of the reference cell in one run: the run's measure of machine speed.
double reference_speed(const Grouped& g, const std::string& cell, const std::string& origin) {
  auto it = g.cells.find(cell);
  if (it == g.cells.end()) {
    throw UsageError(fmt::format("--normalize {}: no such cell in {}; give a cell both runs measured", cell, origin));
  }
  // Per unit of work when --min-time sized it: the two runs may have chosen differently.
  const auto walls = samples(it->second, measure_named("wall_s"), 1.0);
  if (walls.empty()) throw UsageError(fmt::format("--normalize {}: no ok rows in {}", cell, origin));
  return median(walls);
}

std::vector<std::string> env_differences(const RunResults& baseline, const RunResults& current,
                                         std::vector<std::string>& warnings) {
  std::vector<std::string> out;
  for (const RunResults* run : {&baseline, &current}) {
    if (!run->env)
      warnings.push_back(fmt::format("no readable env.json beside {}: the machines are not compared", run->origin));
  }
  if (!baseline.env || !current.env) return out;
  for (const char* key : {"cpu_model", "logical_cores", "physical_cores"}) {
    const auto a = baseline.env->value(key, nlohmann::json()), b = current.env->value(key, nlohmann::json());
    if (a != b) out.push_back(fmt::format("{}: {} in the baseline, {} now", key, a.dump(), b.dump()));
  }
  return out;
}

struct Context {
  const CompareSettings& settings;
  double baseline_speed = 1, current_speed = 1;  // reference medians (1 when not normalising)
  bool machines_differ = false;
};

// Judges one measure of a cell both runs have, from its ok rows.
std::optional<CellComparison> judge_samples(const std::string& cell, const Group& base, const Group& cur,
                                            const ComparableMeasure& m, const Context& ctx) {
  CellComparison c = make_comparison(cell, m.column(), Verdict::kUnchanged);
  std::string work_note;
  const auto at_work = grows_with_work(m.column()) ? common_work(base, cur, work_note) : std::nullopt;
  std::vector<double> x = samples(base, m, at_work), y = samples(cur, m, at_work);
  c.baseline_n = static_cast<int>(x.size());
  c.current_n = static_cast<int>(y.size());
  if (x.empty() && y.empty()) return std::nullopt;  // the cell does not have this measure
  if (!x.empty()) c.baseline_median = median(x);
  if (!y.empty()) c.current_median = median(y);
  c.verdict = Verdict::kIncomparable;
  if (x.empty() || y.empty()) {
    c.note = fmt::format("{} only in the {} run", m.column(), x.empty() ? "current" : "baseline");
    return c;
  }
  const auto positive = [](double v) { return v > 0; };
  if (!std::all_of(x.begin(), x.end(), positive) || !std::all_of(y.begin(), y.end(), positive)) {
    c.note = "values of zero or below: no ratio to judge";
    return c;
  }
  // Normalising divides times by the run's reference time and multiplies rates by it.
  const bool normalised =
      !ctx.settings.normalize.empty() && cell != ctx.settings.normalize && scales_with_speed(m.column());
  const double sign = m.better == Better::kLower ? 1 : -1;
  const double base_scale = normalised ? std::pow(ctx.baseline_speed, -sign) : 1;
  const double cur_scale = normalised ? std::pow(ctx.current_speed, -sign) : 1;
  for (double& v : x) v = std::log(v * base_scale);
  for (double& v : y) v = std::log(v * cur_scale);
  c.change = (*c.current_median * cur_scale) / (*c.baseline_median * base_scale) - 1;
  c.p_value = mann_whitney(x, y).p_value;
  const auto interval = shift_interval(x, y, ctx.settings.alpha);
  if (!interval) {
    c.note = fmt::format("too few repetitions: with {} and {} the smallest possible p is {:.3g}, above alpha {}",
                         x.size(), y.size(), smallest_p_value(c.baseline_n, c.current_n), ctx.settings.alpha);
    return c;
  }
  c.change_low = std::exp(interval->low) - 1;
  c.change_high = std::exp(interval->high) - 1;
  const double floor = ctx.settings.noise_floor * std::max(interquartile_range(x), interquartile_range(y));
  const double limit = std::max(std::log1p(ctx.settings.threshold), floor);
  c.margin = std::expm1(limit);
  c.detectable = std::expm1(limit + (interval->high - interval->low) / 2);
  const double worse_low = sign > 0 ? interval->low : -interval->high;
  const double worse_high = sign > 0 ? interval->high : -interval->low;
  if (worse_low > limit) c.verdict = Verdict::kRegressed;
  else if (worse_high < -limit) c.verdict = Verdict::kImproved;
  else c.verdict = Verdict::kUnchanged;
  if (c.verdict == Verdict::kUnchanged && worse_high > limit) {
    c.note = fmt::format("not proven: the interval reaches {:+.1f}% worse", 100 * std::expm1(worse_high));
  }
  if (floor > std::log1p(ctx.settings.threshold)) {
    c.note += fmt::format("{}margin {:.1f}%: the cell's own spread", c.note.empty() ? "" : "; ", 100 * *c.margin);
  }
  if (cell == ctx.settings.normalize) c.note = "the normalising reference, judged as measured";
  if (!work_note.empty()) c.note += (c.note.empty() ? "" : "; ") + work_note;
  if (ctx.machines_differ &&
      (c.verdict == Verdict::kRegressed || c.verdict == Verdict::kImproved || c.verdict == Verdict::kUnchanged)) {
    c.note = fmt::format("would be {}, but the machines differ", verdict_name(c.verdict));
    c.verdict = Verdict::kIncomparable;
  }
  return c;
}

// Rows that are not ok decide before the numbers do.
std::vector<CellComparison> judge_cell(const std::string& cell, const Group& base, const Group& cur,
                                       const Context& ctx) {
  const ComparableMeasure& primary = measure_named(ctx.settings.measures.front());
  auto by_status = [&](Verdict v, std::string note) {
    CellComparison c = make_comparison(cell, primary.column(), v);
    c.baseline_n = static_cast<int>(samples(base, primary).size());
    c.current_n = static_cast<int>(samples(cur, primary).size());
    c.note = std::move(note);
    return std::vector<CellComparison>{c};
  };
  const size_t base_ok = base.rows.size() - base.not_ok, cur_ok = cur.rows.size() - cur.not_ok;
  if (cur.not_ok > 0 && base.not_ok == 0) return by_status(Verdict::kRegressed, "failed now: " + not_ok_summary(cur));
  if (base_ok == 0 && cur_ok == 0) {
    const bool unsupported =
        base.first_not_ok->status == Status::kUnsupported && cur.first_not_ok->status == Status::kUnsupported;
    return by_status(unsupported ? Verdict::kUnchanged : Verdict::kIncomparable,
                     unsupported ? "unsupported in both runs" : "not ok in either run: " + not_ok_summary(cur));
  }
  if (base_ok == 0 && cur.not_ok == 0)
    return by_status(Verdict::kImproved, "ok now; the baseline had " + not_ok_summary(base));
  std::vector<CellComparison> out;
  for (const auto& name : ctx.settings.measures) {
    if (auto c = judge_samples(cell, base, cur, measure_named(name), ctx)) {
      if (cur.not_ok > 0) c->note += (c->note.empty() ? "" : "; ") + ("as in the baseline, " + not_ok_summary(cur));
      const bool fixed = base.not_ok > 0 && cur.not_ok == 0 && !ctx.machines_differ;
      if (fixed && (c->verdict == Verdict::kUnchanged || c->verdict == Verdict::kIncomparable)) {
        c->verdict = Verdict::kImproved;
        c->note = "ok now; the baseline had " + not_ok_summary(base);
      }
      add_stability(*c, base, cur);
      out.push_back(std::move(*c));
    }
  }
  return out;
}

void check_settings(const CompareSettings& s) {
  if (!(s.alpha > 0 && s.alpha < 1)) {
    throw UsageError(
        fmt::format("--alpha: '{}' is not accepted; accepted: a probability between 0 and 1 (say 0.05)", s.alpha));
  }
  if (!(s.threshold >= 0 && s.threshold < 10)) {
    throw UsageError(fmt::format("--threshold: '{}' is not accepted; accepted: 0% to 1000%", s.threshold));
  }
  if (!(s.noise_floor >= 0 && s.noise_floor <= 10)) {
    throw UsageError(
        fmt::format("--noise-floor: '{}' is not accepted; accepted: 0 (the threshold alone) to 10", s.noise_floor));
  }
  if (s.measures.empty()) throw UsageError("--measures: give at least one measure (say wall_s)");
  for (const auto& m : s.measures) measure_named(m);
}

}  // namespace

const std::vector<ComparableMeasure>& comparable_measures() {
  static const std::vector<ComparableMeasure> table = {
      {&record_field("wall_s"), Better::kLower},       {&record_field("ops_per_s"), Better::kHigher},
      {&record_field("bytes_per_s"), Better::kHigher}, {&record_field("lat_p50_us"), Better::kLower},
      {&record_field("lat_p90_us"), Better::kLower},   {&record_field("lat_p99_us"), Better::kLower},
      {&record_field("lat_p999_us"), Better::kLower},  {&record_field("cpu_user_s"), Better::kLower},
      {&record_field("cpu_sys_s"), Better::kLower},    {&record_field("rss_peak_bytes"), Better::kLower},
      {&record_field("pss_bytes"), Better::kLower},
  };
  return table;
}

std::optional<double> ComparableMeasure::read(const Record& r) const {
  return std::visit(
      [&r](auto member) -> std::optional<double> {
        const auto& v = r.*member;
        if constexpr (requires { v.has_value(); }) {
          if (v) return static_cast<double>(*v);
        }
        return std::nullopt;
      },
      field->member);
}

const ComparableMeasure& measure_named(std::string_view column) {
  for (const auto& m : comparable_measures()) {
    if (m.column() == column) return m;
  }
  std::vector<std::string> names;
  for (const auto& m : comparable_measures()) names.emplace_back(m.column());
  throw UsageError(fmt::format("--measures: '{}' is not accepted; accepted: {}", column, join(names, ", ")));
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kRegressed: return "regressed";
    case Verdict::kImproved: return "improved";
    case Verdict::kUnchanged: return "unchanged";
    case Verdict::kNew: return "new";
    case Verdict::kMissing: return "missing";
    case Verdict::kIncomparable: return "incomparable";
  }
  return "?";
}

int Comparison::count(Verdict v) const {
  return static_cast<int>(std::count_if(cells.begin(), cells.end(), [v](const auto& c) { return c.verdict == v; }));
}

double parse_threshold(const std::string& text) {
  const bool percent = text.ends_with('%');
  const std::string number = percent ? text.substr(0, text.size() - 1) : text;
  size_t used = 0;
  double v = -1;
  try {
    v = std::stod(number, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != number.size() || number.empty() || v < 0 || (!percent && v >= 1)) {
    throw UsageError(
        fmt::format("--threshold: '{}' is not accepted; accepted: a percentage such as 5% or a "
                    "fraction below 1 such as 0.05",
                    text));
  }
  return percent ? v / 100 : v;
}

namespace {

// A measure no run can have produced (NaN, infinite, negative) would compare as a number: a
// negative median, a regression that is not one. Such a file is bad input.
void check_measures(const Record& r, const std::string& where) {
  if (r.status != Status::kOk) return;
  for (const auto& f : kRecordFields) {
    const auto* member = std::get_if<std::optional<double> Record::*>(&f.member);
    if (!member || !(r.**member)) continue;
    const double v = *(r.**member);
    if (!std::isfinite(v) || v < 0) {
      throw UsageError(fmt::format("{}: an ok row with {} = {}; accepted: a finite number >= 0", where, f.name, v));
    }
  }
}

}  // namespace

RunResults load_results(const std::string& input) {
  RunResults run;
  if (!std::filesystem::exists(input)) {
    throw UsageError(fmt::format("{}: no such file or folder; give a results.csv or a folder holding one", input));
  }
  const auto csv = results_csv_of(input);
  run.origin = csv.string();
  const CsvTable table = read_csv_file(run.origin);
  check_results_header(table, run.origin, OlderHeader::kAccept);
  for (size_t i = 0; i < table.rows.size(); ++i) {
    run.rows.push_back(record_from_row(table, i, run.origin));
    check_measures(run.rows.back(), fmt::format("{}:{}", run.origin, table.row_lines[i]));
  }
  run.env = env_beside(csv);
  return run;
}

Comparison compare_runs(const RunResults& baseline, const RunResults& current, const CompareSettings& settings) {
  check_settings(settings);
  Comparison out;
  out.baseline = baseline.origin;
  out.current = current.origin;
  out.settings = settings;
  const Grouped base = group(baseline), cur = group(current);
  Context ctx{settings};
  if (!settings.normalize.empty()) {
    ctx.baseline_speed = reference_speed(base, settings.normalize, baseline.origin);
    ctx.current_speed = reference_speed(cur, settings.normalize, current.origin);
  }
  // Against the wrong baseline (another preset, another scenario) every cell would be merely
  // missing and the gate would pass: a comparison with nothing in common is refused.
  if (!base.order.empty() && !cur.order.empty() &&
      std::none_of(base.order.begin(), base.order.end(), [&](const auto& cell) { return cur.cells.count(cell) > 0; })) {
    throw UsageError(fmt::format(
        "{} and {} have no cell in common ({} and {} cells; the first of each: {} and {}): "
        "compare runs of the same matrix",
        baseline.origin, current.origin, base.order.size(), cur.order.size(), base.order.front(), cur.order.front()));
  }
  out.env_differences = env_differences(baseline, current, out.warnings);
  ctx.machines_differ = !out.env_differences.empty() && !settings.ignore_env;
  for (const auto& cell : base.order) {
    auto it = cur.cells.find(cell);
    if (it == cur.cells.end()) {
      CellComparison c = make_comparison(cell, settings.measures.front(), Verdict::kMissing);
      const auto x = samples(base.cells.at(cell), measure_named(c.measure));
      c.baseline_n = static_cast<int>(x.size());
      if (!x.empty()) c.baseline_median = median(x);
      c.note = "in the baseline, not in the current run";
      out.cells.push_back(std::move(c));
      continue;
    }
    for (auto& c : judge_cell(cell, base.cells.at(cell), it->second, ctx)) out.cells.push_back(std::move(c));
  }
  for (const auto& cell : cur.order) {
    if (base.cells.contains(cell)) continue;
    CellComparison c = make_comparison(cell, settings.measures.front(), Verdict::kNew);
    const auto y = samples(cur.cells.at(cell), measure_named(c.measure));
    c.current_n = static_cast<int>(y.size());
    if (!y.empty()) c.current_median = median(y);
    c.note = "not in the baseline";
    out.cells.push_back(std::move(c));
  }
  return out;
}

}  // namespace versus
