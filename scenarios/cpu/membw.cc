// kernel=membw: a STREAM-like triad, a[j] = b[j] + s*c[j], over arrays far larger than the
// caches. Memory bandwidth, not cores, bounds it: the work that does not scale. The checksum is
// folded into the triad so every pass is checked without an extra pass over memory.
#include <vector>

#include <fmt/format.h>

#include "scenarios/cpu/cpu.h"

namespace versus::cpu {

namespace {

// Elements per block between yields: large enough that a yield costs nothing measurable.
constexpr size_t kBlock = 1 << 16;

class Triad final : public TaskWork {
 public:
  Triad(const TriadConfig& config, int workers) : config_(config), arrays_(workers) {
    const uint64_t elements = config.total_bytes / (3 * sizeof(uint64_t));
    for (int i = 0; i < workers; ++i) {
      sizes_.push_back(elements * (i + 1) / workers - elements * i / workers);
    }
  }

  void prepare(WorkerContext& ctx) override {
    Arrays& arr = arrays_[ctx.index()];
    const size_t n = sizes_[ctx.index()];
    arr.a.assign(n, 0);
    arr.b.resize(n);
    arr.c.resize(n);
    for (size_t j = 0; j < n; ++j) {
      arr.b[j] = j;
      arr.c[j] = 2 * j + 1;
    }
  }

  void run(WorkerContext& ctx, WorkerResult& out) override {
    Arrays& arr = arrays_[ctx.index()];
    const size_t n = arr.a.size();
    uint64_t* a = arr.a.data();
    const uint64_t* b = arr.b.data();
    const uint64_t* c = arr.c.data();
    uint64_t sum = 0;
    for (int p = 0; p < config_.passes; ++p) {
      const uint64_t s = uint64_t(p) + 1;
      for (size_t lo = 0; lo < n; lo += kBlock) {
        const size_t hi = std::min(n, lo + kBlock);
        for (size_t j = lo; j < hi; ++j) sum += (a[j] = b[j] + s * c[j]);
        ctx.yield();
      }
    }
    out.value = sum;
    out.ops = uint64_t(n) * uint64_t(config_.passes);
  }

  std::string check(std::span<const WorkerResult> results) const override {
    for (size_t i = 0; i < results.size(); ++i) {
      const uint64_t want = expected_sum(sizes_[i]);
      if (results[i].value != want) {
        return fmt::format("worker {}: triad checksum {} but {} expected", i, results[i].value, want);
      }
    }
    return {};
  }

 private:
  // sum over passes p of sum_j (j + s_p (2j+1)), s_p = p+1, in wrapping 64-bit arithmetic.
  uint64_t expected_sum(uint64_t n) const {
    const uint64_t tri = n % 2 == 0 ? (n / 2) * (n - 1) : n * ((n - 1) / 2);  // n(n-1)/2
    uint64_t sum = 0;
    for (int p = 0; p < config_.passes; ++p) {
      const uint64_t s = uint64_t(p) + 1;
      sum += tri + s * (2 * tri + n);
    }
    return sum;
  }

  struct Arrays {
    std::vector<uint64_t> a, b, c;
  };
  TriadConfig config_;
  std::vector<uint64_t> sizes_;
  std::vector<Arrays> arrays_;  // each worker touches only its own entry
};

}  // namespace

std::unique_ptr<TaskWork> make_triad(const TriadConfig& config, int workers) {
  return std::make_unique<Triad>(config, workers);
}

}  // namespace versus::cpu
