#include "bench/results/stability.h"

#include <algorithm>

#include <fmt/format.h>

#include "bench/api/params.h"
#include "bench/compare/stats.h"

namespace versus {

bool is_clean(const Record& r) { return r.status == Status::kOk && !r.interfered; }

bool is_set_aside(const Record& r) { return r.status == Status::kOk && r.interfered.has_value(); }

std::vector<const Record*> rows_used(std::span<const Record* const> cell_rows) {
  std::vector<const Record*> clean, aside;
  for (const Record* r : cell_rows) {
    if (is_clean(*r)) clean.push_back(r);
    else if (is_set_aside(*r)) aside.push_back(r);
  }
  return clean.empty() ? aside : clean;
}

namespace {

// The likely causes, in the order reports/SCHEMA.md gives them: migrations, other CPU time and
// steal as the clean rows show them; a row set aside is interference itself.
std::string causes(const Record& any_row, std::span<const Record* const> clean, int set_aside) {
  std::vector<std::string> found;
  const Params params = Params::parse_canonical(any_row.params);
  if (!params.has("placement") || params.str("placement") == "none") found.push_back("placement none");
  uint64_t migrations = 0;
  bool interference = set_aside > 0, steal = false;
  for (const Record* r : clean) {
    migrations += r->cpu_migrations.value_or(0);
    const double noticeable = std::max(kNoticeableShare * r->wall_s.value_or(0), kNoticeableFloor_s);
    interference = interference || r->other_cpu_s.value_or(0) > noticeable;
    steal = steal || r->steal_s.value_or(0) > noticeable;
  }
  if (migrations > 0) found.push_back("migrations");
  if (interference) found.push_back("interference");
  if (steal) found.push_back("steal");
  if (found.empty()) found.push_back("cause unknown");
  return join(found, ", ");
}

}  // namespace

Stability judge_stability(std::span<const Record* const> cell_rows) {
  Stability s;
  std::vector<const Record*> clean;
  for (const Record* r : cell_rows) {
    s.set_aside += is_set_aside(*r);
    if (is_clean(*r)) clean.push_back(r);
  }
  std::vector<double> values;
  for (const Record* r : clean) {
    if (r->wall_s) values.push_back(*r->wall_s);
  }
  std::sort(values.begin(), values.end());
  std::string what;
  if (clean.empty() && s.set_aside > 0) {
    what = "every repetition set aside";
  } else if (int(values.size()) >= kFewestJudged && values.front() > 0) {
    double gap = 1;
    for (size_t i = 1; i < values.size(); ++i) gap = std::max(gap, values[i] / values[i - 1]);
    const double spread = interquartile_range(values) / median(values);
    if (gap > kBimodalGap) what = fmt::format("two groups {:.2f}x apart", gap);
    else if (spread > kUnstableSpread) what = fmt::format("spread {:.0f}%", 100 * spread);
  }
  if (what.empty()) return s;
  s.unstable = true;
  s.reason = fmt::format("{} ({})", what, causes(*cell_rows.front(), clean, s.set_aside));
  return s;
}

}  // namespace versus
