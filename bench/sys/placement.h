// Where a cell's workers run: the machine's CPUs as hwloc sees them, the placement a cell asks
// for (none, same, spread, compact, cpus:LIST), the plan that gives each worker its CPU, and
// binding a thread to it. hwloc knows SMT, caches and NUMA; nothing here reads /sys by hand.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace versus {

// What hwloc reports about the whole machine (every CPU, not only the allowed ones), for env.json.
struct TopologySummary {
  struct Cache {
    int level = 0;
    std::string type;  // "unified", "data" or "instruction"
    int64_t size_bytes = 0;
    int count = 0;  // caches of this level, type and size
  };
  int packages = 0, numa_nodes = 0, cores = 0, pus = 0;
  bool smt = false;           // some core has more than one hardware thread
  std::vector<Cache> caches;  // by level, then type, then size
};

class Topology {
 public:
  // This machine, restricted to the CPUs this process was allowed to run on the first time it
  // is called (so `taskset -c 0 versus ...` leaves one). The harness calls it before it binds
  // itself anywhere; forked processes inherit the answer.
  static const Topology& here();
  // A machine described in hwloc's synthetic syntax, say "pack:2 numa:2 core:16 pu:2" (OS CPU
  // numbers 0..N-1 in that order), every CPU allowed. Plans for machines this one is not.
  // Throws std::invalid_argument naming the description when hwloc rejects it.
  static Topology synthetic(const std::string& description);

  Topology(Topology&&) noexcept;
  Topology& operator=(Topology&&) noexcept;
  ~Topology();

  // The allowed CPUs (OS numbers), ascending.
  const std::vector<int>& cpus() const;
  // The allowed CPUs in the order `compact` fills them: every hardware thread of a core, then
  // the next core, then the next NUMA node and package.
  const std::vector<int>& compact_order() const;
  // The allowed CPUs in the order `spread` fills them: the first hardware thread of every core
  // (one NUMA node's cores before the next), then the second of every core, and so on.
  const std::vector<int>& spread_order() const;
  // hwloc's logical index, over the whole machine, of the physical core that holds `cpu`, and of
  // its NUMA node. Throw std::out_of_range for a CPU that is not allowed.
  int core_of(int cpu) const;
  int node_of(int cpu) const;
  int cores() const;  // physical cores with at least one allowed CPU
  TopologySummary summary() const;

  // Binds the calling thread to `cpus` (hwloc_set_cpubind, THREAD). Throws std::system_error
  // naming the CPUs.
  void bind_thread(std::span<const int> cpus) const;
  void bind_thread(int cpu) const { bind_thread(std::span<const int>(&cpu, 1)); }
  // Binds every thread of this process to `cpus`; the harness keeps off the measured CPUs so.
  void bind_process(std::span<const int> cpus) const;
  // The CPUs the calling thread may run on, read back from the kernel, ascending.
  std::vector<int> thread_binding() const;
  // The allowed CPUs not in `used`, ascending: where the harness and a server keep off a cell.
  std::vector<int> cpus_other_than(std::span<const int> used) const;

 private:
  struct Impl;
  explicit Topology(std::unique_ptr<Impl> impl);
  static std::unique_ptr<Impl> start();
  std::unique_ptr<Impl> impl_;
};

// What a cell's `placement` parameter asks for.
struct Placement {
  enum class Kind { kNone, kSame, kSpread, kCompact, kList };
  Kind kind = Kind::kNone;
  std::vector<int> list;  // kList: the CPUs in the order given, each once
};

// "none", "same", "spread", "compact" or "cpus:LIST" (LIST as "0,2-3"). Throws UsageError
// naming the text and the accepted forms.
Placement parse_placement(std::string_view text);
// The canonical spelling: "spread", "cpus:0,2-3".
std::string placement_name(const Placement& placement);

// One CPU per unit (a worker process or thread, a fiber or event-loop thread).
struct PlacementPlan {
  std::vector<int> cpu_of;        // one per unit, empty under none
  std::string unsupported;        // why this machine cannot place the units so ("" when it can)
  std::vector<int> cpus() const;  // the distinct CPUs of cpu_of, ascending
};

// Units are placed round-robin over the placement's order: same puts all on the first CPU of
// compact_order, cpus:LIST goes round the list. `group` consecutive units are the ends of one
// pair (2 for channel pairs, 1 otherwise): spread puts the ends of a pair on different cores
// and is unsupported where the allowed CPUs have fewer cores than a group has ends. Throws
// UsageError when cpus:LIST names a CPU the topology does not allow, naming the allowed ones.
PlacementPlan plan_placement(const Topology& topology, const Placement& placement, int units, int group);

// "0-3,8" from {0,1,2,3,8}; "" from none.
std::string format_cpu_list(std::span<const int> cpus);
// "0-3,8" -> {0,1,2,3,8}, in the order given. Throws UsageError naming the text.
std::vector<int> parse_cpu_list(std::string_view text);

}  // namespace versus
