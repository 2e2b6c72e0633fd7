// What the redis scenario asks and what it expects back: the names, values and TTLs of the keys
// it loads, and one connection's side of the conversation (bench/api/conversation.h), which checks
// every reply as it arrives.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bench/api/conversation.h"
#include "bench/sys/histogram.h"
#include "scenarios/redis/resp.h"
#include "scenarios/redis/workload_shape.h"

namespace versus::redis {

enum class Op { kGet, kSet, kMixed, kTtlScan };
Op parse_op(std::string_view name);

struct Workload {
  Op op = Op::kGet;
  uint64_t keys = 0;      // loaded before the measured phase: versus:key:0 .. keys-1
  uint64_t requests = 0;  // in all, over every connection
  int pipeline = 1;
  ValueSizes value_sizes;  // of each value, by its number (a loaded key's: the key's index)
  // op=get: which loaded key each request asks, and the SETs among the GETs (each writes a
  // loaded key's own value back, so every GET's answer stays known).
  KeyChoice key_choice;
  SetGetRatio ratio;
  // Open loop: requests per second offered in all, split evenly over the connections (0: closed
  // loop, each connection sends when its last reply is back); poisson: exponential gaps between a
  // connection's sends (else evenly spaced).
  double rate = 0;
  bool poisson = false;
  std::string fault = "none";  // for tests: connection 0 "crash"es or expects a "wrong" value once
};

// Key i's name, value and TTL at load: the same on every run, so any reply can be checked.
std::string key_name(uint64_t i);
void append_value(std::string& out, uint64_t i, size_t size);
int64_t ttl_of(uint64_t i);
// Parses the number out of a key_name; false for any other name.
bool key_index(std::string_view name, uint64_t& i);

// What a connection leaves behind for the scenario, in shared memory (connections may be
// processes): the latency of each request and the bytes it moved; in an open loop, also how late
// each batch was sent after its due time.
struct ConnectionStats {
  LatencyHistogram latency;
  LatencyHistogram late;
  uint64_t bytes = 0;
};

// What ttl_scan shares between connections: the keys in the order SCAN gave them (connection c
// asks TTL of keys c, c + count, ...), how often each key's TTL was answered, and when the keys
// were loaded (monotonic seconds), which bounds what a TTL may be now.
struct ScanShare {
  std::span<const uint64_t> order;
  uint8_t* answered = nullptr;  // by key index
  int64_t loaded_s = 0;
};

// The requests of connection `index` of `count`: its share of workload.requests (ttl_scan: of
// the scanned keys), `pipeline` at a time, each reply checked against what it must be.
class RedisConversation final : public Conversation {
 public:
  RedisConversation(int fd, const Workload& workload, int index, int count, ConnectionStats& stats,
                    const ScanShare& scan);
  ~RedisConversation() override;

  int fd() const override { return fd_; }
  bool next(std::string& out) override;
  int64_t due_ns() override;
  bool received(std::string_view bytes) override;
  void finish(WorkerResult& out) override;

 private:
  struct Expect {
    enum Kind { kOk, kValue, kTtl } kind;
    uint64_t arg;  // kValue: the value's number; kTtl: the key's index
  };
  void ask(std::string& out, uint64_t j);
  uint64_t loaded_key(uint64_t g);
  void check(const Expect& expect, const RespValue& reply);
  void inject_fault();
  int64_t gap(uint64_t n);
  void wrong(std::string what);

  int fd_;
  Workload workload_;
  int index_, count_;
  ConnectionStats& stats_;
  ScanShare scan_;
  uint64_t quota_ = 0;  // requests this connection makes
  uint64_t asked_ = 0;
  uint64_t answered_ = 0;
  uint64_t right_ = 0;
  std::vector<Expect> batch_;  // expectations of the batch in flight, in order
  size_t next_reply_ = 0;
  int64_t sent_ns_ = 0;  // when the batch in flight was sent, or, open loop, due
  // Open loop: the mean gap between this connection's sends of one request (0: closed loop), the
  // due time of its next batch (0 until the schedule starts), and the Poisson gaps' generator.
  double gap_ns_ = 0;
  int64_t due_ = 0;
  std::mt19937_64 gaps_;
  std::mt19937_64 key_draws_;             // key_dist=zipf:S
  std::optional<ZipfRanks> zipf_;
  RespParser parser_;
  std::string scratch_;
  std::string first_wrong_;
};

}  // namespace versus::redis
