// `versus compare BASELINE CURRENT`: the regression gate's command. Exit 0 when nothing
// regressed, 1 when something did, 2 on bad input (UsageError), with nothing written.
#include <fstream>

#include <fmt/format.h>

#include "bench/cli/commands.h"
#include "bench/compare/compare.h"

namespace versus {

int compare_command(const CompareOptions& options) {
  CompareSettings settings;
  settings.threshold = parse_threshold(options.threshold);
  settings.alpha = options.alpha;
  settings.noise_floor = options.noise_floor;
  if (!options.measures.empty()) settings.measures = options.measures;
  settings.normalize = options.normalize;
  settings.ignore_env = options.ignore_env;
  const auto reporter = reporter_for(options.format);
  const RunResults baseline = load_results(options.baseline);
  const RunResults current = load_results(options.current);
  const Comparison comparison = compare_runs(baseline, current, settings);
  if (!options.markdown.empty()) {
    std::ofstream out(options.markdown);
    out << reporter_for("markdown")->render(comparison);
    out.flush();
    if (!out) throw UsageError(fmt::format("--markdown: cannot write {}", options.markdown));
  }
  fmt::print("{}", reporter->render(comparison));
  return comparison.regressed() ? 1 : 0;
}

}  // namespace versus
