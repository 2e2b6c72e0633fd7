// Placement plans on machines this one is not (hwloc's synthetic topologies), placements and CPU
// lists as text. Expected CPU lists are worked out from what each placement promises, never by
// asking the code under test. Binding on this machine is in placement_binding_test.cc.
#include <gtest/gtest.h>

#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/api/params.h"
#include "bench/sys/placement.h"

namespace versus {
namespace {

using Kind = Placement::Kind;

// Two packages of two NUMA nodes of 16 cores of 2 hardware threads: core c holds CPUs 2c and
// 2c+1, node n holds cores 16n..16n+15, package p holds nodes 2p and 2p+1.
const char* const kBigBox = "pack:2 numa:2 core:16 pu:2";
const char* const kEightCores = "pack:1 core:8 pu:1";
const char* const kOneCoreTwoThreads = "pack:1 core:1 pu:2";

std::vector<int> range(int first, int count) {
  std::vector<int> out(count);
  std::iota(out.begin(), out.end(), first);
  return out;
}

std::vector<int> repeat(const std::vector<int>& cycle, int units) {
  std::vector<int> out;
  for (int i = 0; i < units; ++i) out.push_back(cycle[i % cycle.size()]);
  return out;
}

std::vector<int> plan(const Topology& t, Kind kind, int units, int group = 1) {
  const PlacementPlan p = plan_placement(t, Placement{kind, {}}, units, group);
  EXPECT_EQ(p.unsupported, "") << "units " << units << " group " << group;
  return p.cpu_of;
}

// The first hardware thread of each of the 64 cores, then the second: 0, 2, ..., 126, 1, ..., 127.
std::vector<int> big_box_spread() {
  std::vector<int> order;
  for (int core = 0; core < 64; ++core) order.push_back(2 * core);
  for (int core = 0; core < 64; ++core) order.push_back(2 * core + 1);
  return order;
}

TEST(PlacementTopology, SyntheticBigBoxHasItsShape) {
  const Topology t = Topology::synthetic(kBigBox);
  EXPECT_EQ(t.cpus(), range(0, 128));
  EXPECT_EQ(t.cores(), 64);
  EXPECT_EQ(t.compact_order(), range(0, 128));
  EXPECT_EQ(t.spread_order(), big_box_spread());
  EXPECT_EQ(t.core_of(0), 0);
  EXPECT_EQ(t.core_of(1), 0);
  EXPECT_EQ(t.core_of(2), 1);
  EXPECT_EQ(t.core_of(127), 63);
  EXPECT_EQ(t.node_of(31), 0);
  EXPECT_EQ(t.node_of(32), 1);
  EXPECT_EQ(t.node_of(64), 2);
  EXPECT_EQ(t.node_of(127), 3);
  EXPECT_THROW(t.core_of(128), std::out_of_range);
  EXPECT_THROW(t.node_of(-1), std::out_of_range);

  const TopologySummary s = t.summary();
  EXPECT_EQ(s.packages, 2);
  EXPECT_EQ(s.numa_nodes, 4);
  EXPECT_EQ(s.cores, 64);
  EXPECT_EQ(s.pus, 128);
  EXPECT_TRUE(s.smt);
}

TEST(PlacementTopology, SummaryCountsCachesByLevelTypeAndSize) {
  const Topology t = Topology::synthetic(
      "pack:1 l3:1(size=33554432) l2:4(size=1048576) l1d:1(size=32768) l1i:1(size=65536) core:1 pu:1");
  const TopologySummary s = t.summary();
  EXPECT_EQ(s.cores, 4);
  EXPECT_EQ(s.pus, 4);
  EXPECT_FALSE(s.smt);
  ASSERT_EQ(s.caches.size(), 4u);
  auto expect_cache = [&](size_t i, int level, const char* type, int64_t size, int count) {
    EXPECT_EQ(s.caches[i].level, level) << i;
    EXPECT_EQ(s.caches[i].type, type) << i;
    EXPECT_EQ(s.caches[i].size_bytes, size) << i;
    EXPECT_EQ(s.caches[i].count, count) << i;
  };
  expect_cache(0, 1, "data", 32768, 4);
  expect_cache(1, 1, "instruction", 65536, 4);
  expect_cache(2, 2, "unified", 1048576, 4);
  expect_cache(3, 3, "unified", 33554432, 1);
}

TEST(PlacementTopology, BadSyntheticDescriptionIsNamed) {
  try {
    Topology::synthetic("pack:2 bogus:3");
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'pack:2 bogus:3'"), std::string::npos) << e.what();
  }
}

TEST(PlacementPlan, SpreadOnTheBigBox) {
  const Topology t = Topology::synthetic(kBigBox);
  EXPECT_EQ(plan(t, Kind::kSpread, 1), std::vector<int>{0});
  EXPECT_EQ(plan(t, Kind::kSpread, 2), (std::vector<int>{0, 2}));
  const std::vector<int> sixteen = plan(t, Kind::kSpread, 16);
  std::set<int> cores;
  for (int cpu : sixteen) {
    EXPECT_EQ(t.node_of(cpu), 0) << "one NUMA node's cores before the next: CPU " << cpu;
    cores.insert(cpu / 2);
  }
  EXPECT_EQ(cores.size(), 16u);
  const std::vector<int> first_32 = plan(t, Kind::kSpread, 32);
  EXPECT_EQ(std::set<int>(first_32.begin(), first_32.end()).size(), 32u);
  for (int cpu : first_32) EXPECT_EQ(cpu % 2, 0) << "a first hardware thread: CPU " << cpu;
  EXPECT_EQ(plan(t, Kind::kSpread, 64), repeat(big_box_spread(), 64));
  EXPECT_EQ(plan(t, Kind::kSpread, 128), big_box_spread());
  EXPECT_EQ(plan(t, Kind::kSpread, 130), repeat(big_box_spread(), 130)) << "round-robin past the CPUs";
}

TEST(PlacementPlan, CompactAndSameOnTheBigBox) {
  const Topology t = Topology::synthetic(kBigBox);
  for (int units : {1, 2, 16, 64, 128}) {
    EXPECT_EQ(plan(t, Kind::kCompact, units), range(0, units)) << units;
    EXPECT_EQ(plan(t, Kind::kSame, units), std::vector<int>(units, 0)) << units;
  }
  const std::vector<int> two = plan(t, Kind::kCompact, 2);
  EXPECT_EQ(t.core_of(two[0]), t.core_of(two[1])) << "compact fills a core's hardware threads first";
  EXPECT_EQ(plan(t, Kind::kCompact, 130), repeat(range(0, 128), 130));
}

TEST(PlacementPlan, PairsOnTheBigBox) {
  const Topology t = Topology::synthetic(kBigBox);
  for (int units : {2, 16, 64, 128}) {
    const std::vector<int> spread = plan(t, Kind::kSpread, units, 2);
    EXPECT_EQ(spread, repeat(big_box_spread(), units));
    for (int pair = 0; pair < units / 2; ++pair) {
      EXPECT_NE(spread[2 * pair] / 2, spread[2 * pair + 1] / 2) << "pair " << pair << " of " << units;
    }
    EXPECT_EQ(plan(t, Kind::kCompact, units, 2), range(0, units)) << "a pair shares a core";
    EXPECT_EQ(plan(t, Kind::kSame, units, 2), std::vector<int>(units, 0));
  }
}

TEST(PlacementPlan, EightCoresWithoutSmt) {
  const Topology t = Topology::synthetic(kEightCores);
  EXPECT_EQ(t.cpus(), range(0, 8));
  EXPECT_EQ(t.cores(), 8);
  for (int units : {1, 2, 16, 64, 128}) {
    EXPECT_EQ(plan(t, Kind::kSpread, units), repeat(range(0, 8), units)) << units;
    EXPECT_EQ(plan(t, Kind::kCompact, units), repeat(range(0, 8), units)) << units;
    EXPECT_EQ(plan(t, Kind::kSame, units), std::vector<int>(units, 0)) << units;
  }
  for (int units : {2, 16, 64, 128}) {
    EXPECT_EQ(plan(t, Kind::kSpread, units, 2), repeat(range(0, 8), units)) << "every pair on two cores";
  }
  EXPECT_FALSE(t.summary().smt);
}

TEST(PlacementPlan, OneCoreOfTwoThreadsCannotSpreadAPair) {
  const Topology t = Topology::synthetic(kOneCoreTwoThreads);
  EXPECT_EQ(t.cores(), 1);
  EXPECT_EQ(t.spread_order(), (std::vector<int>{0, 1}));
  EXPECT_EQ(plan(t, Kind::kSpread, 1), std::vector<int>{0});
  EXPECT_EQ(plan(t, Kind::kSpread, 16), repeat({0, 1}, 16)) << "lone units may share the core";
  for (int units : {1, 2, 16, 64, 128}) {
    EXPECT_EQ(plan(t, Kind::kCompact, units), repeat({0, 1}, units)) << units;
    EXPECT_EQ(plan(t, Kind::kSame, units), std::vector<int>(units, 0)) << units;
  }
  const PlacementPlan pairs = plan_placement(t, Placement{Kind::kSpread, {}}, 2, 2);
  EXPECT_EQ(pairs.unsupported,
            "spread puts the 2 ends of a pair on different cores; the CPUs allowed here (0-1) are on 1 core");
  EXPECT_EQ(plan(t, Kind::kCompact, 2, 2), (std::vector<int>{0, 1})) << "compact pairs are fine on one core";
}

TEST(PlacementPlan, NoneListAndBadArguments) {
  const Topology t = Topology::synthetic(kEightCores);
  const PlacementPlan none = plan_placement(t, Placement{}, 4, 1);
  EXPECT_TRUE(none.cpu_of.empty());
  EXPECT_EQ(none.unsupported, "");
  EXPECT_TRUE(none.cpus().empty());

  const PlacementPlan list = plan_placement(t, parse_placement("cpus:5,1-2"), 7, 1);
  EXPECT_EQ(list.cpu_of, (std::vector<int>{5, 1, 2, 5, 1, 2, 5}));
  EXPECT_EQ(list.cpus(), (std::vector<int>{1, 2, 5}));

  EXPECT_THROW(plan_placement(t, Placement{Kind::kSpread, {}}, 0, 1), std::invalid_argument);
  EXPECT_THROW(plan_placement(t, Placement{Kind::kNone, {}}, -3, 1), std::invalid_argument);
  try {
    plan_placement(t, parse_placement("cpus:99"), 1, 1);
    FAIL() << "CPU 99 accepted on an 8-CPU box";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "placement cpus:99: CPU 99 is not one versus may use here; allowed: 0-7");
  }
  EXPECT_THROW(plan_placement(t, parse_placement("cpus:0,8"), 1, 1), UsageError) << "CPU 8 is checked, not only 0";
}

TEST(PlacementText, AcceptedForms) {
  EXPECT_EQ(parse_placement("none").kind, Kind::kNone);
  EXPECT_EQ(parse_placement("same").kind, Kind::kSame);
  EXPECT_EQ(parse_placement("spread").kind, Kind::kSpread);
  EXPECT_EQ(parse_placement("compact").kind, Kind::kCompact);
  const Placement list = parse_placement("cpus:3,0-1");
  EXPECT_EQ(list.kind, Kind::kList);
  EXPECT_EQ(list.list, (std::vector<int>{3, 0, 1}));
  EXPECT_EQ(parse_placement("cpus:7").list, std::vector<int>{7});
  EXPECT_EQ(parse_placement("cpus:2,2,1-2").list, (std::vector<int>{2, 1})) << "each CPU once, first place kept";

  for (const char* name : {"none", "same", "spread", "compact", "cpus:3,0-1", "cpus:0-3,8", "cpus:5"}) {
    EXPECT_EQ(placement_name(parse_placement(name)), name);
  }
  EXPECT_EQ(placement_name(parse_placement("cpus:0,1,2,3")), "cpus:0-3");
  EXPECT_EQ(placement_name(parse_placement("cpus:4,0-1,2")), "cpus:4,0-2");
}

TEST(PlacementText, RefusalsNameTheText) {
  const std::string accepted = "accepted: none, same, spread, compact or cpus:LIST";
  for (const char* text : {"cpus:abc", "cpus:", "cpus:3-1", "bogus", "", "Spread", "cpus:0,,1", "cpus:1-", "cpus:-1",
                           "cpus:1-2-3", "cpus: 1", "cpus:+1", "cpus:99999999999", "cpus:70000", "cpus:0-70000"}) {
    try {
      parse_placement(text);
      ADD_FAILURE() << "'" << text << "' accepted";
    } catch (const UsageError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("placement '" + std::string(text) + "'"), std::string::npos) << message;
      EXPECT_NE(message.find(accepted), std::string::npos) << message;
    }
  }
  try {
    parse_placement("cpus:abc");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()),
              "placement 'cpus:abc': 'abc' is not a CPU list (say cpus:0,2-3); accepted: none, same, spread, "
              "compact or cpus:LIST");
  }
}

TEST(CpuList, FormatsRunsAsRanges) {
  EXPECT_EQ(format_cpu_list({}), "");
  EXPECT_EQ(format_cpu_list(std::vector<int>{5}), "5");
  EXPECT_EQ(format_cpu_list(std::vector<int>{0, 1}), "0-1");
  EXPECT_EQ(format_cpu_list(std::vector<int>{0, 1, 2, 3, 8}), "0-3,8");
  EXPECT_EQ(format_cpu_list(std::vector<int>{3, 0, 1}), "3,0-1");
  EXPECT_EQ(format_cpu_list(std::vector<int>{2, 1, 0}), "2,1,0") << "only ascending runs are ranges";
  EXPECT_EQ(format_cpu_list(std::vector<int>{0, 2, 4, 5, 6, 9, 10}), "0,2,4-6,9-10");
}

TEST(CpuList, ParsesAndRefuses) {
  EXPECT_EQ(parse_cpu_list("0-3,8"), (std::vector<int>{0, 1, 2, 3, 8}));
  EXPECT_EQ(parse_cpu_list("8,0-1"), (std::vector<int>{8, 0, 1}));
  EXPECT_EQ(parse_cpu_list("4-4"), std::vector<int>{4});
  EXPECT_EQ(parse_cpu_list("65535"), std::vector<int>{65535});
  for (const char* text : {"", ",", "0,", ",0", "a", "3-1", "1-x", "0x1", "65536", "99999999999999999999", "1 "}) {
    try {
      parse_cpu_list(text);
      ADD_FAILURE() << "'" << text << "' accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("'" + std::string(text) + "'"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace versus
