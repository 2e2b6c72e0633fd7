// redis: Redis-style calls, as seed 004 made them (the TTL of every key, with 8 to 128 threads or
// processes) and as a service makes them (GET, SET), against the embedded server (its own
// process, one event loop, like Redis) or a real Redis. `workers` is the number of connections
// in flight; the runner decides whether each is a process, a thread, a fiber, or a state machine
// on an event loop. Every reply is checked.
#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "bench/sys/limits.h"
#include "bench/sys/placement.h"
#include "bench/api/conversation.h"
#include "bench/sys/measure.h"
#include "bench/sys/shared_mapping.h"
#include "bench/sys/interference.h"
#include "scenarios/redis/endpoint.h"
#include "scenarios/redis/offered_load.h"
#include "scenarios/redis/server.h"
#include "scenarios/redis/setup_client.h"
#include "scenarios/redis/workload.h"
#include "scenarios/registry.h"

namespace versus {
namespace {

using namespace redis;

// Validation of the server parameter: empty when accepted.
std::string server_problem(std::string_view server) {
  try {
    redis_endpoint(server);
    return {};
  } catch (const UsageError& e) {
    return e.what();
  }
}

// Validation of a form parameter by its parser: empty when accepted.
template <class Parse>
std::string problem_of(Parse parse, std::string_view value) {
  try {
    parse(value);
    return {};
  } catch (const UsageError& e) {
    return e.what();
  }
}

const ParamSpec kParams[] = {
    choice_param("op", {"get", "set", "mixed", "ttl_scan"},
                 "get: GET of loaded keys; set: SET of a few keys per connection; mixed: SET then GET it back; "
                 "ttl_scan: the seed's job, SCAN the keys in batches and ask the TTL of each, split over the workers"),
    int_param("keys", 100000, 1, 10000000, "keys loaded (with TTLs of 1 to 49 hours) before the measured phase"),
    int_param("requests", 100000, 1, int64_t{1} << 32, "get, set, mixed: requests in all, split over the workers"),
    int_param("pipeline", 1, 1, 10000, "requests a connection sends before it waits for their replies"),
    form_param("value_size", {"32"},
               "bytes of each value: a size, or MIN-MAX, each value's size drawn from the range by its number (the "
               "same whenever it is written or checked)",
               "a size from 8 B to 1 MiB (say 4K), or MIN-MAX (say 16-4K)",
               [](std::string_view v) { return problem_of(parse_value_size, v); }),
    form_param("key_dist", {"uniform"},
               "op=get: which loaded key each request asks: spread evenly, in turn (sequential), or zipf:S, key k "
               "asked in proportion to 1/k^S (zipf:0.99 as YCSB)",
               "sequential, or zipf:S with S above 0 and at most 10",
               [](std::string_view v) { return problem_of(parse_key_dist, v); }),
    form_param("ratio", {"0:1"},
               "op=get: SET:GET, SETs mixed among the GETs in one stream (1:10: one SET in every 11 requests); each "
               "SET writes a loaded key's own value back, so every GET is still checked",
               "SET:GET, two whole numbers up to 1000000, not both 0 (say 1:10)",
               [](std::string_view v) { return problem_of(parse_ratio, v); }),
    int_param("delay_us", 0, 0, 10000000,
              "embedded server: each reply is held this long (without blocking other connections), standing in "
              "for the network time to a remote server"),
    form_param("rate", {"0"},
               "0: closed loop, each connection sends its next request when the last reply is back; otherwise an "
               "open loop: requests per second offered in all, split evenly over the connections, each on a "
               "schedule of its own; a request is sent when due, or as soon as its connection is free when late, "
               "and its latency counts from the due time. P% is P percent of the closed-loop rate of the same cell, "
               "measured in this run",
               std::string(kRateForms), [](std::string_view v) { return problem_of(parse_rate, v); }),
    choice_param("arrival", {"constant", "poisson"},
                 "open loop: a connection's sends evenly spaced, or with exponential gaps (a Poisson process) of "
                 "the same mean"),
    int_param("stall_ms", 0, 0, 60000,
              "embedded server: its event loop stops this long once per stall_every_ms (as Redis does while it "
              "forks for a snapshot), holding every connection; 0: never"),
    int_param("stall_every_ms", 1000, 1, 3600000, "embedded server: how often it stalls (stall_ms)"),
    int_param("scan_count", 1000, 1, 1000000, "ttl_scan: the COUNT of each SCAN batch"),
    endpoint_param("server", {"embedded"},
                   "embedded: versus's own server, started for each repetition in its own process; HOST:PORT or "
                   "redis://[user[:password]@]host[:port]: a running Redis (keys are written under versus:, each "
                   "with a TTL, nothing is flushed). The value is written into results.csv and matrix.json: leave "
                   "the password out of the URL and set REDISCLI_AUTH, which a redis:// URL without one uses "
                   "(AUTH password, or AUTH user password with a user); TLS (rediss://) is not built in",
                   std::string(kServerForms), server_problem),
    choice_param("server_cpu", {"auto", "any"},
                 "embedded server under a placement: auto, a CPU the workers do not use when there is one, else "
                 "the workers' CPUs shared (the row says which); any: wherever the scheduler puts it"),
    choice_param("fault", {"none", "crash", "wrong"},
                 "for tests: connection 0 crashes its process half-way, or expects a wrong value once"),
};

// Keys loaded per round trip.
constexpr size_t kLoadBatch = 1000;

Workload workload_of(const Cell& cell) {
  const Params& p = cell.params;
  Workload w;
  w.op = parse_op(p.str("op"));
  w.keys = uint64_t(p.integer("keys"));
  w.requests = uint64_t(p.integer("requests"));
  w.pipeline = int(p.integer("pipeline"));
  w.value_sizes = parse_value_size(p.str("value_size"));
  w.key_choice = parse_key_dist(p.str("key_dist"));
  w.ratio = parse_ratio(p.str("ratio"));
  w.fault = p.str("fault");
  const OfferedRate rate = parse_rate(p.str("rate"));
  w.rate = rate.percent > 0 ? rate.percent / 100 * cell.peak_ops_per_s : rate.per_s;
  w.poisson = p.str("arrival") == "poisson";
  return w;
}

// One repetition: a server to talk to, keys loaded into it, and for ttl_scan the scanned keys.
class RedisWork final : public ConversationWork {
 public:
  explicit RedisWork(const Cell& cell)
      : workload_(workload_of(cell)),
        percent_(parse_rate(cell.params.str("rate")).percent),
        stats_(size_t(cell.workers)),
        answered_(workload_.op == Op::kTtlScan ? workload_.keys : 0) {
    endpoint_ = redis_endpoint(cell.params.str("server"));
    if (endpoint_.embedded) {
      ServerOptions options;
      options.delay_us = uint32_t(cell.params.integer("delay_us"));
      options.stall_ms = uint32_t(cell.params.integer("stall_ms"));
      options.stall_every_ms = uint32_t(cell.params.integer("stall_every_ms"));
      options.max_clients = size_t(cell.workers) + 16;
      if (cell.params.str("server_cpu") == "auto") options.cpus = server_cpus(cell.unit_cpus);
      server_placed_ = !options.cpus.empty();
      server_.start(options);
      // The server is half of the cell: its CPU time is the cell's, and so are the CPUs it may
      // run on (any, when it is not placed).
      server_counted_.emplace(server_.pid(), server_placed_ ? options.cpus : Topology::here().cpus());
      endpoint_.host = "127.0.0.1";
      endpoint_.port = server_.port();
    }
    const bool loads = workload_.op == Op::kGet || workload_.op == Op::kTtlScan;
    // With a password, a connection first whatever the op: a refused AUTH fails the row with the
    // server's reply before any worker or Python program starts.
    if (!loads && endpoint_.password.empty()) return;
    try {
      SetupClient client(endpoint_);
      if (loads) load_keys(client);
      if (workload_.op == Op::kTtlScan) scan_keys(client, uint64_t(cell.params.integer("scan_count")));
    } catch (const std::exception& e) {
      // The Work is not made, so the harness cannot ask trouble(): say it here.
      const std::string said = trouble();
      if (said.empty()) throw;
      throw std::runtime_error(fmt::format("{}; {}", e.what(), said));
    }
  }

  std::unique_ptr<Conversation> open(int index, int count) override {
    const ScanShare share{order_, answered_.data(), loaded_s_};
    return std::make_unique<RedisConversation>(connect_to(endpoint_), workload_, index, count, stats_[size_t(index)],
                                               share);
  }

  // A client of the runner's own (redis-py) checks every TTL and that every key was asked once
  // itself; the per-key tally in shared memory is only kept by open()'s conversations.
  std::map<std::string, std::string> hand_to_own_client() override {
    own_client_ = true;
    // The program reads these on its standard input, never on its command line.
    return {{"host", endpoint_.host},
            {"port", std::to_string(endpoint_.port)},
            {"username", endpoint_.user},
            {"password", endpoint_.password},
            {"loaded_s", std::to_string(loaded_s_)}};
  }

  // What the embedded server reported since it started (accept4 out of descriptors, ...), and
  // its end if it ended; a real Redis tells versus nothing beyond its replies.
  std::string trouble() override { return server_.running() ? server_.trouble() : std::string(); }

  std::string check(std::span<const WorkerResult> results) const override {
    uint64_t ops = 0;
    for (size_t i = 0; i < results.size(); ++i) {
      ops += results[i].ops;
      if (results[i].value != results[i].ops || results[i].message[0]) {
        return fmt::format("connection {}: {} of {} replies right: {}", i, results[i].value, results[i].ops,
                           results[i].message);
      }
    }
    const uint64_t expected = workload_.op == Op::kTtlScan ? workload_.keys : workload_.requests;
    if (ops != expected) return fmt::format("{} replies, expected {}", ops, expected);
    for (uint64_t k = 0; k < answered_.size() && !own_client_; ++k) {
      if (answered_[k] != 1)
        return fmt::format("the TTL of {} was answered {} times, not once", key_name(k), answered_[k]);
    }
    return {};
  }

  void add_measures(std::span<const WorkerResult> results, Record& r) const override {
    LatencyHistogram all;
    uint64_t bytes = 0;
    for (size_t i = 0; i < results.size(); ++i) {
      all.merge(stats_[i].latency);
      bytes += stats_[i].bytes;
    }
    r.bytes = bytes;
    r.bytes_per_s = *r.wall_s > 0 ? double(bytes) / *r.wall_s : 0.0;
    std::vector<std::string> notes;
    if (server_placed_) notes.push_back(fmt::format("embedded server on CPUs {}", server_.cpus()));
    set_latency(r, all);
    if (workload_.rate > 0) {
      LatencyHistogram late;
      for (size_t i = 0; i < results.size(); ++i) late.merge(stats_[i].late);
      r.offered_per_s = workload_.rate;
      r.late_p99_us = double(late.quantile(0.99)) / 1e3;
      if (std::string note = saturation_note(workload_.rate, r.ops_per_s.value_or(0)); !note.empty()) {
        notes.push_back(std::move(note));
      }
      if (percent_ > 100) notes.push_back(fmt::format("offered {:g}% of the closed-loop rate: over-saturated", percent_));
    }
    if (!notes.empty()) r.message = join(notes, "; ");
  }

 private:
  // SET key value EX ttl for every key, a batch at a time, each reply checked.
  void load_keys(SetupClient& client) {
    std::string requests, value;
    for (uint64_t first = 0; first < workload_.keys; first += kLoadBatch) {
      const uint64_t n = std::min<uint64_t>(kLoadBatch, workload_.keys - first);
      requests.clear();
      for (uint64_t i = first; i < first + n; ++i) {
        value.clear();
        append_value(value, i, workload_.value_sizes.of(i));
        encode_command(requests, {"SET", key_name(i), value, "EX", std::to_string(ttl_of(i))});
      }
      for (const RespValue& reply : client.pipeline(requests, n)) {
        if (reply.type != RespType::kSimple || reply.str != "OK") {
          throw std::runtime_error(fmt::format("loading keys: SET answered {}", describe(reply)));
        }
      }
    }
    loaded_s_ = now_ns() / 1000000000;
  }

  // The seed's SCAN: batches of scan_count until the cursor comes back to 0. Every loaded key
  // must be seen (a real Redis may repeat one while it rehashes: repeats are dropped).
  void scan_keys(SetupClient& client, uint64_t count) {
    std::vector<uint8_t> seen(workload_.keys);
    std::string cursor = "0";
    const std::string count_text = std::to_string(count);
    do {
      const RespValue reply = client.command({"SCAN", cursor, "MATCH", "versus:key:*", "COUNT", count_text});
      if (reply.type != RespType::kArray || reply.elements.size() != 2 || reply.elements[1].type != RespType::kArray) {
        throw std::runtime_error(fmt::format("SCAN answered {}", describe(reply)));
      }
      cursor = reply.elements[0].str;
      for (const RespValue& name : reply.elements[1].elements) {
        uint64_t i;
        if (key_index(name.str, i) && i < workload_.keys && !seen[i]) {
          seen[i] = 1;
          order_.push_back(i);
        }
      }
    } while (cursor != "0");
    if (order_.size() != workload_.keys) {
      throw std::runtime_error(fmt::format("SCAN saw {} of the {} keys loaded", order_.size(), workload_.keys));
    }
  }

  // A CPU none of the workers is bound to, else theirs (shared); empty under placement none.
  static std::vector<int> server_cpus(const std::vector<int>& unit_cpus) {
    if (unit_cpus.empty()) return {};
    const std::vector<int> spare = Topology::here().cpus_other_than(unit_cpus);
    return spare.empty() ? Topology::here().cpus() : std::vector<int>{spare.front()};
  }

  Workload workload_;
  double percent_;  // rate=P%: P, else 0
  EmbeddedServer server_;
  bool server_placed_ = false;
  std::optional<CountedAsCell> server_counted_;
  RedisEndpoint endpoint_;              // the embedded server's once it listens
  SharedArray<ConnectionStats> stats_;  // by connection
  SharedArray<uint8_t> answered_;       // ttl_scan: by key
  std::vector<uint64_t> order_;         // ttl_scan: keys as SCAN gave them
  int64_t loaded_s_ = 0;
  bool own_client_ = false;
};

class RedisScenario final : public Scenario {
 public:
  std::string_view name() const override { return "redis"; }
  std::string_view summary() const override {
    return "Redis-style request/response calls against the embedded server or a real Redis";
  }
  Shape shape() const override { return kConversationShape; }
  std::span<const ParamSpec> params() const override { return kParams; }
  bool strong_scaling() const override { return true; }

  // A TTL scan's work is the keys loaded, which the load before the measured phase makes too.
  std::string_view work_param(const Cell& cell) const override {
    return workload_of(cell).op == Op::kTtlScan ? "" : "requests";
  }
  double expected_seconds(const Cell& cell) const override {
    const Workload w = workload_of(cell);
    const double requests = double(w.op == Op::kTtlScan ? w.keys : w.requests);
    const double delay = double(cell.params.integer("delay_us")) * 1e-6;
    // A loopback round trip, the load, and the server's delay shared by the connections in flight;
    // an open loop at least as long as its schedule.
    const double closed = requests * (30e-6 + delay / double(cell.workers));
    const double percent = parse_rate(cell.params.str("rate")).percent;
    const double open = w.rate > 0 ? requests / w.rate : percent > 0 ? closed * 100 / percent : 0.0;
    return std::max(closed, open) + double(w.keys) * 5e-6;
  }

  std::string unsupported(const Cell& cell) const override {
    if (cell.params.str("server") != "embedded" && cell.params.integer("delay_us") != 0) {
      return "delay_us is the embedded server's; a real Redis answers when it answers";
    }
    if (cell.params.str("server") != "embedded" && cell.params.integer("stall_ms") != 0) {
      return "stall_ms is the embedded server's; a real Redis stalls when it stalls";
    }
    if (cell.params.str("op") != "get" &&
        (cell.params.str("key_dist") != "uniform" || parse_ratio(cell.params.str("ratio")).sets > 0)) {
      return "key_dist and ratio shape op=get's requests over the loaded keys; set and mixed write keys of their "
             "own, ttl_scan asks every key once";
    }
    if (parse_rate(cell.params.str("rate")).percent > 0 && cell.peak_ops_per_s <= 0) {
      return "rate=P% is a share of the cell's closed-loop rate, which was not measured";
    }
    // A connection each, in the workers' process and in the embedded server's: found out
    // mid-run, a refused connect would only show as a hang or a failed row.
    const int64_t need = int64_t(cell.workers) + 64;
    if (const int64_t limit = fd_limit(); need > limit) {
      return fmt::format(
          "{} connections need about {} descriptors; RLIMIT_NOFILE allows {} (versus raises it to the hard limit)",
          cell.workers, need, limit);
    }
    return {};
  }

  // rate=P%: the same cell in a closed loop.
  std::optional<Params> peak_twin(const Cell& cell) const override {
    if (parse_rate(cell.params.str("rate")).percent == 0) return std::nullopt;
    Params twin = cell.params;
    twin.set("rate", "0");
    twin.set("arrival", "constant");  // no schedule in a closed loop: the matrix's closed cell has the default
    return twin;
  }

  std::string params_problem(const Params& p) const override {
    if (p.integer("stall_ms") > p.integer("stall_every_ms")) {
      return fmt::format(
          "stall_ms={} is longer than stall_every_ms={}: the server would never run; accepted: stall_ms at most "
          "stall_every_ms",
          p.integer("stall_ms"), p.integer("stall_every_ms"));
    }
    return {};
  }

  std::unique_ptr<ConversationWork> make_conversations(const Cell& cell) const override {
    return std::make_unique<RedisWork>(cell);
  }
};

}  // namespace

const Scenario* redis_scenario() {
  static const RedisScenario scenario;
  return &scenario;
}

}  // namespace versus
