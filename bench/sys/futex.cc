#include "bench/sys/futex.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <ctime>

#include "bench/sys/hot_path.h"

namespace versus {

VERSUS_HOT void futex_wait(std::atomic<uint32_t>& word, uint32_t expected, int timeout_ms) {
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
  timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
  // EAGAIN (already changed), EINTR and ETIMEDOUT all mean: look again.
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT, expected, timeout_ms < 0 ? nullptr : &ts, nullptr,
          0);
}

VERSUS_HOT void futex_wake_all(std::atomic<uint32_t>& word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

}  // namespace versus
