// A results.csv as the suites count it: one row per repetition. A repetition set aside for
// interference and run again (tests/interference_test.cc) has a row per attempt; a suite that
// counts repetitions, on a machine where another suite may be busy, takes the last attempt of each.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "bench/results/csv.h"
#include "bench/results/schema.h"

namespace versus {

// The table's rows, the last attempt of each repetition of each cell, in file order.
inline std::vector<Record> repetition_rows(const std::string& csv_path) {
  const CsvTable t = read_csv_file(csv_path);
  std::vector<Record> rows;
  std::map<std::pair<std::string, int>, size_t> at;  // (cell, repetition) -> index in rows
  for (size_t i = 0; i < t.rows.size(); ++i) {
    Record r = record_from_row(t, i, csv_path);
    const auto [it, fresh] = at.try_emplace({r.cell, r.repetition}, rows.size());
    if (fresh) rows.push_back(std::move(r));
    else rows[it->second] = std::move(r);
  }
  return rows;
}

}  // namespace versus
