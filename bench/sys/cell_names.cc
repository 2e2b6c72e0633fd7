#include "bench/sys/cell_names.h"

#include <mqueue.h>
#include <sys/mman.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

namespace versus {

namespace {

// The IPC names a repetition handed out, one a line: /dev/mqueue is not always mounted, so the
// harness cannot rely on listing it.
std::string names_file_of(pid_t group) { return fmt::format("/tmp/versus.{}.names", group); }

}  // namespace

std::string cell_ipc_name(std::string_view what) {
  const pid_t group = getpgrp();
  std::string name = fmt::format("/versus.{}.{}", group, what);
  std::ofstream(names_file_of(group), std::ios::app) << name << '\n';
  return name;
}

std::string cell_tmp_folder(pid_t group) { return fmt::format("/tmp/versus.{}", group); }

int remove_cell_names(pid_t group) {
  namespace fs = std::filesystem;
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

}  // namespace versus
