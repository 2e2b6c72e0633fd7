// An owned file descriptor: closed when it goes out of scope, whatever throws. Under fork every
// child holds a copy of each; each process closes its own.
#pragma once

#include <string_view>

namespace versus {

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  // Gives the descriptor up without closing it.
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes the descriptor held, if any, and holds `fd`.
  void reset(int fd = -1);

 private:
  int fd_;
};

// Sets O_NONBLOCK; throws std::system_error when fcntl fails.
void set_nonblocking(int fd);

// Writes all of `data` to a blocking descriptor, again after EINTR. False when a write fails
// (errno says why): a child reporting to its parent over a pipe has no one to throw to.
bool write_all(int fd, std::string_view data);

}  // namespace versus
