// Running the built versus binary as a user does, for the end-to-end suites: its exit status and
// everything it printed, in a scratch folder of the test's own.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace versus {

struct Ran {
  int code;
  std::string output;  // stdout and stderr together
};

// Runs versus with `args` (shell words), in `cwd` when one is given, with `env` (shell words
// such as "TMPDIR=/x") in its environment.
inline Ran versus(const std::string& args, const std::filesystem::path& cwd = {}, const std::string& env = {}) {
  const std::string cd = cwd.empty() ? std::string() : "cd '" + cwd.string() + "' && ";
  const std::string cmd = cd + env + (env.empty() ? "" : " ") + std::string(VERSUS_BINARY) + " " + args + " 2>&1";
  Ran ran{-1, {}};
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return ran;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) ran.output.append(buf, n);
  const int st = pclose(p);
  ran.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return ran;
}

// A test with a scratch folder (dir_), removed afterwards.
class ScratchFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/versus-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

}  // namespace versus
