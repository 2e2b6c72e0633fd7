// The cpu scenario's two kernels, each a TaskWork that checks its own answer.
#pragma once

#include <cstdint>
#include <memory>

#include "bench/api/scenario.h"

namespace versus::cpu {

// Primes in [lo, hi) by trial division: the work being measured.
uint64_t count_primes_trial(uint64_t lo, uint64_t hi);
// Primes in [lo, hi) by a segmented sieve of Eratosthenes: the independent reference.
uint64_t count_primes_sieve(uint64_t lo, uint64_t hi);

struct PrimeCountConfig {
  uint64_t start;
  uint64_t count;
  bool dynamic;  // chunks claimed from a shared counter instead of equal ranges
  uint64_t chunk;
};
std::unique_ptr<TaskWork> make_prime_count(const PrimeCountConfig& config, int workers);

struct TriadConfig {
  uint64_t total_bytes;  // over the three arrays of all workers together
  int passes;
};
std::unique_ptr<TaskWork> make_triad(const TriadConfig& config, int workers);

}  // namespace versus::cpu
