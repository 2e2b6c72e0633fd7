// kernel=primes: count primes in [start, start+count) by trial division, the seed note 001's
// CPU-bound job, and check the count against a sieve made independently.
#include <atomic>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "bench/sys/shared_mapping.h"
#include "scenarios/cpu/cpu.h"

namespace versus::cpu {

namespace {

bool is_prime(uint64_t n) {
  if (n < 2) return false;
  if (n % 2 == 0) return n == 2;
  for (uint64_t d = 3; d * d <= n; d += 2) {
    if (n % d == 0) return false;
  }
  return true;
}

class PrimeCount final : public TaskWork {
 public:
  PrimeCount(const PrimeCountConfig& config, int workers)
      : config_(config),
        workers_(workers),
        expected_(count_primes_sieve(config.start, config.start + config.count)),
        next_(1) {}

  void run(WorkerContext& ctx, WorkerResult& out) override {
    const uint64_t end = config_.start + config_.count;
    if (config_.dynamic) {
      std::atomic<uint64_t>& next = next_[0];
      while (true) {
        const uint64_t lo = config_.start + next.fetch_add(config_.chunk, std::memory_order_relaxed);
        if (lo >= end) break;
        take(lo, std::min(lo + config_.chunk, end), out);
        ctx.yield();
      }
      return;
    }
    // Static split: equal ranges, the remainder spread over the first workers.
    const uint64_t i = uint64_t(ctx.index()), n = uint64_t(workers_);
    const uint64_t lo = config_.start + config_.count * i / n;
    const uint64_t hi = config_.start + config_.count * (i + 1) / n;
    for (uint64_t a = lo; a < hi; a += config_.chunk) {
      take(a, std::min(a + config_.chunk, hi), out);
      ctx.yield();
    }
  }

  std::string check(std::span<const WorkerResult> results) const override {
    uint64_t primes = 0, tested = 0;
    for (const auto& r : results) {
      primes += r.value;
      tested += r.ops;
    }
    if (tested != config_.count) {
      return fmt::format("tested {} numbers, expected {}", tested, config_.count);
    }
    if (primes != expected_) {
      return fmt::format("counted {} primes in [{}, {}), the sieve says {}", primes, config_.start,
                         config_.start + config_.count, expected_);
    }
    return {};
  }

 private:
  static void take(uint64_t lo, uint64_t hi, WorkerResult& out) {
    out.value += count_primes_trial(lo, hi);
    out.ops += hi - lo;
  }

  PrimeCountConfig config_;
  int workers_;
  uint64_t expected_;
  SharedArray<std::atomic<uint64_t>> next_;  // next unclaimed offset (split=dynamic)
};

}  // namespace

uint64_t count_primes_trial(uint64_t lo, uint64_t hi) {
  uint64_t n = 0;
  for (uint64_t v = lo; v < hi; ++v) n += is_prime(v);
  return n;
}

uint64_t count_primes_sieve(uint64_t lo, uint64_t hi) {
  if (hi <= lo) return 0;
  const uint64_t root = static_cast<uint64_t>(std::sqrt(double(hi))) + 1;
  std::vector<bool> small_composite(root + 1, false);
  std::vector<bool> composite(hi - lo, false);
  for (uint64_t p = 2; p <= root; ++p) {
    if (small_composite[p]) continue;
    for (uint64_t m = p * p; m <= root; m += p) small_composite[m] = true;
    for (uint64_t m = std::max(p * p, (lo + p - 1) / p * p); m < hi; m += p) composite[m - lo] = true;
  }
  uint64_t count = 0;
  for (uint64_t v = lo; v < hi; ++v) count += (v >= 2 && !composite[v - lo]);
  return count;
}

std::unique_ptr<TaskWork> make_prime_count(const PrimeCountConfig& config, int workers) {
  return std::make_unique<PrimeCount>(config, workers);
}

}  // namespace versus::cpu
