// The scenarios of this build, listed in one table (scenarios/registry.cc).
#pragma once

#include <span>

#include "bench/api/scenario.h"

namespace versus {

const Scenario* cpu_scenario();
const Scenario* ipc_scenario();
const Scenario* redis_scenario();
const Scenario* mux_scenario();
const Scenario* sync_scenario();
const Scenario* switch_scenario();
const Scenario* spawn_scenario();
const Scenario* selftest_scenario();

// Every scenario, in the order `versus list` shows them.
std::span<const Scenario* const> all_scenarios();

}  // namespace versus
