// Presets: named matrices in TOML files people can read, copy and edit (reports/presets/).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "bench/harness/matrix.h"

#ifndef VERSUS_SOURCE_DIR
#define VERSUS_SOURCE_DIR "."
#endif

namespace versus {

namespace {

std::string where(const std::string& origin, const toml::node& node) {
  return fmt::format("{}:{}", origin, node.source().begin.line);
}

// A string, a number, or an array of them, as strings.
std::vector<std::string> strings_of(const toml::node& node, const std::string& origin, const std::string& key) {
  std::vector<std::string> out;
  auto one = [&](const toml::node& n) {
    if (auto s = n.value<std::string>()) out.push_back(*s);
    else if (auto i = n.value<int64_t>(); i && n.is_integer()) out.push_back(std::to_string(*i));
    else throw UsageError(fmt::format("{}: '{}' takes strings or integers", where(origin, n), key));
  };
  if (auto* arr = node.as_array()) {
    for (const auto& n : *arr) one(n);
  } else {
    one(node);
  }
  if (out.empty()) throw UsageError(fmt::format("{}: '{}' is empty", where(origin, node), key));
  return out;
}

void reject_unknown(const toml::table& table, std::initializer_list<std::string_view> known, const std::string& origin,
                    const std::string& what) {
  for (const auto& [key, node] : table) {
    bool ok = false;
    for (auto k : known) ok = ok || key.str() == k;
    if (!ok) {
      std::vector<std::string> names(known.begin(), known.end());
      throw UsageError(fmt::format("{}: unknown key '{}' in {}; accepted: {}", where(origin, node), key.str(), what,
                                   join(names, ", ")));
    }
  }
}

}  // namespace

std::string preset_folder() {
  if (const char* env = std::getenv("VERSUS_PRESETS"); env && *env) return env;
  return std::string(VERSUS_SOURCE_DIR) + "/reports/presets";
}

MatrixSpec parse_preset(const std::string& text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw UsageError(fmt::format("{}:{}: {}", origin, e.source().begin.line, e.description()));
  }
  reject_unknown(root, {"description", "repetitions", "warmup", "cell_timeout", "interference_limit", "retries",
                        "min_time", "benchmark_args", "matrix"}, origin,
                 "the preset");
  MatrixSpec spec;
  // Their ranges are checked with the command line's, when the matrix is expanded.
  for (auto [key, field] : {std::pair{"repetitions", &spec.repetitions}, std::pair{"warmup", &spec.warmup},
                            std::pair{"retries", &spec.retries}}) {
    if (auto* n = root.get(key)) {
      auto v = n->value<int64_t>();
      if (!v || !n->is_integer()) throw UsageError(fmt::format("{}: '{}' takes an integer", where(origin, *n), key));
      *field = static_cast<int>(*v);
    }
  }
  for (auto [key, field] : {std::pair{"interference_limit", &spec.interference_limit},
                            std::pair{"min_time", &spec.min_time_s}}) {
    if (auto* n = root.get(key)) {
      auto v = n->value<double>();
      if (!v) throw UsageError(fmt::format("{}: '{}' takes a number", where(origin, *n), key));
      *field = *v;
    }
  }
  if (auto* n = root.get("benchmark_args")) {
    spec.benchmark_args = strings_of(*n, origin, "benchmark_args");
    for (const auto& a : spec.benchmark_args) {
      if (!a.starts_with("--benchmark_")) {
        throw UsageError(fmt::format("{}: 'benchmark_args' takes Google Benchmark flags (--benchmark_...), not '{}'",
                                     where(origin, *n), a));
      }
    }
  }
  if (auto* n = root.get("cell_timeout")) {
    auto v = n->value<double>();
    if (!v || !std::isfinite(*v) || *v < 0) {
      throw UsageError(fmt::format(
          "{}: 'cell_timeout' takes a finite number of seconds > 0 (or 0: each cell's default)", where(origin, *n)));
    }
    spec.cell_timeout_s = *v;
  }
  auto* blocks = root.get_as<toml::array>("matrix");
  if (!blocks || blocks->empty()) {
    throw UsageError(
        fmt::format("{}: expected at least one [[matrix]] block with scenario, runner and workers", origin));
  }
  for (const auto& node : *blocks) {
    const auto* table = node.as_table();
    if (!table) throw UsageError(fmt::format("{}: [[matrix]] must be a table", where(origin, node)));
    reject_unknown(*table, {"scenario", "runner", "workers", "set"}, origin, "[[matrix]]");
    MatrixBlock block;
    block.where = where(origin, node);
    for (const char* key : {"scenario", "runner", "workers"}) {
      if (!table->contains(key)) {
        throw UsageError(fmt::format("{}: [[matrix]] block has no '{}'", where(origin, node), key));
      }
    }
    block.scenarios = strings_of(*table->get("scenario"), origin, "scenario");
    block.runners = strings_of(*table->get("runner"), origin, "runner");
    for (const auto& w : strings_of(*table->get("workers"), origin, "workers")) {
      try {
        block.workers.push_back(parse_workers(w));
      } catch (const UsageError& e) {
        throw UsageError(fmt::format("{}: {}", where(origin, *table->get("workers")), e.what()));
      }
    }
    if (auto* set = table->get("set")) {
      const auto* set_table = set->as_table();
      if (!set_table) throw UsageError(fmt::format("{}: 'set' must be a table of key = values", where(origin, *set)));
      for (const auto& [key, value] : *set_table) {
        block.set.emplace_back(std::string(key.str()), strings_of(value, origin, std::string(key.str())));
        block.set_where[std::string(key.str())] = where(origin, value);
      }
    }
    spec.blocks.push_back(std::move(block));
  }
  return spec;
}

MatrixSpec load_preset(const std::string& name_or_path) {
  std::string path = name_or_path;
  const bool is_path = name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".toml");
  if (!is_path) path = preset_folder() + "/" + name_or_path + ".toml";
  std::ifstream in(path);
  if (!in) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(preset_folder(), ec)) {
      if (e.path().extension() == ".toml") names.push_back(e.path().stem().string());
    }
    std::sort(names.begin(), names.end());
    throw UsageError(fmt::format("preset '{}': cannot read {}; known presets: {} (or give a .toml file path)",
                                 name_or_path, path,
                                 names.empty() ? std::string("none found in " + preset_folder()) : join(names, ", ")));
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_preset(buf.str(), path);
}

}  // namespace versus
