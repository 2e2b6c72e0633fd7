#include "bench/sys/shared_mapping.h"
#include "bench/sys/errors.h"

#include <sys/mman.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace versus {

SharedMapping::SharedMapping(size_t bytes) : size_(bytes) {
  data_ = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (data_ == MAP_FAILED) {
    data_ = nullptr;
    throw_errno("mmap(MAP_SHARED|MAP_ANONYMOUS)");
  }
}

SharedMapping::~SharedMapping() {
  if (data_) munmap(data_, size_);
}

SharedMapping::SharedMapping(SharedMapping&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SharedMapping& SharedMapping::operator=(SharedMapping&& other) noexcept {
  if (this != &other) {
    if (data_) munmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

}  // namespace versus
