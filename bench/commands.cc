#include "bench/commands.h"

#include <csignal>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "bench/engine.h"
#include "bench/env.h"
#include "bench/isolate.h"
#include "bench/matrix.h"
#include "bench/repetition.h"
#include "bench/schema.h"
#include "bench/summary.h"

namespace fs = std::filesystem;

namespace versus {

namespace {

void print_params(std::span<const ParamSpec> params) {
  for (const auto& p : params) {
    fmt::print("      {:<15} default {:<10} {}; {}\n", p.name, p.default_value, p.help, p.accepted());
  }
}

// The cell of `scenario` x `runner` with every default and one worker: enough to ask whether
// the pair can run here.
Cell default_cell(const Scenario& scenario, const Runner& runner) {
  Cell c;
  c.scenario = std::string(scenario.name());
  c.runner = std::string(runner.name());
  for (const auto& p : scenario.params()) c.params.set(p.name, p.canonical(p.default_value));
  for (const auto& p : runner.params()) c.params.set(p.name, p.canonical(p.default_value));
  return c;
}

// Adds the --set overrides to every preset block where some scenario or runner declares the key.
void apply_overrides(MatrixSpec& spec, const std::vector<std::string>& sets, const Catalog& catalog) {
  for (const auto& text : sets) {
    auto [key, values] = parse_set(text);
    bool used = false;
    for (auto& block : spec.blocks) {
      bool declared = false;
      for (const auto& s : block.scenarios) {
        if (const Scenario* sc = catalog.scenario(s)) {
          for (const auto& p : sc->params()) declared = declared || p.name == key;
        }
      }
      for (const auto& r : block.runners) {
        if (const Runner* rn = catalog.runner(r)) {
          for (const auto& p : rn->params()) declared = declared || p.name == key;
        }
      }
      if (!declared) continue;
      used = true;
      std::erase_if(block.set, [&](const auto& kv) { return kv.first == key; });
      block.set.emplace_back(key, values);
    }
    if (!used) throw UsageError(fmt::format("unknown parameter '{}': no scenario or runner of the preset declares it", key));
  }
}

MatrixSpec spec_from(const RunOptions& o, const Catalog& catalog) {
  MatrixSpec spec;
  if (!o.preset.empty()) {
    if (!o.scenarios.empty() || !o.runners.empty() || !o.workers.empty()) {
      throw UsageError("--preset already gives the scenarios, runners and workers: drop --scenario, --runner and "
                       "--workers, or drop --preset (--set, --repetitions and --cell-timeout may go with a preset)");
    }
    spec = load_preset(o.preset);
    apply_overrides(spec, o.sets, catalog);
  } else {
    MatrixBlock block{o.scenarios, o.runners, o.workers, {}};
    for (const auto& s : o.sets) block.set.push_back(parse_set(s));
    spec.blocks.push_back(block);
  }
  if (o.repetitions) spec.repetitions = *o.repetitions;
  if (o.cell_timeout) {
    if (*o.cell_timeout <= 0) throw UsageError(fmt::format("--cell-timeout: '{}' is not accepted; accepted: seconds > 0", *o.cell_timeout));
    spec.cell_timeout_s = *o.cell_timeout;
  }
  return spec;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  if (!out) throw std::runtime_error(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
}

}  // namespace

int list_command(const Catalog& catalog, const ListOptions& options) {
  fmt::print("Scenarios (what work is done):\n");
  for (const Scenario* s : catalog.scenarios) {
    if (s->internal() && !options.all) continue;
    fmt::print("  {:<10} [{}{}] {}\n", s->name(), shape_name(s->shape()), s->internal() ? ", internal" : "", s->summary());
    print_params(s->params());
  }
  fmt::print("\nRunners (how workers are made and how they wait):\n");
  for (const Runner* r : catalog.runners) {
    std::vector<std::string> shapes;
    for (Shape sh : {kTaskShape, kConversationShape, kChannelShape}) {
      if (r->shapes() & sh) shapes.emplace_back(shape_name(sh));
    }
    fmt::print("  {:<10} [{}] {}\n", r->name(), join(shapes, ", "), r->summary());
    print_params(r->params());
  }
  fmt::print("\nPairs (scenario x runner, with default parameters, here):\n");
  for (const Scenario* s : catalog.scenarios) {
    if (s->internal() && !options.all) continue;
    for (const Runner* r : catalog.runners) {
      const std::string why = why_unsupported(*s, *r, default_cell(*s, *r));
      fmt::print("  {:<10} {:<10} {}\n", s->name(), r->name(), why.empty() ? "supported" : "unsupported: " + why);
    }
  }
  return 0;
}

int run_command(const Catalog& catalog, const RunOptions& options, const std::vector<std::string>& command_line) {
  const MatrixSpec spec = spec_from(options, catalog);
  const std::vector<Cell> cells = expand_matrix(spec, catalog);

  const fs::path out = options.out.empty()
                           ? fs::path(fmt::format("results/run-{:%Y%m%d-%H%M%S}", fmt::localtime(std::time(nullptr))))
                           : fs::path(options.out);
  const fs::path csv = out / "results.csv";
  if (fs::exists(csv)) {
    throw UsageError(fmt::format("{} already holds results (results.csv); choose another --out so nothing is overwritten",
                                 out.string()));
  }
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw UsageError(fmt::format("cannot create the output folder {}: {}", out.string(), ec.message()));

  int cell_count = static_cast<int>(cells.size()), rows = 0;
  for (const auto& c : cells) rows += c.repetitions;
  try {
    write_file(out / "env.json", capture_environment(command_line).dump(2) + "\n");
    install_interrupt_handlers();
    ResultsWriter writer(csv.string());
    fmt::print("versus: {} cells, {} repetitions in all; writing {}\n", cell_count, rows, csv.string());
    std::fflush(stdout);
    EngineResult result = run_cells(cells, catalog, writer, {!options.quiet, host_name()});
    print_summary(result.records, catalog, stdout);
    fmt::print("\nresults: {} ({} rows)\nenvironment: {}\n", csv.string(), result.records.size(),
               (out / "env.json").string());
    if (result.interrupted_by) {
      fmt::print(stderr, "versus: interrupted by {}: the cell in flight was stopped and its processes killed; "
                         "{} finished rows are in {}\n",
                 sigabbrev_np(result.interrupted_by) ? fmt::format("SIG{}", sigabbrev_np(result.interrupted_by)) : "a signal",
                 result.records.size(), csv.string());
      return 128 + result.interrupted_by;
    }
  } catch (const std::system_error& e) {
    fmt::print(stderr, "versus: {} (rows written so far are kept)\n", e.what());
    return 1;
  } catch (const std::runtime_error& e) {
    if (dynamic_cast<const UsageError*>(&e)) throw;
    fmt::print(stderr, "versus: {}\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace versus
