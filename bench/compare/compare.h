// `versus compare`: two runs' cells matched by identity, each cell's repetitions compared with a
// rank test and a minimum effect size, and a verdict per cell. The decision rule, exactly:
//
//   Let b be the badness of the current run against the baseline in log space: log(current /
//   baseline) for a measure where lower is better, log(baseline / current) where higher is better.
//   [lo, hi] is the (1 - alpha) distribution-free confidence interval of the shift in b between the
//   two samples (Hodges-Lehmann / Moses, from the Mann-Whitney U distribution). The margin is
//   M = max(log(1 + threshold), F), where the noise floor F is the larger interquartile range of the
//   cell's log values in either run (times --noise-floor, 1 by default; 0 leaves the threshold).
//     regressed     lo > M: the whole interval lies past the margin;
//     improved      hi < -M;
//     unchanged     otherwise;
//     incomparable  no interval exists at this alpha (too few repetitions), or the machines differ.
//
// An interval that excludes 0 is exactly a rejection by the two-sided U test, so a regression is
// both significant and, with confidence 1 - alpha, larger than the threshold: a small significant
// change does not fail a build, and a large one fails it however noisy the cell, once the
// repetitions pin it down. The noise floor is there because repetitions within one run are not
// independent of that run's machine: on a shared machine a whole run is faster or slower, and by
// about as much as the spread of its repetitions, which the interval alone does not see (measured
// back to back on a busy two-core box: without the floor, most comparisons of one build with itself
// flagged a cell). Rows that are not ok decide before any statistics: a cell that was ok in the
// baseline and is not ok now is regressed ("failed now").
#pragma once

#include "bench/harness/layer.h"

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/api/cell.h"
#include "bench/api/record_fields.h"

namespace versus {

// Which way is better, per measure: the one table compare reads directions from.
enum class Better { kLower, kHigher };
struct ComparableMeasure {
  const RecordField* field;  // the column compared, and where it lives in a Record
  Better better;
  const char* column() const { return field->name; }
  std::optional<double> read(const Record& r) const;  // empty for an empty field
};
const std::vector<ComparableMeasure>& comparable_measures();
const ComparableMeasure& measure_named(std::string_view column);  // throws UsageError listing the accepted

// One side of a comparison: the rows of a results.csv and the env.json beside it, if any.
struct RunResults {
  std::string origin;  // the results.csv path, for messages
  std::vector<Record> rows;
  std::optional<nlohmann::json> env;
};
// `input` is a results.csv or a folder holding one. Throws UsageError naming the file, the line and
// what was expected when the CSV is malformed.
RunResults load_results(const std::string& input);

struct CompareSettings {
  double threshold = 0.05;  // minimum effect, as a fraction (0.05 is 5%)
  double alpha = 0.01;      // confidence level of the interval is 1 - alpha
  std::vector<std::string> measures{"wall_s"};
  double noise_floor = 1;   // times the larger interquartile range; 0: threshold alone
  std::string normalize;    // a cell id: divide by its median wall_s in each run
  bool ignore_env = false;  // judge even when the machines differ
};

enum class Verdict { kRegressed, kImproved, kUnchanged, kNew, kMissing, kIncomparable };
const char* verdict_name(Verdict v);

struct CellComparison {
  std::string cell;
  std::string measure;
  Verdict verdict = Verdict::kUnchanged;
  int baseline_n = 0, current_n = 0;                      // ok repetitions with the measure
  std::optional<double> baseline_median, current_median;  // in the measure's unit, not normalised
  std::optional<double> change;                           // current/baseline - 1 of the medians (normalised)
  std::optional<double> change_low, change_high;          // the confidence interval of that change
  std::optional<double> p_value;                          // two-sided Mann-Whitney U
  std::optional<double> margin;                           // the change a verdict must exceed, as a fraction
  // The smallest slowdown this comparison would have flagged: the margin plus half the interval's
  // width, as a fraction. What the gate can see in this cell.
  std::optional<double> detectable;
  int baseline_set_aside = 0, current_set_aside = 0;  // rows left out for interference
  std::string unstable;                               // "current: two groups 1.90x apart (...)", or ""
  std::string note;                                       // why, when the numbers alone do not say
};

struct Comparison {
  std::string baseline, current;  // origins
  CompareSettings settings;
  std::vector<std::string> env_differences;  // "cpu_model: A vs B", ...
  std::vector<std::string> warnings;
  std::vector<CellComparison> cells;  // in the baseline's cell order, then the new cells

  int count(Verdict v) const;
  bool regressed() const { return count(Verdict::kRegressed) > 0; }
};

// Throws UsageError when the settings cannot apply (an unknown measure, a normalising cell absent
// from either run or without ok rows, alpha or threshold out of range).
Comparison compare_runs(const RunResults& baseline, const RunResults& current, const CompareSettings& settings);

// One output format: console (a table for people), markdown (a CI job summary or a pull-request
// comment), json (for tools).
class ComparisonReporter {
 public:
  virtual ~ComparisonReporter() = default;
  virtual std::string render(const Comparison& comparison) const = 0;
};
std::unique_ptr<ComparisonReporter> reporter_for(std::string_view format);  // throws UsageError

// "5%" or a fraction below 1 ("0.05"); throws UsageError.
double parse_threshold(const std::string& text);

}  // namespace versus
