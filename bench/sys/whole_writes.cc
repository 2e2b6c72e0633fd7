#include "bench/sys/whole_writes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "bench/sys/errors.h"
#include "bench/sys/fd.h"

namespace versus {

void replace_file(const std::string& path, std::string_view text) {
  const std::string tmp = path + ".partial";
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw_errno("create " + tmp);
  auto give_up = [&](const std::string& what) {
    const int err = errno;
    fd.reset();
    unlink(tmp.c_str());
    errno = err;
    throw_errno(what + " (" + path + " is as it was)");
  };
  if (!write_all(fd.get(), text)) give_up("write " + tmp);
  // The data before the name: after a crash the name holds the old text or the whole new one.
  if (fsync(fd.get()) != 0) give_up("fsync " + tmp);
  fd.reset();
  if (rename(tmp.c_str(), path.c_str()) != 0) give_up("rename " + tmp + " to " + path);
}

void append_whole(int fd, std::string_view text, const std::string& path) {
  struct stat st {};
  if (fstat(fd, &st) != 0) throw_errno("fstat " + path);
  if (write_all(fd, text)) return;
  const int err = errno;
  // Only this process appends to the file (the output folder is locked), so what is past the
  // old end is this write's.
  if (ftruncate(fd, st.st_size) != 0) {
    throw_errno("write " + path + ", then cutting the partial row back off it");
  }
  errno = err;
  throw_errno("write " + path + " (the partial row was cut back off)");
}

}  // namespace versus
