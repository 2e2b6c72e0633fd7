#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "bench/harness/matrix.h"
#include "runners/registry.h"
#include "scenarios/registry.h"

namespace versus {
namespace {

Catalog catalog() { return {all_scenarios(), all_runners()}; }

MatrixSpec one_block(MatrixBlock b, int repetitions = 3) {
  MatrixSpec s;
  s.blocks.push_back(std::move(b));
  s.repetitions = repetitions;
  return s;
}

std::string usage_error(const MatrixSpec& spec) {
  try {
    expand_matrix(spec, catalog());
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

// The redis server parameter: its forms pass, TLS and malformed URLs are refused naming every
// accepted form, and no refusal repeats a password.
TEST(Matrix, RedisServerUrlsAreCheckedBeforeAnythingRuns) {
  auto with_server = [](std::string server) {
    return one_block(MatrixBlock{{"redis"}, {"epoll"}, {1}, {{"server", {std::move(server)}}}});
  };
  for (const char* ok : {"embedded", "127.0.0.1:6380", "redis://127.0.0.1", "redis://:pw@localhost:6380",
                         "redis://alice:a%3Bb@[::1]:6379"}) {
    EXPECT_EQ(usage_error(with_server(ok)), "(no error)") << ok;
  }
  const std::string forms = "accepted: embedded, HOST:PORT, redis://[user[:password]@]host[:port]";
  const std::string tls = usage_error(with_server("rediss://:pw@127.0.0.1:6380"));
  EXPECT_NE(tls.find("TLS is not built into versus; " + forms), std::string::npos) << tls;
  for (const char* bad : {"redis://", "redis://:s3cret@", "redis://h:0", "redis://h:port", "redis://h:6379/0",
                          "redis://:@h", "redis://:s3%zz@h", "http://h:1", "s3cret@h:1", "nohost"}) {
    const std::string why = usage_error(with_server(bad));
    EXPECT_NE(why.find("parameter 'server': "), std::string::npos) << bad << ": " << why;
    EXPECT_NE(why.find(forms), std::string::npos) << bad << ": " << why;
    EXPECT_EQ(why.find("s3"), std::string::npos) << bad << ": the refusal repeats the password: " << why;
  }
}

TEST(Matrix, CartesianProductOfEveryList) {
  MatrixBlock b{{"cpu"}, {"serial", "fork"}, {1, 2, 4}, {{"split", {"static", "dynamic"}}}};
  const auto cells = expand_matrix(one_block(b), catalog());
  ASSERT_EQ(cells.size(), 2u * 2u * 3u);
  for (const auto& c : cells) {
    EXPECT_EQ(c.repetitions, 3);
    EXPECT_EQ(c.params.str("kernel"), "primes");  // defaults fill what --set leaves out
  }
  EXPECT_EQ(cells[0].params.str("split"), "static");
  EXPECT_EQ(cells.back().params.str("split"), "dynamic");
}

TEST(Matrix, RunnerParamsOnlyForTheirRunner) {
  MatrixBlock b{{"cpu"}, {"fork", "fiber"}, {2}, {{"fiber_threads", {"1", "2"}}}};
  const auto cells = expand_matrix(one_block(b), catalog());
  // fork ignores fiber_threads (one cell), fiber gets one cell per value.
  ASSERT_EQ(cells.size(), 3u);
  EXPECT_FALSE(cells[0].params.has("fiber_threads"));
  EXPECT_EQ(cells[1].params.str("fiber_threads"), "1");
  EXPECT_EQ(cells[2].params.str("fiber_threads"), "2");
  EXPECT_NE(cells[1].id(), cells[2].id());
}

TEST(Matrix, DuplicatesCollapseAndSizesAreCanonical) {
  MatrixSpec spec = one_block({{"cpu"}, {"serial"}, {1, 1}, {{"array_bytes", {"1M", "1048576"}}}});
  const auto cells = expand_matrix(spec, catalog());
  ASSERT_EQ(cells.size(), 1u);
  EXPECT_EQ(cells[0].params.str("array_bytes"), "1048576");
  EXPECT_EQ(cells[0].id().rfind("cpu/serial/workers:1/", 0), 0u);
}

TEST(Matrix, ErrorsNameTheInputAndWhatIsAccepted) {
  EXPECT_EQ(usage_error(one_block({{"gpu"}, {"fork"}, {1}, {}})),
            "unknown scenario 'gpu'; known scenarios: cpu, ipc, redis, mux, spawn, switch, sync, selftest (internal)");
  EXPECT_EQ(usage_error(one_block({{"cpu"}, {"greenlet"}, {1}, {}})),
            "unknown runner 'greenlet'; known runners: serial, fork, pthread, fiber, select, poll, epoll"
#ifdef VERSUS_HAVE_LIBURING
            ", io_uring"
#endif
            ", py-thread, py-process, py-asyncio");
  EXPECT_EQ(usage_error(one_block({{"cpu"}, {"fork"}, {0}, {}})),
            "workers: '0' is not accepted; accepted: an integer from 1 to 100000");
  EXPECT_EQ(usage_error(one_block({{"cpu"}, {"fork"}, {1}, {{"kernel", {"fft"}}}})),
            "parameter 'kernel': 'fft' is not accepted; accepted: one of primes, membw");
  const std::string unknown = usage_error(one_block({{"cpu"}, {"fork"}, {1}, {{"colour", {"red"}}}}));
  EXPECT_EQ(unknown.rfind("unknown parameter 'colour' for scenario cpu with runner fork; accepted: ", 0), 0u)
      << unknown;
  EXPECT_NE(unknown.find("count"), std::string::npos);
  // fiber_threads exists, but not for the runners chosen.
  EXPECT_NE(usage_error(one_block({{"cpu"}, {"fork"}, {1}, {{"fiber_threads", {"2"}}}})).find("unknown parameter"),
            std::string::npos);
  EXPECT_EQ(usage_error(one_block({{}, {"fork"}, {1}, {}})).rfind("no scenario given", 0), 0u);
  EXPECT_EQ(usage_error(one_block({{"cpu"}, {"fork"}, {}, {}})).rfind("no worker count given", 0), 0u);
  EXPECT_EQ(usage_error(one_block({{"cpu"}, {"fork"}, {1}, {}}, 0)),
            "repetitions: '0' is not accepted; accepted: an integer from 1 to 100000");
}

// Everything wrong is reported at once, unknown names first (a mistyped name often explains
// the rest), however the input ordered them.
TEST(Matrix, EveryProblemAtOnceUnknownNamesFirst) {
  const std::string all = usage_error(
      one_block({{"cpu", "gpu"}, {"fork", "greenlet"}, {0, 1}, {{"count", {"-5"}}, {"colour", {"red"}}}}, 0));
  const std::vector<std::string> expected_starts = {
      "6 problems:",
      "  - unknown scenario 'gpu'; known scenarios: ",
      "  - unknown runner 'greenlet'; known runners: ",
      "  - unknown parameter 'colour' for scenario cpu, gpu with runner fork, greenlet; accepted: ",
      "  - repetitions: '0' is not accepted",
      "  - workers: '0' is not accepted",
      "  - parameter 'count': '-5' is not accepted",
  };
  std::vector<std::string> lines;
  for (size_t at = 0; at <= all.size();) {
    const size_t nl = std::min(all.find('\n', at), all.size());
    lines.push_back(all.substr(at, nl - at));
    at = nl + 1;
  }
  ASSERT_EQ(lines.size(), expected_starts.size()) << all;
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i].rfind(expected_starts[i], 0), 0u) << lines[i];
}

TEST(Matrix, ParseSet) {
  auto [k, v] = parse_set("count=1,2");
  EXPECT_EQ(k, "count");
  EXPECT_EQ(v, (std::vector<std::string>{"1", "2"}));
  EXPECT_THROW(parse_set("count"), UsageError);
  EXPECT_THROW(parse_set("=3"), UsageError);
  EXPECT_THROW(parse_set("count=1,,2"), UsageError);
}

TEST(Preset, QuickPresetIsTheDocumentedMatrix) {
  const MatrixSpec spec = load_preset(std::string(VERSUS_SOURCE_DIR) + "/reports/presets/quick.toml");
  const auto cells = expand_matrix(spec, catalog());
  // cpu: runners x workers; ipc: runners x channels x sizes (throughput), runners x channels x
  // placements (round trips); switch: runners x placements; redis get and ttl_scan: runners x
  // workers; redis under load: runners x open-loop rates (their closed loop is the get block's
  // cell), the stalling server's closed and open loop;
  // spawn: runners x modes; sync: runners x primitives; mux: runners x fds; a crash under fork and
  // pthread (C16); Python cpu: runners x workers; Python spawn: runners x workers (two counts: what
  // one more adds).
  EXPECT_EQ(cells.size(), 4u * 3u + 2u * 3u * 2u + 2u * 2u * 3u + 3u * 3u + 4u * 2u + 2u * 3u + 1u * 2u + 2u * 2u +
                              2u * 2u + 2u * 2u + 4u * 2u + 2u + 3u * 2u + 2u * 2u);
  EXPECT_EQ(cells.front().scenario, "cpu");
  EXPECT_EQ(cells.back().scenario, "spawn");
  EXPECT_EQ(cells.back().runner, "py-process");
}

TEST(Preset, EveryCheckedInPresetExpands) {
  int presets = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(VERSUS_SOURCE_DIR) + "/reports/presets")) {
    if (e.path().extension() != ".toml") continue;
    ++presets;
    const auto cells = expand_matrix(load_preset(e.path().string()), catalog());
    EXPECT_FALSE(cells.empty()) << e.path();
    // Internal scenarios stay out of presets, but for quick's worker that crashes on purpose:
    // the report's claim C16 (what a crash takes down) reads it.
    for (const auto& c : cells) {
      if (c.scenario != "selftest") continue;
      EXPECT_EQ(e.path().filename(), "quick.toml") << "internal scenarios stay out of presets";
      EXPECT_EQ(c.params.str("fault"), "crash") << e.path();
    }
  }
  EXPECT_GE(presets, 3) << "quick, ci and full";
}

TEST(Matrix, WorkersMayBeCountedInTheMachinesCoresThreadsAndNodes) {
  EXPECT_EQ(parse_workers("3"), 3);
  EXPECT_EQ(parse_workers("threads"), static_cast<int>(Topology::here().cpus().size()));
  EXPECT_EQ(parse_workers("cores"), Topology::here().cores());
  // Two packages of two NUMA nodes of 16 cores of 2 hardware threads: 64 cores, 128 threads.
  const Topology big = Topology::synthetic("pack:2 numa:2 core:16 pu:2");
  EXPECT_EQ(parse_workers("cores", big), 64);
  EXPECT_EQ(parse_workers("threads", big), 128);
  EXPECT_EQ(parse_workers("2*threads", big), 256);
  EXPECT_EQ(parse_workers("numa_nodes", big), 4);
  EXPECT_EQ(parse_workers("3*numa_nodes", big), 12);
  for (const char* bad : {"many", "0*cores", "x*cores", "2*sockets", "*cores"}) {
    try {
      parse_workers(bad, big);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(Matrix, ShardsPartitionTheCells) {
  MatrixBlock b{{"cpu"}, {"serial", "fork", "pthread", "fiber"}, {1, 2, 3}, {}};
  const auto cells = expand_matrix(one_block(b), catalog());
  std::set<std::string> seen;
  for (int k = 1; k <= 5; ++k) {
    for (const auto& c : select_shard(cells, parse_shard(std::to_string(k) + "/5"))) {
      EXPECT_TRUE(seen.insert(c.id()).second) << c.id() << " in two shards";
    }
  }
  EXPECT_EQ(seen.size(), cells.size());
  EXPECT_THROW(parse_shard("0/3"), UsageError);
  EXPECT_THROW(parse_shard("4/3"), UsageError);
  EXPECT_THROW(parse_shard("2"), UsageError);
}

TEST(Preset, ParsesBlocksAndSets) {
  const MatrixSpec spec = parse_preset(R"(
repetitions = 2
[[matrix]]
scenario = "cpu"
runner = ["fork", "pthread"]
workers = [1, 2]
[matrix.set]
count = [1000, 2000]
split = "dynamic"
)",
                                       "p.toml");
  EXPECT_EQ(spec.repetitions, 2);
  const auto cells = expand_matrix(spec, catalog());
  EXPECT_EQ(cells.size(), 2u * 2u * 2u);
  EXPECT_EQ(cells[0].params.str("split"), "dynamic");
}

TEST(Preset, WarmupAndBenchmarkFlagsReachTheCellsAndTheResumedPlan) {
  const MatrixSpec spec = parse_preset(R"(
warmup = 2
retries = 0
interference_limit = 0.2
benchmark_args = ["--benchmark_enable_random_interleaving=true"]
[[matrix]]
scenario = "cpu"
runner = "serial"
workers = 1
)",
                                       "p.toml");
  EXPECT_EQ(spec.warmup, 2);
  EXPECT_EQ(spec.benchmark_args, std::vector<std::string>{"--benchmark_enable_random_interleaving=true"});
  const Cell cell = expand_matrix(spec, catalog()).at(0);
  EXPECT_EQ(cell.warmup, 2);
  EXPECT_EQ(cell.retries, 0);
  EXPECT_DOUBLE_EQ(cell.interference_limit, 0.2);
  const MatrixSpec again = spec_from_json(spec_to_json(spec));
  EXPECT_EQ(again.warmup, 2);
  EXPECT_EQ(again.retries, 0);
  EXPECT_DOUBLE_EQ(again.interference_limit, 0.2);
  EXPECT_EQ(again.benchmark_args, spec.benchmark_args);
}

std::string preset_error(const std::string& text) {
  try {
    parse_preset(text, "bad.toml");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Preset, MalformedPresetsNameFileLineAndExpectation) {
  EXPECT_EQ(preset_error("repetitions = 3\n[[matrix]\n").rfind("bad.toml:2: ", 0), 0u);
  EXPECT_EQ(preset_error("repetitions = \"many\"\n[[matrix]]\nscenario=\"cpu\"\nrunner=\"fork\"\nworkers=1\n"),
            "bad.toml:1: 'repetitions' takes an integer");
  EXPECT_EQ(preset_error("retries = 1.5\n[[matrix]]\nscenario=\"cpu\"\nrunner=\"fork\"\nworkers=1\n"),
            "bad.toml:1: 'retries' takes an integer");
  EXPECT_EQ(preset_error("interference_limit = \"low\"\n[[matrix]]\nscenario=\"cpu\"\nrunner=\"fork\"\nworkers=1\n"),
            "bad.toml:1: 'interference_limit' takes a number");
  EXPECT_EQ(preset_error("[[matrix]]\nscenario = \"cpu\"\nworkers = [1]\n"),
            "bad.toml:1: [[matrix]] block has no 'runner'");
  EXPECT_EQ(preset_error("colour = 1\n").rfind("bad.toml:1: unknown key 'colour' in the preset; accepted: ", 0), 0u);
  EXPECT_EQ(preset_error("repetitions = 1\n"),
            "bad.toml: expected at least one [[matrix]] block with scenario, runner and workers");
  EXPECT_EQ(preset_error("benchmark_args = [\"--fast\"]\n"),
            "bad.toml:1: 'benchmark_args' takes Google Benchmark flags (--benchmark_...), not '--fast'");
  EXPECT_EQ(preset_error("warmup = \"yes\"\n"), "bad.toml:1: 'warmup' takes an integer");
  EXPECT_THROW(load_preset("no-such-preset"), UsageError);
}

// A value a block's set does not accept names the preset's line where it is written.
TEST(Preset, ProblemsOfABlocksSetNameFileAndLine) {
  const MatrixSpec spec = parse_preset(
      "repetitions = 1\n[[matrix]]\nscenario = \"cpu\"\nrunner = \"fork\"\nworkers = [1]\n[matrix.set]\n"
      "kernel = [\"primes\"]\ncount = [\"many\"]\ncolour = [\"red\"]\n\n[[matrix]]\nscenario = \"sync\"\n"
      "runner = \"fork\"\nworkers = [1]\n",
      "bad.toml");
  const std::string all = usage_error(spec);
  EXPECT_NE(all.find("  - bad.toml:9: unknown parameter 'colour' for scenario cpu"), std::string::npos) << all;
  EXPECT_NE(all.find("  - bad.toml:8: parameter 'count': 'many' is not accepted"), std::string::npos) << all;
  EXPECT_LT(all.find("colour"), all.find("'many'")) << all;
}

}  // namespace
}  // namespace versus
