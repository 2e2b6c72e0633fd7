#include "bench/harness/peak_rate.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "bench/results/stability.h"

namespace versus {
namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

PeakRate peak_rate_of(const Cell& twin, std::span<const Record> rows, int repetitions,
                      const std::function<Record(const Cell&, int)>& measure) {
  const std::string id = twin.id();
  std::vector<double> rates;
  for (const Record& r : rows) {
    if (r.cell == id && is_clean(r) && r.ops_per_s) rates.push_back(*r.ops_per_s);
  }
  if (!rates.empty()) {
    return {median(rates), fmt::format("of {:.0f}/s, the median closed-loop rate of its {} clean row(s) in this run",
                                       median(rates), rates.size())};
  }
  std::string last_problem;
  for (int rep = 0; rep < std::max(repetitions, 1); ++rep) {
    const Record r = measure(twin, rep);
    if (r.status == Status::kOk && r.ops_per_s) {
      rates.push_back(*r.ops_per_s);
    } else {
      last_problem = fmt::format("{}: {}", status_name(r.status), r.message);
    }
  }
  if (rates.empty()) return {0, fmt::format("its closed loop could not be measured ({})", last_problem)};
  return {median(rates), fmt::format("of {:.0f}/s, the median closed-loop rate of {} repetition(s) measured first",
                                     median(rates), rates.size())};
}

}  // namespace versus
