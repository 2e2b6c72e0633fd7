// ipc: a producer and a consumer per pair, joined by a channel; the runner decides whether the
// peers are processes, threads or fibers. Throughput streams a fixed number of bytes one way;
// pingpong sends a message and waits for a reply of the same size, timing each round trip.
#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "bench/sys/histogram.h"
#include "bench/sys/hot_path.h"
#include "bench/sys/measure.h"
#include "bench/sys/shared_mapping.h"
#include "scenarios/ipc/channel.h"
#include "scenarios/ipc/message.h"
#include "scenarios/registry.h"

namespace versus {
namespace {

using namespace ipc;

const ParamSpec kParams[] = {
    choice_param("channel", {"pipe", "socketpair", "tcp", "mq", "shm", "queue"},
                 "pipe; socketpair (AF_UNIX stream); tcp (loopback, TCP_NODELAY); mq (POSIX message queue); shm "
                 "(SPSC ring in shared memory, futex only when a side sleeps); queue (locked queue in shared memory)"),
    choice_param("mode", {"throughput", "pingpong"},
                 "throughput: a stream of messages one way; pingpong: each message answered by one of the same size"),
    size_param("msg_size", 4096, 64, 1 << 20, "bytes per message, header included"),
    size_param("bytes", 64 << 20, 64, int64_t{64} << 30, "throughput: bytes each pair moves per repetition"),
    int_param("round_trips", 20000, 1, int64_t{1} << 32, "pingpong: round trips each pair makes per repetition"),
    int_param("warmup", 200, 0, 1 << 24, "messages (or round trips) each pair exchanges before the measured phase"),
    int_param("spin_us", 20, 0, 1000000, "shm: microseconds a waiting side spins before it sleeps on the futex"),
    choice_param("fault", {"none", "corrupt", "drop", "duplicate"},
                 "for tests: pair 0's producer corrupts, drops or repeats a message half-way"),
};

struct IpcConfig {
  std::string channel;
  bool pingpong;
  size_t msg_size;
  uint64_t messages;  // measured messages (throughput) or round trips (pingpong) per pair
  uint64_t warmup;
  std::string fault;
  int spin_us;
};

IpcConfig config_of(const Cell& cell) {
  const Params& p = cell.params;
  IpcConfig c;
  c.channel = p.str("channel");
  c.pingpong = p.str("mode") == "pingpong";
  c.msg_size = size_t(p.integer("msg_size"));
  c.messages = c.pingpong ? uint64_t(p.integer("round_trips"))
                          : std::max<uint64_t>(1, uint64_t(p.integer("bytes")) / c.msg_size);
  c.warmup = uint64_t(p.integer("warmup"));
  c.fault = p.str("fault");
  c.spin_us = int(p.integer("spin_us"));
  return c;
}

Channel make_channel(const IpcConfig& c, int pair) {
  if (c.channel == "pipe") return make_pipe_channel();
  if (c.channel == "socketpair") return make_socketpair_channel();
  if (c.channel == "tcp") return make_tcp_channel();
  if (c.channel == "mq") return make_mq_channel(c.msg_size, pair);
  if (c.channel == "shm") return make_shm_channel(c.msg_size, c.spin_us);
  return make_queue_channel(c.msg_size);
}

// Worker 2p produces on pair p, worker 2p+1 consumes.
class IpcWork final : public TaskWork {
 public:
  IpcWork(const IpcConfig& config, int pairs) : config_(config), latency_(pairs), peers_(2 * pairs) {
    for (int p = 0; p < pairs; ++p) channels_.push_back(make_channel(config, p));
  }

  void prepare(WorkerContext& ctx) override {
    Peer& me = peers_[ctx.index()];
    Channel& ch = channels_[ctx.index() / 2];
    me.producer = ctx.index() % 2 == 0;
    me.end = me.producer ? ch.producer.get() : ch.consumer.get();
    if (ctx.cooperative()) me.end->set_cooperative();
    else me.end->publish_binding();
    me.buf.resize(config_.msg_size);
    if (me.producer) me.stamp = std::make_unique<MessageStamp>(config_.msg_size, 1000 + ctx.index());
    std::string ignored;
    for (uint64_t seq = 0; seq < config_.warmup; ++seq) exchange(me, ctx, seq, seq, nullptr, ignored);
  }

  VERSUS_HOT void run(WorkerContext& ctx, WorkerResult& out) override {
    Peer& me = peers_[ctx.index()];
    const int pair = ctx.index() / 2;
    const bool faulty = pair == 0 && config_.fault != "none";
    const uint64_t first = config_.warmup, half = first + config_.messages / 2;
    LatencyHistogram* hist = config_.pingpong && me.producer ? &latency_[pair] : nullptr;
    std::string error;
    uint64_t good = 0;
    for (uint64_t seq = first; seq < first + config_.messages; ++seq) {
      uint64_t sent = seq;  // what the producer puts on the wire
      if (faulty && me.producer && config_.fault == "drop" && seq >= half) sent = seq + 1;
      if (faulty && me.producer && config_.fault == "duplicate" && seq > half) sent = seq - 1;
      const bool corrupt = faulty && me.producer && config_.fault == "corrupt" && seq == half;
      if (exchange(me, ctx, seq, sent, hist, error, corrupt)) ++good;
    }
    out.value = good;
    // Count each message once: at the consumer for a stream, at the producer for round trips.
    out.ops = (config_.pingpong == me.producer) ? config_.messages : 0;
    if (!error.empty()) fmt::format_to_n(out.message, sizeof out.message - 1, "{}", error);
  }

  std::string check(std::span<const WorkerResult> results) const override {
    // Consumers first: they see what was sent; a producer in pingpong sees only the replies.
    for (const size_t side : {size_t{1}, size_t{0}}) {
      if (side == 0 && !config_.pingpong) break;  // nothing comes back to a stream's producer
      for (size_t i = side; i < results.size(); i += 2) {
        if (results[i].value != config_.messages || results[i].message[0]) {
          return fmt::format("pair {} {}: {} of {} messages intact{}{}", i / 2, side ? "consumer" : "producer",
                             results[i].value, config_.messages, results[i].message[0] ? ": " : "", results[i].message);
        }
      }
    }
    return {};
  }

  uint64_t answer(std::span<const WorkerResult> results) const override {
    uint64_t n = 0;
    for (size_t i = 1; i < results.size(); i += 2) n += results[i].value;
    return n;  // messages the consumers received intact
  }

  void add_measures(std::span<const WorkerResult> results, Record& r) const override {
    const uint64_t pairs = results.size() / 2;
    r.bytes = pairs * config_.messages * config_.msg_size * (config_.pingpong ? 2 : 1);
    r.bytes_per_s = *r.wall_s > 0 ? double(*r.bytes) / *r.wall_s : 0.0;
    for (const Channel& ch : channels_) {
      if (std::string note = ch.producer->waiting_note(); !note.empty()) {
        r.message = note;
        break;
      }
    }
    if (!config_.pingpong) return;
    LatencyHistogram all;
    for (size_t p = 0; p < latency_.size(); ++p) all.merge(latency_[p]);
    set_latency(r, all);
  }

 private:
  struct Peer {
    bool producer = false;
    Endpoint* end = nullptr;
    std::unique_ptr<MessageStamp> stamp;
    std::vector<std::byte> buf;
  };

  // One message (throughput) or one round trip (pingpong) of a peer. The producer sends message
  // `sent` (normally `seq`); receivers expect `seq`. Returns whether what came in was intact;
  // the first problem goes into `error`.
  VERSUS_HOT bool exchange(Peer& me, WorkerContext& ctx, uint64_t seq, uint64_t sent, LatencyHistogram* hist, std::string& error,
                bool corrupt = false) {
    const size_t n = config_.msg_size;
    auto note = [&](std::string what) {
      if (error.empty()) error = std::move(what);
      return false;
    };
    if (me.producer) {
      std::byte* msg = me.stamp->data();
      me.stamp->stamp(sent);
      if (corrupt) msg[kHeaderBytes + n / 2 % (n - kHeaderBytes)] ^= std::byte{0x5a};
      const int64_t t0 = hist ? now_ns() : 0;
      me.end->send(msg, n, ctx);
      if (corrupt) msg[kHeaderBytes + n / 2 % (n - kHeaderBytes)] ^= std::byte{0x5a};
      if (!config_.pingpong) return true;
      me.end->recv(me.buf.data(), n, ctx);
      if (hist) hist->record(uint64_t(now_ns() - t0));
      if (std::string bad = verify_message(me.buf.data(), n, sent); !bad.empty()) return note("reply: " + bad);
      return true;
    }
    me.end->recv(me.buf.data(), n, ctx);
    // The same bytes back, then the check: off the round trip's clock, as the producer's is.
    if (config_.pingpong) me.end->send(me.buf.data(), n, ctx);
    const std::string bad = verify_message(me.buf.data(), n, seq);
    return bad.empty() ? true : note(bad);
  }

  IpcConfig config_;
  std::vector<Channel> channels_;
  SharedArray<LatencyHistogram> latency_;  // one per pair, written by its producer
  std::vector<Peer> peers_;                // each worker touches only its own entry
};

class IpcScenario final : public Scenario {
 public:
  std::string_view name() const override { return "ipc"; }
  std::string_view summary() const override {
    return "throughput and round-trip latency of pipes, sockets, message queues and shared memory";
  }
  Shape shape() const override { return kChannelShape; }
  std::span<const ParamSpec> params() const override { return kParams; }

  std::string_view work_param(const Cell& cell) const override {
    return config_of(cell).pingpong ? "round_trips" : "bytes";
  }
  double expected_seconds(const Cell& cell) const override {
    const IpcConfig c = config_of(cell);
    const double copy = double(c.msg_size) / 2e9;  // in and out of a kernel buffer or the ring
    // A round trip is two messages, each waking the other end; a stream's messages are taken in
    // batches, a wake-up now and then.
    const double per_message = c.pingpong ? typical_handover_s(cell) + copy : 1.5e-6 + copy;
    return double(cell.workers) * double(c.messages + c.warmup) * per_message * (c.pingpong ? 2 : 1);
  }

  std::string unsupported(const Cell& cell) const override {
    const IpcConfig c = config_of(cell);
    if (c.channel == "mq") return mq_unsupported(c.msg_size, cell.workers);
    return {};
  }

  std::unique_ptr<TaskWork> make_task(const Cell& cell) const override {
    return std::make_unique<IpcWork>(config_of(cell), cell.workers);
  }
};

}  // namespace

const Scenario* ipc_scenario() {
  static const IpcScenario scenario;
  return &scenario;
}

}  // namespace versus
