#include "scenarios/registry.h"

namespace versus {

std::span<const Scenario* const> all_scenarios() {
  static const Scenario* const kScenarios[] = {
      cpu_scenario(),   ipc_scenario(),    redis_scenario(), mux_scenario(),
      spawn_scenario(), switch_scenario(), sync_scenario(),  selftest_scenario(),
  };
  return kScenarios;
}

}  // namespace versus
