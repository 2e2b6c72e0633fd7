#include "bench/results/results_files.h"

#include <fstream>

namespace fs = std::filesystem;

namespace versus {

fs::path results_csv_of(const std::string& input) {
  const fs::path p(input);
  return fs::is_directory(p) ? p / "results.csv" : p;
}

std::optional<nlohmann::json> env_beside(const fs::path& csv) {
  std::ifstream in(csv.parent_path() / "env.json");
  if (!in) return std::nullopt;
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace versus
