#include "bench/harness/usage_problems.h"

#include <algorithm>

namespace versus {

void UsageProblems::add(std::string problem, Kind kind) {
  for (const auto& [k, p] : problems_) {
    if (p == problem) return;  // one matrix block's problem may be found in another too
  }
  problems_.emplace_back(kind, std::move(problem));
}

void UsageProblems::keep(const UsageError& e) {
  if (const auto* several = dynamic_cast<const UsageErrors*>(&e)) {
    for (const auto& [kind, problem] : several->problems) add(problem, kind);
  } else {
    add(e.what(), dynamic_cast<const UnknownName*>(&e) ? Kind::kUnknownName : Kind::kOther);
  }
}

void UsageProblems::throw_if_any() const {
  if (problems_.empty()) return;
  auto sorted = problems_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (sorted.size() == 1) throw UsageErrors(sorted.front().second, sorted);
  std::string text = std::to_string(sorted.size()) + " problems:";
  for (const auto& [kind, problem] : sorted) text += "\n  - " + problem;
  throw UsageErrors(text, sorted);
}

}  // namespace versus
