// Where a long run is. On a terminal: one line on stderr, redrawn in place, with the cell, the
// elapsed time and an estimate of what remains. Elsewhere (CI logs, pipes): one plain line per
// finished cell.
#pragma once

#include "bench/harness/layer.h"

#include <cstdint>
#include <string>

namespace versus {

// "45 s", "12 min", "1.5 h".
std::string duration_text(double seconds);

class Progress {
 public:
  // `estimated_s`: the whole run as estimate_cell models it, before anything ran.
  Progress(int cells, double estimated_s, bool enabled);
  void repetition_started(const std::string& cell, int cell_number, int repetition, int repetitions);
  // `estimated_s`: what the model expected of the repetition just done.
  void repetition_done(double estimated_s) { estimated_done_s_ += estimated_s; }
  void cell_finished(const std::string& cell, int cell_number, int ok, int total);
  // Around other output on a terminal: take the line away, then put it back.
  void clear();
  void redraw();

 private:
  std::string timing() const;
  bool enabled_, tty_;
  int cells_;
  double estimated_s_, estimated_done_s_ = 0;
  int64_t start_ns_, cell_start_ns_ = 0;
  std::string line_;
};

}  // namespace versus
