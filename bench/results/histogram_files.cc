#include "bench/results/histogram_files.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

#include "bench/sys/errors.h"
#include "bench/sys/whole_writes.h"

namespace versus {
namespace {
constexpr size_t kKeptOfId = 200;
constexpr std::string_view kFolder = "histograms/";  // where every side file is, beside results.csv
}  // namespace

std::string histogram_file_name(const Record& r, int attempt) {
  // A cell id holds '/', ';', '=', ':' and whatever values were set: keep letters, digits and
  // "._-", the rest becomes '_'. The repetition (and attempt) make the name unique in a run.
  std::string name;
  for (char ch : r.cell) {
    const bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                      ch == '.' || ch == '-';
    name += keep ? ch : '_';
  }
  // A file name holds at most 255 bytes: a long id is cut. A hash of the whole id keeps apart
  // the names of cells that differ only past the cut, or only in characters made '_'.
  uint64_t hash = 14695981039346656037ull;  // FNV-1a
  for (char ch : r.cell) hash = (hash ^ uint8_t(ch)) * 1099511628211ull;
  name = fmt::format("{}.{:016x}", name.substr(0, kKeptOfId), hash);
  name += fmt::format(".r{}", r.repetition);
  if (attempt > 0) name += fmt::format(".a{}", attempt);
  return std::string(kFolder) + name + ".hgrm";
}

void keep_histogram(Record& r, int attempt, const std::filesystem::path& results_csv) {
  if (r.histogram_text.empty()) return;
  const std::string relative = histogram_file_name(r, attempt);
  const std::filesystem::path path = results_csv.parent_path() / relative;
  if (mkdir(path.parent_path().c_str(), 0777) < 0 && errno != EEXIST) throw_errno("mkdir " + path.parent_path().string());
  replace_file(path.string(), r.histogram_text);
  r.histogram = relative;
  r.histogram_text.clear();
}

void carry_histogram(Record& r, const std::filesystem::path& from_csv, const std::filesystem::path& to_csv,
                     const std::string& relative) {
  if (r.histogram.empty()) return;
  // Only a name versus gives: read from a file, anything else could reach out of either folder.
  for (const std::string_view name : {std::string_view(r.histogram), std::string_view(relative)}) {
    const std::string_view file = name.substr(std::min(name.size(), kFolder.size()));
    if (!name.starts_with(kFolder) || file.empty() || file.find('/') != std::string_view::npos ||
        file.starts_with(".")) {
      throw std::runtime_error(fmt::format("{} repetition {}: '{}' is not a side file's name ({}NAME.hgrm)", r.cell,
                                           r.repetition, name, kFolder));
    }
  }
  const std::filesystem::path from = from_csv.parent_path() / r.histogram;
  const std::filesystem::path to = to_csv.parent_path() / relative;
  std::error_code error;
  std::filesystem::create_directories(to.parent_path(), error);
  if (!error) std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, error);
  if (error) {
    throw std::runtime_error(fmt::format("the latency histogram {} of {} repetition {} could not be copied to {}: {}",
                                         from.string(), r.cell, r.repetition, to.string(), error.message()));
  }
  r.histogram = relative;
}

}  // namespace versus
