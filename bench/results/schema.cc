#include "bench/results/schema.h"
#include "bench/sys/errors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <type_traits>
#include <variant>

#include <fmt/format.h>

#include "bench/api/record_fields.h"
#include "bench/sys/whole_writes.h"

namespace versus {

std::vector<std::string> result_header() {
  std::vector<std::string> names;
  for (const auto& f : kRecordFields) names.emplace_back(f.name);
  return names;
}

namespace {

// A member's text in a CSV field. An empty optional is an empty field, never a zero.
std::string to_text(const std::string& v) { return v; }
std::string to_text(int v) { return std::to_string(v); }
std::string to_text(Status v) { return status_name(v); }
template <typename T>
std::string to_text(const std::optional<T>& v) {
  if (!v) return {};
  if constexpr (std::is_floating_point_v<T>) return fmt::format("{:.9g}", *v);
  else return std::to_string(*v);
}

// A CSV field back into a member; `where` is "file:line" for the message when it is malformed.
template <typename T>
void parse_number(const std::string& text, std::optional<T>& out, const char* column, const std::string& where) {
  if (text.empty()) return;
  try {
    size_t used = 0;
    if constexpr (std::is_floating_point_v<T>) out = std::stod(text, &used);
    else if constexpr (std::is_signed_v<T>) out = std::stoll(text, &used);
    else out = std::stoull(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    throw UsageError(fmt::format("{}: column {}: '{}' is not a number", where, column, text));
  }
}

void from_text(const std::string& text, std::string& out, const char*, const std::string&) { out = text; }

void from_text(const std::string& text, int& out, const char* column, const std::string& where) {
  std::optional<int64_t> v;
  parse_number(text, v, column, where);
  if (!v) throw UsageError(fmt::format("{}: column {} must not be empty", where, column));
  out = static_cast<int>(*v);
}

void from_text(const std::string& text, Status& out, const char*, const std::string& where) {
  auto status = parse_status(text);
  if (!status) {
    throw UsageError(
        fmt::format("{}: status '{}' is not one of ok, unsupported, invalid, failed, crashed, timeout", where, text));
  }
  out = *status;
}

template <typename T>
void from_text(const std::string& text, std::optional<T>& out, const char* column, const std::string& where) {
  parse_number(text, out, column, where);
}

}  // namespace

std::vector<std::string> record_row(const Record& r) {
  std::vector<std::string> row;
  for (const auto& f : kRecordFields) row.push_back(std::visit([&](auto m) { return to_text(r.*m); }, f.member));
  return row;
}

void check_results_header(const CsvTable& table, const std::string& origin, OlderHeader older) {
  const auto want = result_header();
  if (table.header == want) return;
  // Results written before the newest columns existed stop at an earlier column, never before `host`.
  const size_t oldest = size_t(&record_field("host") - kRecordFields) + 1;
  const bool older_schema = table.header.size() >= oldest && table.header.size() < want.size() &&
                            std::equal(table.header.begin(), table.header.end(), want.begin());
  if (older_schema && older == OlderHeader::kAccept) return;
  if (older_schema) {
    throw UsageError(
        fmt::format("{}:1: written by an older versus, without the columns {}; rows cannot be added to it: "
                    "start a new output folder",
                    origin, join({want.begin() + long(table.header.size()), want.end()}, ", ")));
  }
  throw UsageError(fmt::format("{}:1: the header is not the results schema; expected: {}", origin, join(want, ",")));
}

Record record_from_row(const CsvTable& table, size_t i, const std::string& origin) {
  const auto& row = table.rows[i];
  const std::string where = fmt::format("{}:{}", origin, table.row_lines[i]);
  Record r;
  size_t column = 0;
  for (const auto& f : kRecordFields) {
    if (column >= table.header.size()) break;  // an older file: the newer columns stay empty
    std::visit([&](auto m) { from_text(row[column], r.*m, f.name, where); }, f.member);
    ++column;
  }
  return r;
}

ResultsWriter::ResultsWriter(const std::string& path)
    : path_(path), fd_(open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {
  if (!fd_) throw_errno("open " + path);
  struct stat st {};
  if (fstat(fd_.get(), &st) != 0) throw_errno("fstat " + path);
  if (st.st_size == 0) append_whole(fd_.get(), csv_line(result_header()), path_);
}

void ResultsWriter::write(const Record& r) { append_whole(fd_.get(), csv_line(record_row(r)), path_); }

}  // namespace versus
