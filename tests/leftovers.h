// What a test's own cells left behind under versus's names: in /dev/shm, /dev/mqueue and the
// cells' temporary root. Another run on the machine (a parallel suite, another checkout) may
// hold names of its own, or have left some long ago; neither is this test's to judge.
#pragma once

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench/sys/cell_names.h"

namespace versus {

class LeftoverWatch {
 public:
  // Notes what is there now: none of it is the test's.
  LeftoverWatch() : before_(list()) {}

  // Names that appeared since and stay: a name whose process group still runs is another
  // run's live cell; one whose group has ended may be in the middle of its harness's removal,
  // so it counts only if it is still there a second later.
  std::vector<std::string> left() const {
    std::vector<std::string> suspects;
    for (const auto& path : list()) {
      if (before_.contains(path)) continue;
      const pid_t group = cell_group_in(std::filesystem::path(path).filename().string());
      if (group > 0 && !group_ended(group)) continue;
      suspects.push_back(path);
    }
    if (suspects.empty()) return suspects;
    std::this_thread::sleep_for(std::chrono::seconds(1));
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& path : suspects) {
      if (std::filesystem::exists(path, ec)) out.push_back(path);
    }
    return out;
  }

 private:
  static std::set<std::string> list() {
    std::set<std::string> out;
    std::error_code ec;
    for (const std::string& dir : {std::string("/dev/shm"), std::string("/dev/mqueue"), cell_tmp_root()}) {
      for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        if (e.path().filename().string().starts_with("versus.")) out.insert(e.path().string());
      }
    }
    return out;
  }

  std::set<std::string> before_;
};

}  // namespace versus
