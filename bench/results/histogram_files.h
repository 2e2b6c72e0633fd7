// The side files of latency rows: OUT/histograms/<cell made file-safe>.<hash of the id>.r<repetition>[.a<attempt>].hgrm,
// HdrHistogram's percentile-distribution text (bench/sys/hgrm.h), beside results.csv.
#pragma once

#include "bench/harness/layer.h"

#include <filesystem>
#include <string>

#include "bench/api/cell.h"

namespace versus {

// The side file's path relative to the output folder. An id past 200 characters is cut there, so
// that every name fits a file system's 255 bytes; a hash of the whole id follows. `attempt` is 0 for a repetition's first
// run and 1, 2, ... for its runs again after interference.
std::string histogram_file_name(const Record& r, int attempt);

// Writes the row's histogram_text (when it has one) into the folder of `results_csv` and sets
// its `histogram` column; the text is dropped from the row either way. Throws
// std::system_error naming the file when it cannot be written.
void keep_histogram(Record& r, int attempt, const std::filesystem::path& results_csv);

// For a row read from `from_csv` and written to `to_csv` (merge, A/B): copies its side file, when
// it names one, to `relative` beside `to_csv` and points its `histogram` column there. Throws
// std::runtime_error naming the file when it is missing or cannot be copied, or when either name
// is not one versus gives (histograms/NAME, NAME neither a path nor hidden).
void carry_histogram(Record& r, const std::filesystem::path& from_csv, const std::filesystem::path& to_csv,
                     const std::string& relative);

}  // namespace versus
