#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <span>
#include <sstream>
#include <type_traits>
#include <variant>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/api/record_fields.h"
#include "bench/harness/repetition.h"
#include "bench/results/csv.h"
#include "bench/results/schema.h"

namespace versus {
namespace {

TEST(Csv, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_line({"a", "", "c;d"}), "a,,c;d\n");
}

TEST(Csv, ParseRoundTripsQuotedFields) {
  const std::vector<std::string> row = {"x,y", "he said \"no\"", "multi\nline", ""};
  const std::string text = csv_line({"a", "b", "c", "d"}) + csv_line(row) + csv_line({"1", "2", "3", "4"});
  const CsvTable t = parse_csv(text, "mem.csv");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], row);
  EXPECT_EQ(t.row_lines[1], 4);  // the quoted line break moved the next row down
  EXPECT_EQ(t.column("c"), 2);
  EXPECT_EQ(t.column("z"), -1);
}

TEST(Csv, ErrorsNameFileLineAndExpectation) {
  try {
    parse_csv("a,b\n1,2\n3\n", "bad.csv");
    FAIL() << "a short row must be refused";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "bad.csv:3: expected 2 fields as in the header, found 1");
  }
  EXPECT_THROW(parse_csv("a,b\n\"open,2\n", "q.csv"), UsageError);
  EXPECT_THROW(parse_csv("a,b\nx\"y,2\n", "q.csv"), UsageError);
  EXPECT_THROW(parse_csv("", "empty.csv"), UsageError);
}

// A column of reports/SCHEMA.md's table: | `name` | unit | meaning |
struct DocumentedColumn {
  std::string name, unit;
};

std::vector<DocumentedColumn> read_schema_md(std::istream& in) {
  std::vector<DocumentedColumn> out;
  std::string line;
  bool in_table = false;  // the first table is the columns'; the tables after it are not
  while (std::getline(in, line) && line != "Statuses:") {
    if (line.rfind("|", 0) != 0) {
      if (in_table) break;
      continue;
    }
    in_table = true;
    if (line.rfind("| `", 0) != 0) continue;
    const size_t end = line.find('`', 3);
    const size_t bar = line.find('|', end);
    const size_t next = line.find('|', bar + 1);
    if (end == std::string::npos || bar == std::string::npos || next == std::string::npos) continue;
    std::string unit = line.substr(bar + 1, next - bar - 1);
    unit.erase(0, unit.find_first_not_of(' '));
    unit.erase(unit.find_last_not_of(' ') + 1);
    out.push_back({line.substr(3, end - 3), unit});
  }
  return out;
}

// Every way SCHEMA.md and the field table disagree, one line each, naming the column and the side
// that lacks it; empty when they agree.
std::vector<std::string> schema_md_differences(const std::vector<DocumentedColumn>& documented,
                                               std::span<const RecordField> table) {
  std::vector<std::string> out;
  auto documented_named = [&](std::string_view name) {
    return std::find_if(documented.begin(), documented.end(), [&](const auto& d) { return d.name == name; });
  };
  auto in_table = [&](std::string_view name) {
    return std::any_of(table.begin(), table.end(), [&](const auto& f) { return name == f.name; });
  };
  std::vector<std::string> both_md, both_table;
  for (const auto& f : table) {
    const auto d = documented_named(f.name);
    if (d == documented.end()) {
      out.push_back(fmt::format("column {} is in the field table but missing from reports/SCHEMA.md", f.name));
      continue;
    }
    both_table.emplace_back(f.name);
    if (d->unit != f.unit) {
      out.push_back(
          fmt::format("column {}: unit '{}' in reports/SCHEMA.md, '{}' in the field table", f.name, d->unit, f.unit));
    }
  }
  for (const auto& d : documented) {
    if (!in_table(d.name)) {
      out.push_back(fmt::format("column {} is in reports/SCHEMA.md but missing from the field table", d.name));
    } else {
      both_md.push_back(d.name);
    }
  }
  if (both_md != both_table) {
    out.push_back(fmt::format("the columns are in another order: reports/SCHEMA.md has {}; the field table has {}",
                              join(both_md, ","), join(both_table, ",")));
  }
  return out;
}

TEST(Schema, SchemaMdDocumentsEveryColumnInOrder) {
  std::ifstream in(std::string(VERSUS_SOURCE_DIR) + "/reports/SCHEMA.md");
  ASSERT_TRUE(in) << "reports/SCHEMA.md is missing";
  const auto differences = schema_md_differences(read_schema_md(in), kRecordFields);
  EXPECT_TRUE(differences.empty()) << join(differences, "\n");
}

TEST(Schema, SchemaMdCheckNamesTheSideThatLacksAColumn) {
  std::istringstream md(
      "| column | unit | meaning |\n"
      "| --- | --- | --- |\n"
      "| `cell` | | identity |\n"
      "| `wall_s` | ms | wall time |\n"
      "| `colour` | | not a column |\n"
      "Statuses:\n"
      "| `ok` | | never read |\n");
  const RecordField table[] = {
      {"cell", "", "", &Record::cell}, {"scenario", "", "", &Record::scenario}, {"wall_s", "s", "", &Record::wall_s}};
  EXPECT_EQ(schema_md_differences(read_schema_md(md), table),
            (std::vector<std::string>{"column scenario is in the field table but missing from reports/SCHEMA.md",
                                      "column wall_s: unit 'ms' in reports/SCHEMA.md, 's' in the field table",
                                      "column colour is in reports/SCHEMA.md but missing from the field table"}));
  const std::vector<DocumentedColumn> swapped = {{"wall_s", "s"}, {"cell", ""}, {"scenario", ""}};
  EXPECT_EQ(schema_md_differences(swapped, table),
            (std::vector<std::string>{"the columns are in another order: reports/SCHEMA.md has wall_s,cell,scenario; "
                                      "the field table has cell,scenario,wall_s"}));
}

TEST(Schema, RecordRoundTripsThroughCsv) {
  Record r;
  r.cell = "cpu/fork/workers:2/count=5";
  r.scenario = "cpu";
  r.runner = "fork";
  r.workers = 2;
  r.params = "count=5";
  r.repetition = 3;
  r.status = Status::kInvalid;
  r.message = "counted 4, the sieve says 5, \"really\"";
  r.wall_s = 0.125;
  r.ops = 5;
  r.pss_bytes = 4096;
  r.host = "h";
  const std::string text = csv_line(result_header()) + csv_line(record_row(r));
  const CsvTable t = parse_csv(text, "t.csv");
  check_results_header(t, "t.csv", OlderHeader::kRefuse);
  const Record back = record_from_row(t, 0, "t.csv");
  EXPECT_EQ(back.cell, r.cell);
  EXPECT_EQ(back.status, Status::kInvalid);
  EXPECT_EQ(back.message, r.message);
  EXPECT_DOUBLE_EQ(*back.wall_s, 0.125);
  EXPECT_EQ(*back.ops, 5u);
  EXPECT_FALSE(back.cpu_user_s.has_value());
  EXPECT_EQ(*back.pss_bytes, 4096);
  EXPECT_EQ(back.repetition, 3);
}

// Results written before the placement columns existed: compare and merge read them (the new
// columns empty), resume refuses to append to them and names what they lack.
TEST(Schema, OlderHeaderIsReadButNotAppendedTo) {
  std::vector<std::string> header = result_header();
  const auto host = std::find(header.begin(), header.end(), "host");
  ASSERT_NE(host, header.end());
  header.erase(host + 1, header.end());
  std::vector<std::string> row(header.size(), "");
  row[0] = "cpu/fork/workers:1/count=5";
  row[3] = "1";
  row[5] = "0";
  row[6] = "ok";
  row[8] = "0.5";
  const CsvTable t = parse_csv(csv_line(header) + csv_line(row), "old.csv");
  check_results_header(t, "old.csv", OlderHeader::kAccept);
  const Record back = record_from_row(t, 0, "old.csv");
  EXPECT_DOUBLE_EQ(*back.wall_s, 0.5);
  EXPECT_TRUE(back.cpus.empty());
  EXPECT_FALSE(back.cpu_migrations.has_value());
  try {
    check_results_header(t, "old.csv", OlderHeader::kRefuse);
    FAIL() << "an older header was accepted for appending";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("cpus, cpu_migrations"), std::string::npos) << e.what();
  }
  // A header cut before `host` is no results file at all.
  header.pop_back();
  row.pop_back();
  EXPECT_THROW(
      check_results_header(parse_csv(csv_line(header) + csv_line(row), "cut.csv"), "cut.csv", OlderHeader::kAccept),
      UsageError);
}

// A Record with every field set, each to a value of its own, filled through the table so that a
// new column is covered without an edit here.
Record every_field_set() {
  Record r;
  int i = 0;
  for (const auto& f : kRecordFields) {
    ++i;
    std::visit(
        [&](auto m) {
          using T = std::remove_reference_t<decltype(r.*m)>;
          if constexpr (std::is_same_v<T, std::string>) r.*m = fmt::format("{}, \"{}\"", f.name, i);
          else if constexpr (std::is_same_v<T, Status>) r.*m = Status::kInvalid;
          else if constexpr (std::is_same_v<T, std::optional<double>>) r.*m = i + 1.0 / 3;
          else r.*m = i;
        },
        f.member);
  }
  return r;
}

TEST(Schema, EveryFieldRoundTripsThroughCsvAndTheRepetitionMessage) {
  const Record r = every_field_set();
  const std::vector<std::string> row = record_row(r);
  ASSERT_EQ(row.size(), std::size(kRecordFields));
  for (size_t i = 0; i < row.size(); ++i) EXPECT_FALSE(row[i].empty()) << kRecordFields[i].name;
  const CsvTable t = parse_csv(csv_line(result_header()) + csv_line(row), "t.csv");
  EXPECT_EQ(record_row(record_from_row(t, 0, "t.csv")), row);
  // The message between processes keeps every bit, where the CSV keeps 9 digits.
  const Record back = decode_record(encode_record(r));
  EXPECT_EQ(encode_record(back), encode_record(r));
  EXPECT_EQ(back.wall_s, r.wall_s);
  EXPECT_EQ(record_row(back), row);
}

TEST(Schema, RepetitionMessageLeavesOutOnlyEmptyMeasures) {
  Record r;
  r.cell = "c";
  r.wall_s = 0.5;
  const nlohmann::json j = nlohmann::json::parse(encode_record(r));
  EXPECT_TRUE(j.contains("cell"));
  EXPECT_TRUE(j.contains("status"));
  EXPECT_TRUE(j.contains("wall_s"));
  EXPECT_FALSE(j.contains("ops"));
  const Record back = decode_record(j.dump());
  EXPECT_EQ(back.cell, "c");
  EXPECT_FALSE(back.ops.has_value());
  nlohmann::json no_status = j;
  no_status.erase("status");
  EXPECT_ANY_THROW(decode_record(no_status.dump()));
}

TEST(Schema, EveryFieldOfACellCrossesToAnExecdRepetition) {
  Cell c;
  c.scenario = "ipc";
  c.runner = "fork";
  c.workers = 3;
  c.params = Params({{"channel", "shm"}, {"msg_size", "64"}, {"note", "a;b=\"c\""}});
  c.repetitions = 7;
  c.warmup = 2;
  c.timeout_s = 1.0 / 3;
  c.interference_limit = 0.07;
  c.retries = 4;
  c.sized_param = "round_trips";
  c.min_time_s = 0.25;
  c.repetition = 5;
  c.unit_cpus = {1, 0, 1};
  c.peak_ops_per_s = 123456.789;
  const std::string text = encode_cell(c);
  // Every field is set away from its default, so each shows in the text.
  const nlohmann::json set = nlohmann::json::parse(text);
  const nlohmann::json defaults = nlohmann::json::parse(encode_cell(Cell{}));
  ASSERT_EQ(set.size(), defaults.size());
  for (auto it = defaults.begin(); it != defaults.end(); ++it) {
    EXPECT_NE(set.at(it.key()), it.value()) << it.key() << " is left at its default here";
  }
  const Cell back = decode_cell(text);
  EXPECT_EQ(encode_cell(back), text);
  EXPECT_EQ(back.params, c.params);
  EXPECT_EQ(back.timeout_s, c.timeout_s);  // every bit
  EXPECT_EQ(back.unit_cpus, c.unit_cpus);
  EXPECT_EQ(back.id(), c.id());
  EXPECT_ANY_THROW(decode_cell("{\"scenario\": \"ipc\"}"));
  EXPECT_ANY_THROW(decode_cell("not json"));
}

TEST(Schema, MalformedRowsAreRefusedWithTheirLine) {
  std::vector<std::string> fields(result_header().size(), "");
  fields[3] = "2";
  fields[5] = "0";
  fields[6] = "fast";  // not a status
  const CsvTable t = parse_csv(csv_line(result_header()) + csv_line(fields), "r.csv");
  try {
    record_from_row(t, 0, "r.csv");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("r.csv:2: status 'fast'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(check_results_header(parse_csv("a,b\n", "h.csv"), "h.csv", OlderHeader::kAccept), UsageError);
}

}  // namespace
}  // namespace versus
