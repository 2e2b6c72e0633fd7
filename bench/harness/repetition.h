// One repetition of one cell, from the harness's side: decide whether it can run, run it in an
// isolated child process, and turn whatever happened into a Record with the right status.
#pragma once

#include "bench/harness/layer.h"

#include "bench/api/cell.h"
#include "bench/api/runner.h"

namespace versus {

// Runs repetition `repetition` (0-based) of `cell` and returns its row. Never throws for what
// happens inside the cell: crashes, hangs, errors and wrong answers become statuses.
Record execute_repetition(const Catalog& catalog, const Cell& cell, int repetition);

// The part that runs inside the repetition's process: make the work, let the runner run it,
// check the answer. Exposed for tests that run a repetition without a child process.
Record measure_repetition(const Scenario& scenario, const Runner& runner, const Cell& cell, int repetition);

// Why `runner` cannot run `cell` of `scenario` here, or "" when it can.
std::string why_unsupported(const Scenario& scenario, const Runner& runner, const Cell& cell);

// The repetition's Record as one JSON line, and back: the message from the repetition's process
// to the harness. It carries every field of the table, the cell's identity too (the same values
// the harness has), so that a new column crosses without an edit here.
std::string encode_record(const Record& r);
Record decode_record(const std::string& text);

// The cell as one JSON text, and back: every field of Cell, for a repetition's process that is
// exec'd (Catalog::repetition_command) rather than forked with the cell in its memory.
std::string encode_cell(const Cell& cell);
Cell decode_cell(const std::string& text);

// The repetition's process, exec'd: the harness runs Catalog::repetition_command with the cell
// (encode_cell) and the repetition's number appended; the command passes them here, which
// measures and writes the row (encode_record) to standard output. Standard output is then
// pointed at standard error, so a cell's own prints cannot mix into the row. Returns the exit
// status: 0 with a row written, 2 when the cell cannot be read or names what the catalog lacks.
int repetition_process_main(const Catalog& catalog, const std::string& cell_text, const std::string& repetition);

}  // namespace versus
