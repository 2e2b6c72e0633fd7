#include "bench/results/results_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "bench/api/params.h"

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

OutputFolderLock::OutputFolderLock(const fs::path& out) {
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw UsageError(fmt::format("cannot create the output folder {}: {}", out.string(), ec.message()));
  const fs::path path = out / ".versus.lock";
  fd_.reset(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd_) {
    throw UsageError(fmt::format("cannot open {} to lock the output folder: {}", path.string(), std::strerror(errno)));
  }
  // A POSIX record lock, not flock: the processes a run forks for its repetitions do not inherit
  // it, so none of them, were it to outlive the run, could keep the folder locked.
  struct flock whole = {};
  whole.l_type = F_WRLCK;
  whole.l_whence = SEEK_SET;
  if (fcntl(fd_.get(), F_SETLK, &whole) != 0) {
    if (errno == EACCES || errno == EAGAIN) {
      char who[256] = {};
      const ssize_t n = pread(fd_.get(), who, sizeof who - 1, 0);
      throw UsageError(
          fmt::format("{} is in use by another versus run or merge ({}); nothing was written to it: wait "
                      "for that one to end, or choose another output folder",
                      out.string(), n > 0 ? std::string(who, size_t(n)) : std::string("just starting")));
    }
    // A file system without locks: go on unguarded rather than not at all.
    fmt::print(stderr, "versus: warning: cannot lock {} ({}); nothing stops a second run into it\n", path.string(),
               std::strerror(errno));
    return;
  }
  const std::string me =
      fmt::format("pid {}, started {:%Y-%m-%d %H:%M:%S}", getpid(), fmt::localtime(std::time(nullptr)));
  // Who holds it, for the message of a refused run; failing to write it costs only that.
  [[maybe_unused]] const int truncated = ftruncate(fd_.get(), 0);
  [[maybe_unused]] const ssize_t written = pwrite(fd_.get(), me.data(), me.size(), 0);
}

fs::path create_run_folder(const fs::path& parent) {
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw UsageError(fmt::format("cannot create {}: {}", parent.string(), ec.message()));
  const std::string base = fmt::format("run-{:%Y%m%d-%H%M%S}", fmt::localtime(std::time(nullptr)));
  for (int n = 1;; ++n) {
    const fs::path folder = parent / (n == 1 ? base : fmt::format("{}-{}", base, n));
    if (fs::create_directory(folder, ec)) return folder;  // made here, so no other run's
    if (ec) throw UsageError(fmt::format("cannot create the output folder {}: {}", folder.string(), ec.message()));
  }
}

}  // namespace versus
