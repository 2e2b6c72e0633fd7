// Where a run's files are: an input names a results.csv or the folder holding one, and env.json
// sits beside it. Shared by run, merge and compare.
#pragma once

#include "bench/harness/layer.h"

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/sys/fd.h"

namespace versus {

std::filesystem::path results_csv_of(const std::string& input);
// The env.json beside `csv`, or nullopt when there is none or it is not JSON.
std::optional<nlohmann::json> env_beside(const std::filesystem::path& csv);

// Holds OUT/.versus.lock locked for as long as it lives, so that a second run, resume or merge
// into the same folder is refused instead of mixing its rows in or removing the first one's.
// Creates OUT when it is not there. The lock goes with the process, however it ends. Throws
// UsageError naming the process that holds it; touches nothing of that one's.
class OutputFolderLock {
 public:
  explicit OutputFolderLock(const std::filesystem::path& out);

 private:
  UniqueFd fd_;
};

// Creates and returns a new folder results/run-DATE-TIME under `parent`; when another run made
// that one already (in the same second), the name takes a suffix, -2, -3, ..., so no two runs
// share a folder.
std::filesystem::path create_run_folder(const std::filesystem::path& parent);

}  // namespace versus
