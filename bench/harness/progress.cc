#include "bench/harness/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "bench/sys/measure.h"

namespace versus {

std::string duration_text(double s) {
  if (s < 90) return fmt::format("{:.0f} s", s);
  if (s < 5400) return fmt::format("{:.0f} min", s / 60);
  return fmt::format("{:.1f} h", s / 3600);
}

Progress::Progress(int cells, double estimated_s, bool enabled)
    : enabled_(enabled),
      tty_(isatty(STDERR_FILENO) == 1),
      cells_(cells),
      estimated_s_(estimated_s),
      start_ns_(now_ns()) {}

// What is left as the model says, scaled by how the model fared on what is done: on a machine
// slower or faster than the model's, every cell tends to be off by the same factor.
std::string Progress::timing() const {
  const double elapsed = double(now_ns() - start_ns_) * 1e-9;
  const double model_left = std::max(0.0, estimated_s_ - estimated_done_s_);
  const double left = estimated_done_s_ > 0 ? model_left * elapsed / estimated_done_s_ : model_left;
  return fmt::format("{} elapsed, about {} left", duration_text(elapsed), duration_text(left));
}

void Progress::repetition_started(const std::string& cell, int cell_number, int repetition, int repetitions) {
  if (repetition == 0) cell_start_ns_ = now_ns();
  if (!enabled_ || !tty_) return;
  line_ = fmt::format("[cell {}/{}] {} repetition {}/{}; {}", cell_number, cells_, cell, repetition + 1, repetitions,
                      timing());
  redraw();
}

void Progress::cell_finished(const std::string& cell, int cell_number, int ok, int total) {
  if (!enabled_ || tty_) return;
  fmt::print(stderr, "[cell {}/{}] {}: {}/{} ok in {:.2f} s; {}\n", cell_number, cells_, cell, ok, total,
             double(now_ns() - cell_start_ns_) * 1e-9, timing());
  std::fflush(stderr);
}

void Progress::clear() {
  if (enabled_ && tty_ && !line_.empty()) {
    fmt::print(stderr, "\r\033[K");
    std::fflush(stderr);
  }
}

void Progress::redraw() {
  if (!enabled_ || !tty_ || line_.empty()) return;
  // One terminal line at most: a wrapped line could not be redrawn in place.
  const std::string shown = line_.size() > 150 ? line_.substr(0, 147) + "..." : line_;
  fmt::print(stderr, "\r\033[K{}", shown);
  std::fflush(stderr);
}

}  // namespace versus
