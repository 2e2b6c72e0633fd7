// A full disk never leaves half a row in results.csv, nor an empty or torn env.json: on a small
// tmpfs of the test's own (mounting needs root; skipped, saying so, where it is refused).
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "bench/results/csv.h"
#include "bench/results/schema.h"
#include "bench/sys/whole_writes.h"

namespace versus {
namespace {

namespace fs = std::filesystem;

class FullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/versus-fulldisk-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr) << std::strerror(errno);
    dir_ = tmpl;
    if (mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=16k") != 0) {
      const int err = errno;
      fs::remove(dir_);
      GTEST_SKIP() << "cannot mount a small tmpfs here (" << std::strerror(err) << "): needs root";
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  static std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  fs::path dir_;
  bool mounted_ = false;
};

Record row_number(int i) {
  Record r;
  r.cell = "cpu/serial/workers:1/count=" + std::to_string(i);
  r.scenario = "cpu";
  r.runner = "serial";
  r.workers = 1;
  r.repetition = i;
  r.message = std::string(200, 'x');  // long rows, so that one is cut short by the full disk
  r.wall_s = 0.5;
  return r;
}

TEST_F(FullDiskTest, ResultsGainWholeRowsOrNone) {
  const fs::path csv = dir_ / "results.csv";
  int written = 0;
  {
    ResultsWriter w(csv.string());
    try {
      for (; written < 10000; ++written) w.write(row_number(written));
      FAIL() << "16 KiB held 10000 rows";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), ENOSPC) << e.what();
      EXPECT_NE(std::string(e.what()).find("the partial row was cut back off"), std::string::npos) << e.what();
    }
  }
  ASSERT_GT(written, 0);
  const std::string text = read(csv);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n') << "the file ends mid-row";
  const CsvTable t = parse_csv(text, csv.string());
  check_results_header(t, csv.string(), OlderHeader::kRefuse);
  ASSERT_EQ(t.rows.size(), size_t(written));
  for (size_t i = 0; i < t.rows.size(); ++i) EXPECT_EQ(record_from_row(t, i, csv.string()).repetition, int(i));
}

TEST_F(FullDiskTest, ReplacedFileIsTheOldTextOrTheNew) {
  const fs::path env = dir_ / "env.json";
  replace_file(env.string(), "{\"old\": true}\n");
  // Fill the disk, then try a text larger than what is left.
  {
    std::ofstream fill(dir_ / "filler", std::ios::binary);
    const std::string block(1024, 'f');
    while (fill.write(block.data(), block.size())) {}
  }
  try {
    replace_file(env.string(), std::string(8192, ' ') + "{}\n");
    FAIL() << "a full disk took 8 KiB";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("is as it was"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read(env), "{\"old\": true}\n");
  EXPECT_FALSE(fs::exists(env.string() + ".partial")) << "the temporary was left";
}

}  // namespace
}  // namespace versus
