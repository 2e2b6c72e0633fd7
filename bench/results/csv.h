// CSV as RFC 4180 has it: fields with a comma, a quote or a line break are quoted, quotes doubled.
#pragma once

#include "bench/harness/layer.h"

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace versus {

std::string csv_field(std::string_view value);
std::string csv_line(const std::vector<std::string>& fields);  // with the trailing "\n"

// A parsed CSV file: the header and the rows, each row as long as the header.
struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int> row_lines;  // the line on which each row starts, for messages

  int column(std::string_view name) const;  // -1 when absent
};

// Parses `text`; `origin` names it in errors. Throws UsageError naming the file, the line and
// what was expected (an unterminated quote, a row with the wrong number of fields).
CsvTable parse_csv(std::string_view text, std::string_view origin);
CsvTable read_csv_file(const std::string& path);

}  // namespace versus
