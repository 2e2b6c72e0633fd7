#include "baseline/comparisons.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace baseline {
namespace {

// Work counts at scale 1: each cell and bare measurement takes some tens of milliseconds here.
constexpr int kForks = 200, kThreads = 2000, kFibers = 20000, kHandovers = 200000;
constexpr int kRoundTrips = 20000, kWarmup = 1000, kMuxRounds = 2000, kMuxActive = 10;
constexpr size_t kPingBytes = 64, kStreamMessage = 64 * 1024, kStreamBytes = size_t(64) << 20;
// Larger than the last-level caches of the machines at hand, so the copy runs from DRAM.
constexpr size_t kMemcpyBytes = size_t(64) << 20;
constexpr size_t kFiberStackBytes = 256 * 1024;  // the fiber runner's default fiber_stack_kb

double per_op(const versus::Record& r, double scale) { return r.wall_s.value_or(0) / double(r.ops.value_or(1)) * scale; }

}  // namespace

std::vector<Comparison> comparisons(double scale) {
  if (!(scale > 0)) throw std::invalid_argument("the work scale must be above 0");
  auto n = [&](int count) { return std::max(2, int(count * scale)); };
  const int forks = n(kForks), threads = n(kThreads), fibers = n(kFibers), handovers = n(kHandovers) / 2 * 2;
  const int round_trips = n(kRoundTrips), warmup = n(kWarmup), mux_rounds = n(kMuxRounds);
  const size_t stream_bytes = std::max(kStreamMessage, size_t(double(kStreamBytes) * scale));
  const size_t memcpy_bytes = std::max(size_t(1) << 20, size_t(double(kMemcpyBytes) * scale));

  std::vector<Comparison> all;
  auto spawn = [&](std::string what, std::string unit, std::string runner, int count, double per_s,
                   std::vector<std::pair<std::string, std::string>> extra, std::function<double(const Cpus&)> bare) {
    extra.insert(extra.begin(), {{"mode", "create"}, {"rounds", std::to_string(count)}});
    all.push_back({std::move(what), std::move(unit), false, "spawn", std::move(runner), 1, std::move(extra),
                   [per_s](const versus::Record& r) { return per_op(r, per_s); }, 1, 1, std::move(bare)});
  };
  spawn("fork + waitpid, per worker", "µs", "fork", forks, 1e6, {},
        [=](const Cpus& c) { return fork_wait_us(c, forks); });
  spawn("pthread_create + join, per worker", "µs", "pthread", threads, 1e6, {},
        [=](const Cpus& c) { return pthread_create_join_us(c, threads); });
  for (const char* stack : {"fixed", "protected", "pooled"}) {
    spawn(std::string("fiber create + run + destroy, stack ") + stack, "ns", "fiber", fibers, 1e9,
          {{"fiber_stack", stack}},
          [=](const Cpus& c) { return fiber_create_ns(c, stack, kFiberStackBytes, fibers); });
  }
  all.push_back({"fiber hand-over", "ns", false, "switch", "fiber", 1, {{"handovers", std::to_string(handovers)}},
                 [=](const versus::Record& r) { return r.wall_s.value_or(0) / handovers * 1e9; }, 1, 1,
                 [=](const Cpus& c) { return fiber_switch_ns(c, handovers); }});

  for (const char* channel : {"pipe", "socketpair", "shm"}) {
    all.push_back({std::string(channel) + " ping-pong 64 B, processes, p50", "µs", false, "ipc", "fork", 1,
                   {{"channel", channel}, {"mode", "pingpong"}, {"msg_size", std::to_string(kPingBytes)},
                    {"round_trips", std::to_string(round_trips)}, {"warmup", std::to_string(warmup)}},
                   [](const versus::Record& r) { return r.lat_p50_us.value_or(0); }, 2, 2,
                   [=](const Cpus& c) { return pingpong_p50_us(c, channel, kPingBytes, round_trips, warmup); }});
  }
  const auto stream_cell = [&](const char* channel) {
    return std::vector<std::pair<std::string, std::string>>{{"bytes", std::to_string(stream_bytes)},
                                                            {"channel", channel},
                                                            {"mode", "throughput"},
                                                            {"msg_size", std::to_string(kStreamMessage)}};
  };
  const auto gb_per_s = [](const versus::Record& r) { return r.bytes_per_s.value_or(0) / 1e9; };
  for (const char* channel : {"pipe", "socketpair", "shm"}) {
    all.push_back({std::string(channel) + " stream 64 KiB messages, processes", "GB/s", true, "ipc", "fork", 1,
                   stream_cell(channel), gb_per_s, 2, 2,
                   [=](const Cpus& c) { return stream_bytes_per_s(c, channel, kStreamMessage, stream_bytes) / 1e9; }});
  }
  // versus's reader checks every message it takes, a second pass over it: the kernel's streams
  // again against a bare reader that makes that pass too, to tell the check from the harness.
  // Not shm: there the two rings differ in when a reader wakes a waiting writer, and a slower
  // reader brings that out (the bare ring wakes it at every message).
  for (const char* channel : {"pipe", "socketpair"}) {
    all.push_back({std::string(channel) + " stream 64 KiB messages, the bare reader checking each too", "GB/s", true,
                   "ipc", "fork", 1, stream_cell(channel), gb_per_s, 2, 2, [=](const Cpus& c) {
                     return stream_bytes_per_s(c, channel, kStreamMessage, stream_bytes, true) / 1e9;
                   }});
  }
  // The bound on any copy between two processes: memcpy of a DRAM-sized buffer in one.
  all.push_back({"shm stream 64 KiB against a DRAM memcpy", "GB/s", true, "ipc", "fork", 1, stream_cell("shm"),
                 gb_per_s, 2, 2, [=](const Cpus& c) { return memcpy_bytes_per_s(c, memcpy_bytes, 4) / 1e9; }});

  for (const int fds : {100, 1000}) {
    for (std::string_view method : mux_methods()) {
      if (method == "select" && 2 * fds + 64 > 1024) continue;  // past FD_SETSIZE
      std::vector<std::pair<std::string, std::string>> set = {{"active", std::to_string(kMuxActive)},
                                                              {"fds", std::to_string(fds)},
                                                              {"pair", "socketpair"},
                                                              {"rounds", std::to_string(mux_rounds)}};
      if (method == "io_uring") set.push_back({"uring_wait", "poll"});
      all.push_back({"mux round, " + std::to_string(fds) + " pairs, 10 active, " + std::string(method), "µs", false,
                     "mux", std::string(method), 1, std::move(set),
                     [=](const versus::Record& r) { return r.wall_s.value_or(0) / mux_rounds * 1e6; }, 1, 1,
                     [=](const Cpus& c) { return mux_round_us(c, method, fds, kMuxActive, mux_rounds); }});
    }
  }
  return all;
}

}  // namespace baseline
