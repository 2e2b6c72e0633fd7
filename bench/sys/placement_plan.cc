// Placements as text, CPU lists as text, and the plan that gives each unit its CPU. Only the
// Topology's orders are used here, so plans for synthetic machines are made the same way.
#include "bench/sys/placement.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "bench/api/params.h"

namespace versus {

namespace {

// Linux builds with at most 8192 CPUs; a number past this is a typo, not a CPU.
constexpr int kLargestCpu = 65535;
constexpr std::string_view kAcceptedPlacements = "none, same, spread, compact or cpus:LIST";

// `example_prefix` is "cpus:" when the list was written inside a placement, so the example reads
// as the user would type it.
std::vector<int> parse_list(std::string_view text, std::string_view example_prefix) {
  auto refuse = [&](const std::string& why) {
    return UsageError(
        fmt::format("'{}' is not a CPU list{}{} (say {}0,2-3)", text, why.empty() ? "" : ": ", why, example_prefix));
  };
  if (text.empty()) throw refuse("it names no CPU");
  auto number = [&](std::string_view item, std::string_view digits) {
    int value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    const bool all_digits = !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
    if (all_digits && (ec == std::errc::result_out_of_range || value > kLargestCpu)) {
      throw refuse(fmt::format("CPU {} is past {}, the largest CPU number accepted", digits, kLargestCpu));
    }
    if (!all_digits || ec != std::errc() || end != digits.data() + digits.size()) {
      // When the whole list is the one bad item, naming it twice says nothing more.
      throw refuse(item == text ? "" : fmt::format("'{}' is not a CPU or a range of CPUs", item));
    }
    return value;
  };
  std::vector<int> cpus;
  std::set<int> seen;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string_view item = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    if (item.empty()) throw refuse("an item between commas is empty");
    const size_t dash = item.find('-');
    const int first = number(item, item.substr(0, dash));
    const int last = dash == std::string_view::npos ? first : number(item, item.substr(dash + 1));
    if (last < first) throw refuse(fmt::format("the range {} runs backwards", item));
    for (int cpu = first; cpu <= last; ++cpu) {
      if (seen.insert(cpu).second) cpus.push_back(cpu);
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return cpus;
}

std::string plural(int count, std::string_view noun) {
  return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
}

// Spread's promise for pairs: no two ends of a group on one core. Round-robin breaks it where the
// cores have uneven numbers of allowed CPUs, or where there are fewer cores than ends.
std::string check_spread(const Topology& topology, const PlacementPlan& plan, int group) {
  const std::string promise =
      fmt::format("spread puts the {} ends of a {} on different cores", group, group == 2 ? "pair" : "group");
  const std::string allowed = format_cpu_list(topology.cpus());
  if (topology.cores() < group) {
    return fmt::format("{}; the CPUs allowed here ({}) are on {}", promise, allowed, plural(topology.cores(), "core"));
  }
  const int units = static_cast<int>(plan.cpu_of.size());
  for (int start = 0; start < units; start += group) {
    std::map<int, int> unit_on_core;
    for (int unit = start; unit < std::min(units, start + group); ++unit) {
      const int cpu = plan.cpu_of[unit], core = topology.core_of(cpu);
      auto [other, fresh] = unit_on_core.emplace(core, unit);
      if (!fresh) {
        return fmt::format(
            "{}; with {} on the CPUs allowed here ({}, on {}), units {} and {} share core {} (CPUs {} and {})", promise,
            plural(units, "unit"), allowed, plural(topology.cores(), "core"), other->second, unit, core,
            plan.cpu_of[other->second], cpu);
      }
    }
  }
  return "";
}

}  // namespace

std::string format_cpu_list(std::span<const int> cpus) {
  std::string out;
  for (size_t i = 0; i < cpus.size();) {
    size_t end = i + 1;
    while (end < cpus.size() && cpus[end] == cpus[end - 1] + 1) ++end;
    if (!out.empty()) out += ',';
    out += end - i == 1 ? fmt::format("{}", cpus[i]) : fmt::format("{}-{}", cpus[i], cpus[end - 1]);
    i = end;
  }
  return out;
}

std::vector<int> parse_cpu_list(std::string_view text) { return parse_list(text, ""); }

Placement parse_placement(std::string_view text) {
  Placement placement;
  if (text == "none") return placement;
  if (text == "same") placement.kind = Placement::Kind::kSame;
  else if (text == "spread") placement.kind = Placement::Kind::kSpread;
  else if (text == "compact") placement.kind = Placement::Kind::kCompact;
  else if (text.starts_with("cpus:")) {
    placement.kind = Placement::Kind::kList;
    try {
      placement.list = parse_list(text.substr(5), "cpus:");
    } catch (const UsageError& e) {
      throw UsageError(fmt::format("placement '{}': {}; accepted: {}", text, e.what(), kAcceptedPlacements));
    }
  } else {
    throw UsageError(fmt::format("placement '{}' is not accepted; accepted: {}", text, kAcceptedPlacements));
  }
  return placement;
}

std::string placement_name(const Placement& placement) {
  switch (placement.kind) {
    case Placement::Kind::kNone: return "none";
    case Placement::Kind::kSame: return "same";
    case Placement::Kind::kSpread: return "spread";
    case Placement::Kind::kCompact: return "compact";
    case Placement::Kind::kList: return "cpus:" + format_cpu_list(placement.list);
  }
  throw std::logic_error("placement_name: unknown placement kind");
}

std::vector<int> PlacementPlan::cpus() const {
  std::set<int> distinct(cpu_of.begin(), cpu_of.end());
  return {distinct.begin(), distinct.end()};
}

PlacementPlan plan_placement(const Topology& topology, const Placement& placement, int units, int group) {
  if (units < 1) throw std::invalid_argument(fmt::format("a placement plan needs at least one unit, not {}", units));
  if (group < 1) throw std::invalid_argument(fmt::format("a group of units has at least one end, not {}", group));
  if (topology.cpus().empty()) throw std::logic_error("plan_placement: the topology has no allowed CPU");
  PlacementPlan plan;
  auto round_robin = [&](const std::vector<int>& order) {
    for (int unit = 0; unit < units; ++unit) plan.cpu_of.push_back(order[unit % order.size()]);
  };
  switch (placement.kind) {
    case Placement::Kind::kNone: break;
    case Placement::Kind::kSame: round_robin({topology.compact_order().front()}); break;
    case Placement::Kind::kCompact: round_robin(topology.compact_order()); break;
    case Placement::Kind::kSpread:
      round_robin(topology.spread_order());
      if (group > 1) plan.unsupported = check_spread(topology, plan, group);
      break;
    case Placement::Kind::kList: {
      if (placement.list.empty()) throw UsageError("placement cpus: names no CPU (say cpus:0,2-3)");
      const std::vector<int>& allowed = topology.cpus();
      for (int cpu : placement.list) {
        if (!std::binary_search(allowed.begin(), allowed.end(), cpu)) {
          throw UsageError(fmt::format("placement {}: CPU {} is not one versus may use here; allowed: {}",
                                       placement_name(placement), cpu, format_cpu_list(allowed)));
        }
      }
      round_robin(placement.list);
      break;
    }
  }
  return plan;
}

}  // namespace versus
