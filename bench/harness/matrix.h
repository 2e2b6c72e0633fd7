// The matrix: what a run measures, from the command line or a preset file, expanded into cells
// (the cartesian product of every list), each checked against what scenarios and runners declare.
#pragma once

#include "bench/harness/layer.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/api/cell.h"
#include "bench/api/runner.h"
#include "bench/sys/placement.h"

namespace versus {

inline constexpr double kDefaultMinTime_s = 0.25;

// One block of lists; the cells are their cartesian product.
struct MatrixBlock {
  std::vector<std::string> scenarios;
  std::vector<std::string> runners;
  std::vector<int> workers;
  // key -> values, in the order given; a key applies to the scenarios and runners declaring it.
  std::vector<std::pair<std::string, std::vector<std::string>>> set;
  // Where a preset wrote the block and each key of its `set` ("quick.toml:12"), so a problem
  // names the line; empty for the command line's (and for --set over a preset).
  std::string where = {};
  std::map<std::string, std::string> set_where = {};
};

struct MatrixSpec {
  std::vector<MatrixBlock> blocks;  // cells of all blocks, without duplicates
  int repetitions = 5;
  int warmup = 0;             // repetitions run and discarded before a cell's first measured one
  double cell_timeout_s = 0;  // 0: each cell's default
  double interference_limit = 0.05;  // see Cell::interference_limit
  int retries = 2;
  // Work-size parameters left at their defaults are sized so a repetition lasts about this long
  // (bench/harness/work_sizing.h); 0 runs the defaults as they are.
  double min_time_s = kDefaultMinTime_s;
  // Google Benchmark flags a preset asks for (say random interleaving); the command line's come after.
  std::vector<std::string> benchmark_args;
};

// A worker count: an integer, a count of this machine's as versus may use it ("cores": physical
// cores, "threads": hardware threads, "numa_nodes"), or K times one ("2*threads"). Throws
// UsageError naming what is accepted.
int parse_workers(const std::string& text);
int parse_workers(const std::string& text, const Topology& machine);

// --shard K/N: the cells whose index in the expanded matrix is K-1 modulo N. Deterministic for a
// given matrix, and the N shards together are exactly the matrix.
struct Shard {
  int index = 1;  // K, 1-based
  int count = 1;  // N
  std::string str() const;
};
Shard parse_shard(const std::string& text);
std::vector<Cell> select_shard(const std::vector<Cell>& cells, const Shard& shard);

// The matrix as JSON (OUT/matrix.json), so `run --resume` runs the very same cells.
nlohmann::json spec_to_json(const MatrixSpec& spec);
MatrixSpec spec_from_json(const nlohmann::json& j);

// Parses a --set argument "key=v1,v2". Throws UsageError.
std::pair<std::string, std::vector<std::string>> parse_set(const std::string& text);

// Expands and validates. Throws UsageError naming everything unknown or not accepted (unknown
// names first), each with what is accepted.
std::vector<Cell> expand_matrix(const MatrixSpec& spec, const Catalog& catalog);

// Reads a preset (TOML; reports/presets/*.toml shows the format). `name_or_path` is a preset name
// looked up in the preset folder, or a file path. Throws UsageError with file, line and what
// was expected.
MatrixSpec load_preset(const std::string& name_or_path);
MatrixSpec parse_preset(const std::string& text, const std::string& origin);
// Where named presets live: $VERSUS_PRESETS, else the source tree's reports/presets.
std::string preset_folder();

}  // namespace versus
