// Where cells' temporary folders go ($TMPDIR), and what the next run removes of a run that was
// killed before it could remove its cells' names itself.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "versus_binary.h"

namespace fs = std::filesystem;

namespace versus {
namespace {

class TmpRootTest : public ScratchFolderTest {
 protected:
  // A process group that existed and is gone: a child's pid once it is reaped.
  static pid_t ended_group() {
    const pid_t pid = fork();
    if (pid == 0) _exit(0);
    int status = 0;
    waitpid(pid, &status, 0);
    return pid;
  }

  // Leftovers of the repetition of `group`, as a run killed mid-cell leaves them: its
  // temporary folder with a file in it, its record of names, and a shared-memory object.
  void leave(const fs::path& root, pid_t group, std::chrono::seconds age) {
    const fs::path folder = root / folder_of(group);
    fs::create_directories(folder);
    std::ofstream(folder / "scratch") << "left\n";
    const std::string shm = shm_of(group);
    std::ofstream(root / (names_of(group))) << shm << '\n';
    const int fd = shm_open(shm.c_str(), O_CREAT | O_RDWR, 0600);
    ASSERT_GE(fd, 0);
    close(fd);
    shm_names_.push_back(shm);
    const auto when = fs::file_time_type::clock::now() - age;
    for (const auto& p : {folder, root / (names_of(group))}) fs::last_write_time(p, when);
  }

  static bool shm_exists(const std::string& name) {
    const int fd = shm_open(name.c_str(), O_RDONLY, 0);
    if (fd >= 0) close(fd);
    return fd >= 0;
  }

  void TearDown() override {
    for (const auto& name : shm_names_) shm_unlink(name.c_str());
    ScratchFolderTest::TearDown();
  }

  // "versus.G", and the shared-memory name a test leaves for G.
  static std::string folder_of(pid_t group) { return fmt::format("versus.{}", group); }
  static std::string names_of(pid_t group) { return fmt::format("versus.{}.names", group); }
  static std::string shm_of(pid_t group) { return fmt::format("/versus.{}.test", group); }

  std::vector<std::string> shm_names_;
};

// Cells put their temporary folders under $TMPDIR, and remove them.
TEST_F(TmpRootTest, CellsUseTmpdirAndLeaveNothingThere) {
  const fs::path root = dir_ / "tmp";
  fs::create_directories(root);
  const int watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  ASSERT_GE(watch, 0);
  ASSERT_GE(inotify_add_watch(watch, root.c_str(), IN_CREATE), 0);
  const Ran with_tmpdir =
      versus("run --scenario selftest --runner fork --workers 2 --repetitions 2 --set fault=litter --out '" +
             (dir_ / "out2").string() + "' --quiet --system-check 0", {}, "TMPDIR='" + root.string() + "'");
  ASSERT_EQ(with_tmpdir.code, 0) << with_tmpdir.output;
  char buf[8192];
  int cell_folders = 0;
  for (ssize_t n; (n = read(watch, buf, sizeof buf)) > 0;) {
    for (ssize_t at = 0; at < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + at);
      const std::string name = ev->len ? ev->name : "";
      cell_folders += (ev->mask & IN_ISDIR) && name.starts_with("versus.");
      at += ssize_t(sizeof(inotify_event) + ev->len);
    }
  }
  close(watch);
  EXPECT_GE(cell_folders, 2) << "a temporary folder for each repetition under $TMPDIR";
  EXPECT_TRUE(fs::is_empty(root)) << "the cells' folders and names were left in " << root;
}

// The next run removes a killed run's leftovers, and only those: not a young one another run
// may be removing now, not one whose process group still runs.
TEST_F(TmpRootTest, NextRunRemovesWhatAbandonedRepetitionsLeft) {
  const fs::path root = dir_ / "tmp";
  fs::create_directories(root);
  const pid_t old_dead = ended_group(), young_dead = ended_group(), alive = getpgrp();
  if (kill(-old_dead, 0) == 0 || kill(-young_dead, 0) == 0) GTEST_SKIP() << "a pid was reused already";
  leave(root, old_dead, std::chrono::hours(1));
  leave(root, young_dead, std::chrono::seconds(0));
  leave(root, alive, std::chrono::hours(1));
  const Ran ran = versus("run --scenario selftest --runner serial --workers 1 --repetitions 1 --out '" +
                             (dir_ / "out").string() + "' --quiet --system-check 0",
                         {}, "TMPDIR='" + root.string() + "'");
  ASSERT_EQ(ran.code, 0) << ran.output;
  EXPECT_NE(ran.output.find("removed what 1 repetition(s) of runs that ended abruptly left in " + root.string()),
            std::string::npos)
      << ran.output;
  EXPECT_FALSE(fs::exists(root / folder_of(old_dead)));
  EXPECT_FALSE(fs::exists(root / (names_of(old_dead))));
  EXPECT_FALSE(shm_exists(shm_of(old_dead)));
  for (const pid_t kept : {young_dead, alive}) {
    EXPECT_TRUE(fs::exists(root / folder_of(kept) / "scratch")) << kept;
    EXPECT_TRUE(shm_exists(shm_of(kept))) << kept;
  }
}

}  // namespace
}  // namespace versus
