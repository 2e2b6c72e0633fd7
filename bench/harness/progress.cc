#include "bench/harness/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "bench/sys/measure.h"

namespace versus {

namespace {
std::string seconds_text(double s) {
  if (s < 90) return fmt::format("{:.0f} s", s);
  if (s < 5400) return fmt::format("{:.0f} min", s / 60);
  return fmt::format("{:.1f} h", s / 3600);
}
}  // namespace

Progress::Progress(int cells, int repetitions, bool enabled)
    : enabled_(enabled),
      tty_(isatty(STDERR_FILENO) == 1),
      cells_(cells),
      repetitions_(repetitions),
      start_ns_(now_ns()) {}

std::string Progress::timing() const {
  const double elapsed = double(now_ns() - start_ns_) * 1e-9;
  if (done_ == 0) return fmt::format("{} elapsed", seconds_text(elapsed));
  const double left = elapsed / done_ * (repetitions_ - done_);
  return fmt::format("{} elapsed, about {} left", seconds_text(elapsed), seconds_text(left));
}

void Progress::repetition_started(const std::string& cell, int cell_number, int repetition, int repetitions) {
  if (!enabled_ || !tty_) return;
  line_ = fmt::format("[cell {}/{}] {} repetition {}/{}; {}", cell_number, cells_, cell, repetition + 1, repetitions,
                      timing());
  redraw();
}

void Progress::cell_finished(const std::string& cell, int cell_number, int ok, int total) {
  if (!enabled_ || tty_) return;
  fmt::print(stderr, "[cell {}/{}] {}: {}/{} ok; {}\n", cell_number, cells_, cell, ok, total, timing());
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
