// The output formats of `versus compare`, one small reporter each behind ComparisonReporter.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "bench/compare/compare.h"
#include "bench/api/params.h"

namespace versus {

namespace {

constexpr Verdict kSeverityOrder[] = {Verdict::kRegressed, Verdict::kIncomparable, Verdict::kMissing,
                                      Verdict::kNew,       Verdict::kImproved,     Verdict::kUnchanged};

// People read the worst first; the order within a verdict stays the run's.
std::vector<const CellComparison*> by_severity(const Comparison& c) {
  std::vector<const CellComparison*> out;
  for (Verdict v : kSeverityOrder) {
    for (const auto& cell : c.cells) {
      if (cell.verdict == v) out.push_back(&cell);
    }
  }
  return out;
}

std::string value_text(const std::optional<double>& v, const std::string& measure) {
  if (!v) return "-";
  const double x = *v;
  if (measure.ends_with("_s") && !measure.ends_with("_per_s")) {
    if (x >= 1) return fmt::format("{:.3f} s", x);
    if (x >= 1e-3) return fmt::format("{:.3f} ms", x * 1e3);
    return fmt::format("{:.2f} us", x * 1e6);
  }
  if (measure.ends_with("_us")) return fmt::format("{:.2f} us", x);
  const char* unit = measure.ends_with("_per_s") ? "/s" : measure.ends_with("_bytes") ? " B" : "";
  if (x >= 1e9) return fmt::format("{:.3f} G{}", x / 1e9, unit);
  if (x >= 1e6) return fmt::format("{:.3f} M{}", x / 1e6, unit);
  if (x >= 1e3) return fmt::format("{:.3f} k{}", x / 1e3, unit);
  return fmt::format("{:.3g}{}", x, unit);
}

std::string percent(const std::optional<double>& v) { return v ? fmt::format("{:+.1f}%", 100 * *v) : "-"; }

std::string interval_text(const CellComparison& c) {
  return c.change_low ? fmt::format("[{}, {}]", percent(c.change_low), percent(c.change_high)) : "-";
}

std::string detectable_text(const CellComparison& c) {
  return c.detectable ? fmt::format("{:.1f}%", 100 * *c.detectable) : "-";
}

// The note, with what the rows say of themselves: rows set aside, an unstable side.
std::string full_note(const CellComparison& c) {
  std::vector<std::string> parts;
  if (!c.note.empty()) parts.push_back(c.note);
  if (c.baseline_set_aside + c.current_set_aside > 0) {
    parts.push_back(fmt::format("set aside for interference: {} in the baseline, {} now", c.baseline_set_aside,
                                c.current_set_aside));
  }
  if (!c.unstable.empty()) parts.push_back("unstable, " + c.unstable);
  return join(parts, "; ");
}

std::string p_text(const std::optional<double>& p) { return p ? fmt::format("{:.3g}", *p) : "-"; }

std::string counts_text(const Comparison& c) {
  std::vector<std::string> parts;
  for (Verdict v : kSeverityOrder) {
    if (int n = c.count(v)) parts.push_back(fmt::format("{} {}", n, verdict_name(v)));
  }
  return parts.empty() ? "no cells" : join(parts, ", ");
}

std::string settings_text(const Comparison& c) {
  const auto& s = c.settings;
  return fmt::format("threshold {:g}%, noise floor {:g} x IQR, alpha {:g} ({:g}% intervals), measures {}, {}",
                     100 * s.threshold, s.noise_floor, s.alpha, 100 * (1 - s.alpha), join(s.measures, ","),
                     s.normalize.empty() ? std::string("not normalised") : "normalised by " + s.normalize);
}

class ConsoleReporter final : public ComparisonReporter {
 public:
  std::string render(const Comparison& c) const override {
    std::string out =
        fmt::format("versus compare\n  baseline {}\n  current  {}\n  {}\n", c.baseline, c.current, settings_text(c));
    for (const auto& w : c.warnings) out += fmt::format("warning: {}\n", w);
    for (const auto& d : c.env_differences) {
      out += fmt::format("warning: the machines differ: {}{}\n", d,
                         c.settings.ignore_env ? " (judged anyway: --ignore-env)" : " (verdicts: incomparable)");
    }
    out += fmt::format("\n{:<12} {:>8} {:>18} {:>8} {:>12} {:>12} {:>7} {:>10}  {}\n", "verdict", "change",
                       "interval", "p", "baseline", "current", "n", "detectable", "cell [measure]  note");
    for (const CellComparison* x : by_severity(c)) {
      const std::string note = full_note(*x);
      out += fmt::format("{:<12} {:>8} {:>18} {:>8} {:>12} {:>12} {:>7} {:>10}  {} [{}]{}\n", verdict_name(x->verdict),
                         percent(x->change), interval_text(*x), p_text(x->p_value),
                         value_text(x->baseline_median, x->measure), value_text(x->current_median, x->measure),
                         fmt::format("{}/{}", x->baseline_n, x->current_n), detectable_text(*x), x->cell, x->measure,
                         note.empty() ? "" : "  " + note);
    }
    out += "\ndetectable: the smallest slowdown this comparison would flag in the cell (its margin plus half its "
           "interval)\n";
    out += fmt::format("\n{}: {}\n", c.regressed() ? "REGRESSED" : "ok", counts_text(c));
    return out;
  }
};

std::string md_cell(std::string text) {
  std::string out;
  for (char ch : text) {
    if (ch == '|') out += '\\';
    out += ch;
  }
  return out;
}

class MarkdownReporter final : public ComparisonReporter {
 public:
  std::string render(const Comparison& c) const override {
    std::string out =
        fmt::format("## versus compare: {}\n\n{}.\n\n", c.regressed() ? "regression" : "no regression", counts_text(c));
    out += fmt::format("Baseline `{}`, current `{}`; {}.\n\n", c.baseline, c.current, settings_text(c));
    for (const auto& w : c.warnings) out += fmt::format("> **Warning:** {}\n\n", md_cell(w));
    for (const auto& d : c.env_differences) {
      out += fmt::format("> **The machines differ:** {}{}\n\n", md_cell(d),
                         c.settings.ignore_env ? " (judged anyway)" : "; verdicts are incomparable");
    }
    out += "| verdict | cell | measure | baseline median | current median | change | interval | p | n | detectable | note |\n";
    out += "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n";
    for (const CellComparison* x : by_severity(c)) {
      const std::string verdict = x->verdict == Verdict::kRegressed ? "**regressed**" : verdict_name(x->verdict);
      out += fmt::format("| {} | `{}` | {} | {} | {} | {} | {} | {} | {}/{} | {} | {} |\n", verdict,
                         md_cell(x->cell), x->measure, value_text(x->baseline_median, x->measure),
                         value_text(x->current_median, x->measure), percent(x->change), interval_text(*x),
                         p_text(x->p_value), x->baseline_n, x->current_n, detectable_text(*x),
                         md_cell(full_note(*x)));
    }
    out += "\n*detectable*: the smallest slowdown this comparison would flag in the cell (its margin plus half "
           "its interval).\n";
    return out;
  }
};

nlohmann::json optional_json(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? nlohmann::json(*v) : nlohmann::json();
}

class JsonReporter final : public ComparisonReporter {
 public:
  std::string render(const Comparison& c) const override {
    nlohmann::json j;
    j["baseline"] = c.baseline;
    j["current"] = c.current;
    j["settings"] = {
        {"threshold", c.settings.threshold},
        {"alpha", c.settings.alpha},
        {"noise_floor", c.settings.noise_floor},
        {"measures", c.settings.measures},
        {"normalize", c.settings.normalize.empty() ? nlohmann::json() : nlohmann::json(c.settings.normalize)},
        {"ignore_env", c.settings.ignore_env}};
    j["environment"] = {{"differences", c.env_differences},
                        {"comparable", c.env_differences.empty() || c.settings.ignore_env}};
    j["warnings"] = c.warnings;
    j["regressed"] = c.regressed();
    nlohmann::json counts = nlohmann::json::object();
    for (Verdict v : kSeverityOrder) counts[verdict_name(v)] = c.count(v);
    j["counts"] = counts;
    j["cells"] = nlohmann::json::array();
    for (const auto& x : c.cells) {
      j["cells"].push_back({{"cell", x.cell},
                            {"measure", x.measure},
                            {"verdict", verdict_name(x.verdict)},
                            {"baseline_n", x.baseline_n},
                            {"current_n", x.current_n},
                            {"baseline_median", optional_json(x.baseline_median)},
                            {"current_median", optional_json(x.current_median)},
                            {"change", optional_json(x.change)},
                            {"change_low", optional_json(x.change_low)},
                            {"change_high", optional_json(x.change_high)},
                            {"p_value", optional_json(x.p_value)},
                            {"margin", optional_json(x.margin)},
                            {"detectable", optional_json(x.detectable)},
                            {"baseline_set_aside", x.baseline_set_aside},
                            {"current_set_aside", x.current_set_aside},
                            {"unstable", x.unstable.empty() ? nlohmann::json() : nlohmann::json(x.unstable)},
                            {"note", x.note}});
    }
    return j.dump(2) + "\n";
  }
};

}  // namespace

std::unique_ptr<ComparisonReporter> reporter_for(std::string_view format) {
  if (format == "console") return std::make_unique<ConsoleReporter>();
  if (format == "markdown") return std::make_unique<MarkdownReporter>();
  if (format == "json") return std::make_unique<JsonReporter>();
  throw UsageError(fmt::format("--format: '{}' is not accepted; accepted: console, markdown, json", format));
}

}  // namespace versus
