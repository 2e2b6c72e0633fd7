// results.csv: a Record as a row of text and back, and the file it is appended to. The columns
// and the Record member behind each come from the field table (bench/api/record_fields.h).
#pragma once

#include "bench/harness/layer.h"

#include <cstdio>
#include <string>
#include <vector>

#include "bench/api/cell.h"
#include "bench/results/csv.h"
#include "bench/sys/fd.h"

namespace versus {

// The column names, and a Record's fields as CSV text, both in the table's order.
std::vector<std::string> result_header();
std::vector<std::string> record_row(const Record& r);
// Reads row `i` of a results table whose header check_results_header accepted; throws UsageError
// naming the origin and line when a field is malformed.
Record record_from_row(const CsvTable& table, size_t i, const std::string& origin);
// Checks that `table` has exactly the documented columns, in order. kAccept also takes a file
// written before the newest columns existed (their fields read as empty); kRefuse, for a file
// rows are to be appended to, says which columns it lacks.
enum class OlderHeader { kAccept, kRefuse };
void check_results_header(const CsvTable& table, const std::string& origin, OlderHeader older);

// OUT/results.csv, appended one row at a time with one write each, so a row written is a row
// kept whatever happens next, and a row the disk had no room for is not there at all (never
// half a row). Throws std::system_error (with the path) when a write fails.
class ResultsWriter {
 public:
  explicit ResultsWriter(const std::string& path);  // writes the header when the file is new
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;
  void write(const Record& r);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  UniqueFd fd_;
};

}  // namespace versus
