// The environment a run measured on, written beside its CSV as env.json, so a result is never
// separated from its machine.
#pragma once

#include "bench/harness/layer.h"

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace versus {

struct SystemCheck;

nlohmann::json capture_environment(const std::vector<std::string>& command_line);
// env.json's `system_check`: the findings of check_system (bench/sys/system_check.h), whether
// they make the machine noisy and why.
nlohmann::json system_check_json(const SystemCheck& check);
std::string host_name();
int physical_cores();
int logical_cores();

}  // namespace versus
