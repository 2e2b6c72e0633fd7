#include "bench/sys/cell_names.h"

#include <mqueue.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "bench/sys/kernel_files.h"

namespace versus {

namespace {

namespace fs = std::filesystem;

// What another run may still be removing is this young at most: it removes a repetition's
// names right after the repetition's group has ended.
constexpr auto kAbandonedAfter = std::chrono::seconds(10);

// The IPC names a repetition handed out, one a line: /dev/mqueue is not always mounted, so the
// harness cannot rely on listing it.
std::string names_file_of(pid_t group) { return fmt::format("{}/versus.{}.names", cell_tmp_root(), group); }

}  // namespace

const std::string& cell_tmp_root() {
  static const std::string root = [] {
    std::error_code ec;
    if (const char* tmp = std::getenv("TMPDIR"); tmp && *tmp && fs::is_directory(tmp, ec)) {
      return fs::absolute(tmp, ec).lexically_normal().string();
    }
    return std::string("/tmp");
  }();
  return root;
}

std::string cell_ipc_name(std::string_view what) {
  const pid_t group = getpgrp();
  std::string name = fmt::format("/versus.{}.{}", group, what);
  std::ofstream(names_file_of(group), std::ios::app) << name << '\n';
  return name;
}

pid_t cell_group_in(std::string_view name) {
  if (!name.starts_with("versus.")) return 0;
  name.remove_prefix(7);
  pid_t group = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), group);
  const bool whole = end == name.data() + name.size() || *end == '.';
  return ec == std::errc() && whole && group > 0 ? group : 0;
}

// Zombies do not count: the processes of a run killed outright may wait long to be reaped where
// no init does it (a container's first process), and a zombie holds no name open.
bool group_ended(pid_t group) {
  if (kill(-group, 0) != 0) return errno == ESRCH;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    pid_t pid = 0;
    const std::string name = e.path().filename().string();
    if (std::from_chars(name.data(), name.data() + name.size(), pid).ec != std::errc()) continue;
    const std::optional<ProcStat> stat = read_proc_stat(pid);
    if (stat && stat->pgrp == group && stat->state != 'Z') return false;
  }
  return true;
}

std::string cell_tmp_folder(pid_t group) { return fmt::format("{}/versus.{}", cell_tmp_root(), group); }

int remove_cell_names(pid_t group) {
  int removed = 0;
  std::error_code ec;
  {
    std::ifstream names(names_file_of(group));
    std::string name;
    while (std::getline(names, name)) {
      removed += shm_unlink(name.c_str()) == 0;
      removed += mq_unlink(name.c_str()) == 0;
    }
  }
  fs::remove(names_file_of(group), ec);
  const fs::path tmp = cell_tmp_folder(group);
  if (fs::exists(tmp, ec)) {
    for (const auto& e : fs::recursive_directory_iterator(tmp, ec)) {
      (void)e;
      ++removed;
    }
    fs::remove_all(tmp, ec);
  }
  return removed;
}

int remove_abandoned_cell_names() {
  std::set<pid_t> abandoned;
  std::error_code ec;
  const auto old_enough = fs::file_time_type::clock::now() - kAbandonedAfter;
  for (const auto& e : fs::directory_iterator(cell_tmp_root(), ec)) {
    // Only the folder and the record a repetition makes here: ROOT/versus.G, ROOT/versus.G.names.
    const std::string name = e.path().filename().string();
    const pid_t group = cell_group_in(name);
    if (group == 0 || abandoned.contains(group)) continue;
    if (name != fmt::format("versus.{}", group) && name != fmt::format("versus.{}.names", group)) continue;
    std::error_code time_ec;
    const auto written = fs::last_write_time(e.path(), time_ec);
    if (!time_ec && written < old_enough && group_ended(group)) abandoned.insert(group);
  }
  for (const pid_t group : abandoned) remove_cell_names(group);
  return static_cast<int>(abandoned.size());
}

}  // namespace versus
