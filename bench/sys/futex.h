// Futex waits and wakes on a 32-bit word that may sit in a shared mapping: never
// FUTEX_PRIVATE, so they work between processes as well as between threads.
#pragma once

#include <atomic>
#include <cstdint>

namespace versus {

// Returns when `word` no longer holds `expected`, on a wake, or after timeout_ms (negative: no
// limit), or on a signal: callers look again in a loop.
void futex_wait(std::atomic<uint32_t>& word, uint32_t expected, int timeout_ms = -1);
void futex_wake_all(std::atomic<uint32_t>& word);

// A hint to the CPU inside a spin loop.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace versus
