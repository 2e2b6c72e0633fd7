// Anonymous shared memory: visible to threads and, after fork, to child processes alike, so
// state that workers share (counters, results, start lines) works under every runner.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>

namespace versus {

class SharedMapping {
 public:
  explicit SharedMapping(size_t bytes);  // zero-filled; throws std::system_error on failure
  ~SharedMapping();
  SharedMapping(SharedMapping&& other) noexcept;
  SharedMapping& operator=(SharedMapping&& other) noexcept;
  SharedMapping(const SharedMapping&) = delete;
  SharedMapping& operator=(const SharedMapping&) = delete;

  void* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

// A SharedMapping holding `count` objects of T, constructed in place.
template <typename T>
class SharedArray {
  static_assert(std::is_trivially_destructible_v<T>, "shared objects are never destroyed");

 public:
  explicit SharedArray(size_t count) : map_(sizeof(T) * (count ? count : 1)), count_(count) {
    for (size_t i = 0; i < count; ++i) new (&data()[i]) T();
  }
  T* data() const { return static_cast<T*>(map_.data()); }
  T& operator[](size_t i) const { return data()[i]; }
  size_t size() const { return count_; }

 private:
  SharedMapping map_;
  size_t count_;
};

}  // namespace versus
