// The Topology: hwloc's view of the machine, reduced once to the allowed CPUs and the two orders
// placements fill them in, and binding through hwloc. Plans and CPU lists are in
// placement_plan.cc.
#include "bench/sys/placement.h"

#include <hwloc.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "bench/sys/errors.h"

namespace versus {

namespace {

struct BitmapFree {
  void operator()(hwloc_bitmap_s* bitmap) const { hwloc_bitmap_free(bitmap); }
};
using Bitmap = std::unique_ptr<hwloc_bitmap_s, BitmapFree>;

Bitmap new_bitmap() {
  Bitmap bitmap(hwloc_bitmap_alloc());
  if (!bitmap) throw std::bad_alloc();
  return bitmap;
}

Bitmap bitmap_of(std::span<const int> cpus) {
  if (cpus.empty()) throw std::invalid_argument("binding needs at least one CPU");
  Bitmap bitmap = new_bitmap();
  for (int cpu : cpus) {
    if (cpu < 0) throw std::invalid_argument(fmt::format("CPU {} is not a CPU number", cpu));
    if (hwloc_bitmap_set(bitmap.get(), static_cast<unsigned>(cpu)) != 0) throw std::bad_alloc();
  }
  return bitmap;
}

std::vector<int> cpus_of(hwloc_const_bitmap_t bitmap) {
  std::vector<int> cpus;
  for (int cpu = hwloc_bitmap_first(bitmap); cpu != -1; cpu = hwloc_bitmap_next(bitmap, cpu)) cpus.push_back(cpu);
  return cpus;
}

unsigned logical_index_of_ancestor(hwloc_topology_t topology, hwloc_obj_type_t type, hwloc_obj_t pu) {
  hwloc_obj_t ancestor = hwloc_get_ancestor_obj_by_type(topology, type, pu);
  return ancestor ? ancestor->logical_index : 0;
}

// NUMA nodes hang beside the CPU tree in hwloc 2, not above the PUs, so the node of a PU is the
// one whose cpuset holds it.
int node_holding(hwloc_topology_t topology, hwloc_obj_t pu) {
  for (hwloc_obj_t node = hwloc_get_next_obj_by_type(topology, HWLOC_OBJ_NUMANODE, nullptr); node;
       node = hwloc_get_next_obj_by_type(topology, HWLOC_OBJ_NUMANODE, node)) {
    if (hwloc_bitmap_isset(node->cpuset, pu->os_index)) return static_cast<int>(node->logical_index);
  }
  return 0;
}

// One core with its allowed PUs, in hwloc's logical order.
struct CoreSlot {
  unsigned package = 0;
  int node = 0;
  int core = 0;
  std::vector<int> cpus;
};

}  // namespace

struct Topology::Impl {
  hwloc_topology_t topology = nullptr;
  bool this_machine = false;
  std::vector<int> cpus, compact, spread;
  std::unordered_map<int, std::pair<int, int>> core_and_node;  // by CPU
  int cores = 0;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (topology) hwloc_topology_destroy(topology);
  }

  const std::pair<int, int>& core_and_node_of(int cpu) const {
    auto it = core_and_node.find(cpu);
    if (it == core_and_node.end()) {
      throw std::out_of_range(fmt::format("CPU {} is not one of the allowed CPUs ({})", cpu, format_cpu_list(cpus)));
    }
    return it->second;
  }

  void require_this_machine(const char* what) const {
    if (!this_machine) {
      throw std::logic_error(fmt::format("{} needs this machine's topology; a synthetic one only makes plans", what));
    }
  }

  // Every allowed PU under its core, the cores sorted as compact fills them, and both orders.
  void index(hwloc_const_bitmap_t allowed) {
    std::vector<CoreSlot> slots;
    hwloc_obj_t last_core = nullptr;
    for (hwloc_obj_t pu = hwloc_get_next_obj_by_type(topology, HWLOC_OBJ_PU, nullptr); pu;
         pu = hwloc_get_next_obj_by_type(topology, HWLOC_OBJ_PU, pu)) {
      if (!hwloc_bitmap_isset(allowed, pu->os_index)) continue;
      // A machine whose cores hwloc cannot see gets each PU as a core of its own.
      hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(topology, HWLOC_OBJ_CORE, pu);
      if (!core) core = pu;
      if (core != last_core) {
        slots.push_back({logical_index_of_ancestor(topology, HWLOC_OBJ_PACKAGE, pu),
                         node_holding(topology, pu),
                         static_cast<int>(core->logical_index),
                         {}});
        last_core = core;
      }
      const int cpu = static_cast<int>(pu->os_index);
      slots.back().cpus.push_back(cpu);
      core_and_node[cpu] = {slots.back().core, slots.back().node};
      cpus.push_back(cpu);
    }
    // Logical order already follows the tree, package then node then core; the sort keeps that
    // true where a NUMA node is not a subtree of one package.
    std::stable_sort(slots.begin(), slots.end(), [](const CoreSlot& a, const CoreSlot& b) {
      return std::tie(a.package, a.node, a.core) < std::tie(b.package, b.node, b.core);
    });
    std::sort(cpus.begin(), cpus.end());
    cores = static_cast<int>(slots.size());
    size_t widest = 0;
    for (const CoreSlot& slot : slots) {
      compact.insert(compact.end(), slot.cpus.begin(), slot.cpus.end());
      widest = std::max(widest, slot.cpus.size());
    }
    for (size_t thread = 0; thread < widest; ++thread) {
      for (const CoreSlot& slot : slots) {
        if (thread < slot.cpus.size()) spread.push_back(slot.cpus[thread]);
      }
    }
  }
};

Topology::Topology(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Topology::Topology(Topology&&) noexcept = default;
Topology& Topology::operator=(Topology&&) noexcept = default;
Topology::~Topology() = default;

// hwloc leaves instruction caches out unless asked; the summary reports them with the others.
std::unique_ptr<Topology::Impl> Topology::start() {
  auto impl = std::make_unique<Impl>();
  if (hwloc_topology_init(&impl->topology) != 0) throw_errno("hwloc_topology_init");
  if (hwloc_topology_set_icache_types_filter(impl->topology, HWLOC_TYPE_FILTER_KEEP_ALL) != 0) {
    throw_errno("hwloc_topology_set_icache_types_filter");
  }
  return impl;
}

const Topology& Topology::here() {
  static const Topology topology = [] {
    std::unique_ptr<Impl> impl = start();
    // Discovery must not move threads of a process that may already be running some.
    if (hwloc_topology_set_flags(impl->topology, HWLOC_TOPOLOGY_FLAG_DONT_CHANGE_BINDING) != 0) {
      throw_errno("hwloc_topology_set_flags");
    }
    if (hwloc_topology_load(impl->topology) != 0) throw_errno("hwloc_topology_load");
    impl->this_machine = true;
    Bitmap allowed = new_bitmap();
    if (hwloc_get_cpubind(impl->topology, allowed.get(), HWLOC_CPUBIND_PROCESS) != 0) {
      throw_errno("hwloc_get_cpubind(process)");
    }
    impl->index(allowed.get());
    if (impl->cpus.empty()) {
      throw std::runtime_error(fmt::format("none of the CPUs this process may run on ({}) is in hwloc's topology",
                                           format_cpu_list(cpus_of(allowed.get()))));
    }
    return Topology(std::move(impl));
  }();
  return topology;
}

Topology Topology::synthetic(const std::string& description) {
  std::unique_ptr<Impl> impl = start();
  if (hwloc_topology_set_synthetic(impl->topology, description.c_str()) != 0) {
    throw std::invalid_argument(
        fmt::format("'{}' is not a topology hwloc can synthesize (say \"pack:2 core:8 pu:2\")", description));
  }
  if (hwloc_topology_load(impl->topology) != 0) throw_errno(fmt::format("hwloc_topology_load('{}')", description));
  impl->index(hwloc_topology_get_topology_cpuset(impl->topology));
  return Topology(std::move(impl));
}

const std::vector<int>& Topology::cpus() const { return impl_->cpus; }
const std::vector<int>& Topology::compact_order() const { return impl_->compact; }
const std::vector<int>& Topology::spread_order() const { return impl_->spread; }
int Topology::cores() const { return impl_->cores; }

int Topology::core_of(int cpu) const { return impl_->core_and_node_of(cpu).first; }
int Topology::node_of(int cpu) const { return impl_->core_and_node_of(cpu).second; }

void Topology::bind_thread(std::span<const int> cpus) const {
  impl_->require_this_machine("binding a thread");
  Bitmap set = bitmap_of(cpus);
  if (hwloc_set_cpubind(impl_->topology, set.get(), HWLOC_CPUBIND_THREAD) != 0) {
    throw_errno(fmt::format("hwloc_set_cpubind(thread, CPUs {})", format_cpu_list(cpus)));
  }
}

void Topology::bind_process(std::span<const int> cpus) const {
  impl_->require_this_machine("binding the process");
  Bitmap set = bitmap_of(cpus);
  if (hwloc_set_cpubind(impl_->topology, set.get(), HWLOC_CPUBIND_PROCESS) != 0) {
    throw_errno(fmt::format("hwloc_set_cpubind(process, CPUs {})", format_cpu_list(cpus)));
  }
}

std::vector<int> Topology::cpus_other_than(std::span<const int> used) const {
  std::vector<int> out;
  for (int cpu : cpus()) {
    if (std::find(used.begin(), used.end(), cpu) == used.end()) out.push_back(cpu);
  }
  return out;
}

std::vector<int> Topology::thread_binding() const {
  impl_->require_this_machine("reading a thread's binding");
  Bitmap set = new_bitmap();
  if (hwloc_get_cpubind(impl_->topology, set.get(), HWLOC_CPUBIND_THREAD) != 0) {
    throw_errno("hwloc_get_cpubind(thread)");
  }
  return cpus_of(set.get());
}

TopologySummary Topology::summary() const {
  hwloc_topology_t topology = impl_->topology;
  TopologySummary summary;
  summary.packages = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PACKAGE);
  summary.numa_nodes = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_NUMANODE);
  summary.pus = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PU);
  summary.cores = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_CORE);
  for (hwloc_obj_t core = hwloc_get_next_obj_by_type(topology, HWLOC_OBJ_CORE, nullptr); core;
       core = hwloc_get_next_obj_by_type(topology, HWLOC_OBJ_CORE, core)) {
    if (hwloc_bitmap_weight(core->cpuset) > 1) summary.smt = true;
  }
  // As index() does: without Core objects every PU counts as a core.
  if (summary.cores == 0) summary.cores = summary.pus;

  std::map<std::tuple<int, std::string, int64_t>, int> caches;
  for (hwloc_obj_type_t type : {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L4CACHE,
                                HWLOC_OBJ_L5CACHE, HWLOC_OBJ_L1ICACHE, HWLOC_OBJ_L2ICACHE, HWLOC_OBJ_L3ICACHE}) {
    for (hwloc_obj_t cache = hwloc_get_next_obj_by_type(topology, type, nullptr); cache;
         cache = hwloc_get_next_obj_by_type(topology, type, cache)) {
      const auto& attr = cache->attr->cache;
      const char* kind = attr.type == HWLOC_OBJ_CACHE_DATA          ? "data"
                         : attr.type == HWLOC_OBJ_CACHE_INSTRUCTION ? "instruction"
                                                                    : "unified";
      ++caches[{static_cast<int>(attr.depth), kind, static_cast<int64_t>(attr.size)}];
    }
  }
  for (const auto& [key, count] : caches) {
    summary.caches.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), count});
  }
  return summary;
}

}  // namespace versus
