// The environment a run measured on, written beside its CSV as env.json, so a result is never
// separated from its machine.
#pragma once

#include "bench/harness/layer.h"

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace versus {

nlohmann::json capture_environment(const std::vector<std::string>& command_line);
std::string host_name();
int physical_cores();
int logical_cores();

}  // namespace versus
