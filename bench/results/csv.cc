#include "bench/results/csv.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "bench/api/params.h"

namespace versus {

std::string csv_field(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += csv_field(fields[i]);
  }
  out += '\n';
  return out;
}

int CsvTable::column(std::string_view name) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

CsvTable parse_csv(std::string_view text, std::string_view origin) {
  CsvTable table;
  std::vector<std::string> row;
  std::string field;
  int line = 1, row_line = 1;
  bool quoted = false, was_quoted = false, any = false;
  auto end_row = [&] {
    row.push_back(std::move(field));
    field.clear();
    if (table.header.empty()) {
      table.header = std::move(row);
    } else {
      if (row.size() != table.header.size()) {
        throw UsageError(fmt::format("{}:{}: expected {} fields as in the header, found {}", origin, row_line,
                                     table.header.size(), row.size()));
      }
      table.rows.push_back(std::move(row));
      table.row_lines.push_back(row_line);
    }
    row.clear();
    any = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (!any) row_line = line;
    any = true;
    if (c == '"') {
      if (!field.empty() || was_quoted) {
        throw UsageError(fmt::format("{}:{}: a quote inside an unquoted field", origin, line));
      }
      quoted = was_quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_row();
      was_quoted = false;
      ++line;
    } else {
      if (was_quoted) throw UsageError(fmt::format("{}:{}: text after a closing quote", origin, line));
      field += c;
    }
  }
  if (quoted) throw UsageError(fmt::format("{}:{}: a quoted field is never closed", origin, row_line));
  if (any) end_row();
  if (table.header.empty()) throw UsageError(fmt::format("{}: empty, expected a header line", origin));
  return table;
}

CsvTable read_csv_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(fmt::format("{}: cannot be read", path));
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_csv(buf.str(), path);
}

}  // namespace versus
