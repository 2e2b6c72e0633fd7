// Where a long run is. On a terminal: one line on stderr, redrawn in place, with the cell, the
// elapsed time and an estimate of what remains. Elsewhere (CI logs, pipes): one plain line per
// finished cell.
#pragma once

#include "bench/harness/layer.h"

#include <cstdint>
#include <string>

namespace versus {

class Progress {
 public:
  Progress(int cells, int repetitions, bool enabled);
  void repetition_started(const std::string& cell, int cell_number, int repetition, int repetitions);
  void repetition_done() { ++done_; }
  void cell_finished(const std::string& cell, int cell_number, int ok, int total);
  // Around other output on a terminal: take the line away, then put it back.
  void clear();
  void redraw();

 private:
  std::string timing() const;
  bool enabled_, tty_;
  int cells_, repetitions_, done_ = 0;
  int64_t start_ns_;
  std::string line_;
};

}  // namespace versus
