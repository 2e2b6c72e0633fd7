#include "scenarios/redis/workload.h"

#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <ctime>

#include <fmt/format.h>

#include "bench/sys/measure.h"

namespace versus::redis {
namespace {

constexpr std::string_view kKeyPrefix = "versus:key:";
// Keys that set and mixed write: a few per connection, written over and over, each with a TTL
// of an hour, so that none is left for good in a user's Redis.
constexpr uint64_t kPrivateKeys = 1024;
constexpr std::string_view kWrittenTtl = "3600";

uint64_t mix(uint64_t x) {  // splitmix64's finaliser: spreads request numbers over the keys
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

int64_t monotonic_s() { return now_ns() / 1000000000; }

}  // namespace

Op parse_op(std::string_view name) {
  if (name == "set") return Op::kSet;
  if (name == "mixed") return Op::kMixed;
  if (name == "ttl_scan") return Op::kTtlScan;
  return Op::kGet;
}

std::string key_name(uint64_t i) { return fmt::format("{}{}", kKeyPrefix, i); }

void append_value(std::string& out, uint64_t i, size_t size) {
  const size_t start = out.size();
  fmt::format_to(std::back_inserter(out), "v{}:", i);
  out.resize(start + size, char('a' + i % 26));
}

int64_t ttl_of(uint64_t i) { return 3600 + int64_t(mix(i) % (2 * 86400)); }  // 1 to 49 hours

bool key_index(std::string_view name, uint64_t& i) {
  if (!name.starts_with(kKeyPrefix)) return false;
  name.remove_prefix(kKeyPrefix.size());
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), i);
  return !name.empty() && ec == std::errc() && end == name.data() + name.size();
}

RedisConversation::RedisConversation(int fd, const Workload& workload, int index, int count, ConnectionStats& stats,
                                     const ScanShare& scan)
    : fd_(fd), workload_(workload), index_(index), count_(count), stats_(stats), scan_(scan) {
  const uint64_t total = workload.op == Op::kTtlScan ? scan.order.size() : workload.requests;
  quota_ = total / uint64_t(count) + (uint64_t(index) < total % uint64_t(count) ? 1 : 0);
  if (workload.rate > 0) gap_ns_ = 1e9 * double(count) / workload.rate;
  gaps_.seed(mix(uint64_t(index)));
  key_draws_.seed(mix(~uint64_t(index)));
  if (workload.key_choice.dist == KeyDist::kZipf) zipf_.emplace(workload.keys, workload.key_choice.zipf_s);
}

// The loaded key request g asks: spread evenly (uniform), in turn (sequential), or rank r of a
// Zipf law on key r - 1.
uint64_t RedisConversation::loaded_key(uint64_t g) {
  switch (workload_.key_choice.dist) {
    case KeyDist::kUniform:
      return mix(g) % workload_.keys;
    case KeyDist::kSequential:
      return g % workload_.keys;
    case KeyDist::kZipf:
      return zipf_->draw(key_draws_) - 1;
  }
  return 0;
}

// The schedule starts at the first call; the connections' sends are staggered over one gap, so
// that evenly spaced sends of different connections do not all fall at the same instants.
int64_t RedisConversation::due_ns() {
  if (gap_ns_ == 0 || asked_ == quota_) return 0;
  if (due_ == 0) due_ = now_ns() + (workload_.poisson ? gap(1) : int64_t(gap_ns_ * double(index_) / double(count_)));
  return due_;
}

// The time from one batch of `n` requests to the next: n mean gaps, or the sum of n exponential ones.
int64_t RedisConversation::gap(uint64_t n) {
  if (!workload_.poisson) return int64_t(gap_ns_ * double(n));
  std::exponential_distribution<double> one(1.0 / gap_ns_);
  double sum = 0;
  for (uint64_t k = 0; k < n; ++k) sum += one(gaps_);
  return int64_t(sum);
}

RedisConversation::~RedisConversation() { close(fd_); }

bool RedisConversation::next(std::string& out) {
  if (asked_ == quota_) return false;
  const int64_t due = due_ns();  // 0 in a closed loop
  batch_.clear();
  next_reply_ = 0;
  const size_t before = out.size();
  const uint64_t n = std::min<uint64_t>(uint64_t(workload_.pipeline), quota_ - asked_);
  for (uint64_t k = 0; k < n; ++k) ask(out, asked_++);
  if (index_ == 0 && asked_ > quota_ / 2 && asked_ - n <= quota_ / 2) inject_fault();
  stats_.bytes += out.size() - before;
  sent_ns_ = now_ns();
  if (due > 0) {
    // Latency counts from the due time: a send held up behind a slow reply waited as a user would.
    stats_.late.record(uint64_t(std::max<int64_t>(sent_ns_ - due, 0)));
    sent_ns_ = due;
    due_ += gap(n);
  }
  return true;
}

// Request j of this connection; its global number g = index + j * count is what values and
// keys derive from, so no two connections ask the same thing.
void RedisConversation::ask(std::string& out, uint64_t j) {
  const uint64_t g = uint64_t(index_) + j * uint64_t(count_);
  switch (workload_.op) {
    case Op::kGet: {
      const uint64_t key = loaded_key(g);
      if (workload_.ratio.is_set(j)) {
        scratch_.clear();
        append_value(scratch_, key, workload_.value_sizes.of(key));
        encode_command(out, {"SET", key_name(key), scratch_, "EX", std::to_string(ttl_of(key))});
        batch_.push_back({Expect::kOk, 0});
      } else {
        encode_command(out, {"GET", key_name(key)});
        batch_.push_back({Expect::kValue, key});
      }
      break;
    }
    case Op::kSet:
    case Op::kMixed: {
      // mixed: request 2m sets a private key, 2m+1 gets it back (it must be what was just set).
      const bool get = workload_.op == Op::kMixed && j % 2 == 1;
      const uint64_t slot = (workload_.op == Op::kMixed ? j / 2 : j) % kPrivateKeys;
      const std::string key = fmt::format("versus:c{}:{}", index_, slot);
      if (get) {
        encode_command(out, {"GET", key});
        batch_.push_back({Expect::kValue, g - uint64_t(count_)});  // the value the set before wrote
      } else {
        scratch_.clear();
        append_value(scratch_, g, workload_.value_sizes.of(g));
        encode_command(out, {"SET", key, scratch_, "EX", kWrittenTtl});
        batch_.push_back({Expect::kOk, 0});
      }
      break;
    }
    case Op::kTtlScan: {
      const uint64_t key = scan_.order[g];
      encode_command(out, {"TTL", key_name(key)});
      batch_.push_back({Expect::kTtl, key});
      break;
    }
  }
}

bool RedisConversation::received(std::string_view bytes) {
  stats_.bytes += bytes.size();
  while (!bytes.empty()) {
    bytes.remove_prefix(parser_.feed(bytes));
    if (!parser_.ready()) continue;
    if (next_reply_ == batch_.size()) throw std::runtime_error("a reply came that no request asked for");
    stats_.latency.record(uint64_t(now_ns() - sent_ns_));
    check(batch_[next_reply_++], parser_.value());
    ++answered_;
  }
  // Replies to requests not yet made cannot come, so bytes past the batch's last reply would
  // have thrown above.
  return next_reply_ == batch_.size() && parser_.ready();
}

void RedisConversation::check(const Expect& expect, const RespValue& reply) {
  switch (expect.kind) {
    case Expect::kOk:
      if (reply.type == RespType::kSimple && reply.str == "OK") return void(++right_);
      return wrong(fmt::format("SET answered {}", describe(reply)));
    case Expect::kValue:
      scratch_.clear();
      append_value(scratch_, expect.arg, workload_.value_sizes.of(expect.arg));
      if (reply.type == RespType::kBulk && reply.str == scratch_) return void(++right_);
      return wrong(fmt::format("GET answered {}, expected value {}", describe(reply), expect.arg));
    case Expect::kTtl: {
      // Loaded with ttl_of(key) seconds; since then at most `elapsed` seconds went by.
      const int64_t full = ttl_of(expect.arg), elapsed = monotonic_s() - scan_.loaded_s + 1;
      if (reply.type == RespType::kInteger && reply.integer <= full && reply.integer >= full - elapsed - 1) {
        ++scan_.answered[expect.arg];
        return void(++right_);
      }
      return wrong(fmt::format("TTL {} answered {}, expected {} less at most {} s", key_name(expect.arg),
                               describe(reply), full, elapsed));
    }
  }
}

// The test faults, half-way through connection 0's requests: a crash of the process it runs in,
// or the expectation of the last request made wrong (so its right reply must be caught).
void RedisConversation::inject_fault() {
  if (workload_.fault == "crash") std::abort();
  if (workload_.fault == "wrong" && !batch_.empty()) {
    Expect& e = batch_.back();
    e.arg ^= 1;
    if (e.kind == Expect::kOk) e.kind = Expect::kValue;
  }
}

void RedisConversation::wrong(std::string what) {
  if (first_wrong_.empty()) first_wrong_ = std::move(what);
}

void RedisConversation::finish(WorkerResult& out) {
  out.value = right_;
  out.ops = answered_;
  if (!first_wrong_.empty()) fmt::format_to_n(out.message, sizeof out.message - 1, "{}", first_wrong_);
}

}  // namespace versus::redis
