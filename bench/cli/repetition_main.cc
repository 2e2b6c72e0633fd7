// versus-repetition: one repetition of one cell, the process the harness execs for it
// (bench/harness/repetition.h). A program of its own rather than a command of versus: the fork
// runner forks this process, and each library mapped here is more for every fork to copy, so it
// links only what a cell runs (not Google Benchmark, CLI11 or the report's code).
//
//   versus-repetition CELL NUMBER
#include <sys/prctl.h>

#include <cstdio>

#include "bench/harness/repetition.h"
#include "runners/registry.h"
#include "scenarios/registry.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr,
                 "usage: versus-repetition CELL NUMBER\n"
                 "  started by versus run: CELL is the cell as JSON, NUMBER the repetition's number\n");
    return 2;
  }
  // versus execs this program through a descriptor (/proc/self/fd/N), and the kernel names a
  // process after the file it was started from: "3" in ps, top and perf, but for this.
  prctl(PR_SET_NAME, "versus-repetition");
  const versus::Catalog catalog{versus::all_scenarios(), versus::all_runners(), {}};
  return versus::repetition_process_main(catalog, argv[1], argv[2]);
}
