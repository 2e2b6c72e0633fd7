// Where a run's files are: an input names a results.csv or the folder holding one, and env.json
// sits beside it. Shared by merge and compare.
#pragma once

#include "bench/harness/layer.h"

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace versus {

std::filesystem::path results_csv_of(const std::string& input);
// The env.json beside `csv`, or nullopt when there is none or it is not JSON.
std::optional<nlohmann::json> env_beside(const std::filesystem::path& csv);

}  // namespace versus
