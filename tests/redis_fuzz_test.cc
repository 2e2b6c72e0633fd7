// Fuzzing the embedded server: random bytes and mutated valid requests (flipped, inserted,
// deleted and duplicated bytes, huge and negative lengths, deep nesting, truncation) over many
// connections. After each batch the server must still answer PING on a fresh connection and be
// alive, and everything it ever sent must be well-formed RESP. Bounded in frames and in time;
// the seed is printed on failure (VERSUS_FUZZ_SEED=N repeats a run).
#include <poll.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "scenarios/redis/server.h"
#include "tests/redis_test_client.h"

namespace versus::redis {
namespace {

using namespace std::chrono_literals;

class FrameMaker {
 public:
  explicit FrameMaker(uint64_t seed) : rng_(seed) {
    const std::vector<std::vector<std::string_view>> commands{
        {"PING"},
        {"PING", "hello"},
        {"SET", "k", "v"},
        {"SET", "k2", "v", "EX", "10"},
        {"SET", "k3", "v", "PX", "5"},
        {"GET", "k"},
        {"DEL", "k", "k2", "x"},
        {"EXPIRE", "k", "5"},
        {"TTL", "k2"},
        {"DBSIZE"},
        {"SCAN", "0", "MATCH", "k*", "COUNT", "3"},
        {"INFO"},
        {"COMMAND"},
        {"CONFIG", "GET", "save"},
        {"GET"},
        {"NOSUCH", "a"},
        {"FLUSHALL"},
        {"QUIT"},
    };
    for (const auto& c : commands) {
      std::string wire;
      encode_command(wire, std::span<const std::string_view>(c));
      valid_.push_back(wire);
    }
    for (const char* inline_command : {"PING\r\n", "SET a b\r\n", "GET a\n", "\r\n", "*0\r\n", "*-1\r\n"}) {
      valid_.emplace_back(inline_command);
    }
  }

  std::string next() {
    switch (pick(10)) {
      case 0: return random_bytes(1 + pick(256));
      case 1: return deep_nesting();
      case 2: return pick(20) == 0 ? std::string(70000 + pick(1000), 'x') : valid();
      default: {
        std::string f = valid();
        for (size_t n = 1 + pick(3); n > 0; --n) mutate(f);
        return f;
      }
    }
  }

  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

 private:
  std::string valid() {
    std::string f = valid_[pick(valid_.size())];
    while (pick(3) == 0) f += valid_[pick(valid_.size())];  // a pipeline
    return f;
  }

  std::string random_bytes(size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = char(pick(256));
    // Mostly protocol-looking bytes, so the parser gets past the first one now and then.
    static constexpr std::string_view kAlphabet = "*$:+-0123456789\r\n ";
    for (char& c : s) {
      if (pick(2)) c = kAlphabet[pick(kAlphabet.size())];
    }
    return s;
  }

  std::string deep_nesting() {
    std::string s;
    for (size_t n = 1 + pick(3000); n > 0; --n) s += pick(4) ? "*1\r\n" : "*2\r\n";
    return s + valid();
  }

  void mutate(std::string& f) {
    if (f.empty()) f.push_back('*');
    const size_t at = pick(f.size());
    switch (pick(7)) {
      case 0: f[at] = char(f[at] ^ (1 << pick(8))); break;
      case 1: f.insert(at, 1 + pick(4), char(pick(256))); break;
      case 2: f.erase(at, 1 + pick(4)); break;
      case 3: f.insert(at, f.substr(at, 1 + pick(16))); break;
      case 4: f.resize(at); break;  // truncated: the rest never comes
      default: {
        // A length replaced by an absurd one.
        static constexpr std::string_view kLengths[] = {"99999999999999999999",
                                                        "9223372036854775807",
                                                        "-9223372036854775808",
                                                        "2147483648",
                                                        "67108865",
                                                        "1048577",
                                                        "-2",
                                                        "-1",
                                                        "",
                                                        "0",
                                                        "1x",
                                                        " 3"};
        const size_t mark = f.find_first_of("*$", at);
        if (mark == std::string::npos) break;
        const size_t end = f.find('\r', mark);
        f.replace(mark + 1, (end == std::string::npos ? f.size() : end) - mark - 1,
                  kLengths[pick(std::size(kLengths))]);
        break;
      }
    }
  }

  std::mt19937_64 rng_;
  std::vector<std::string> valid_;
};

// Reads until EOF (or `deadline`), checking that the bytes are well-formed RESP; counts the replies.
void drain_checking_resp(int fd, std::chrono::steady_clock::time_point deadline, int& replies) {
  RespLimits limits;
  limits.max_depth = 1000;
  RespParser parser(limits);
  char buf[16 << 10];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, int(left.count())) == 0) {
      ADD_FAILURE() << "the server neither answered nor closed a connection whose client had finished";
      return;
    }
    const ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (r == 0 || (r < 0 && errno == ECONNRESET)) return;
    if (r < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      ADD_FAILURE() << "recv: " << strerror(errno);
      return;
    }
    std::string_view data(buf, size_t(r));
    try {
      while (!data.empty()) {
        data.remove_prefix(parser.feed(data));
        replies += parser.ready();
      }
    } catch (const RespError& e) {
      ADD_FAILURE() << "the server sent malformed RESP: " << e.what();
      return;
    }
  }
}

uint64_t fuzz_seed() {
  if (const char* s = getenv("VERSUS_FUZZ_SEED")) return std::stoull(s);
  return std::random_device{}();
}

// Sends `frames` fuzz frames in batches over many connections to the server on `port`;
// `alive` says whether the server is still running.
void fuzz(uint16_t port, int frames, const std::function<bool()>& alive) {
  const uint64_t seed = fuzz_seed();
  SCOPED_TRACE(fmt::format("fuzz seed {} (VERSUS_FUZZ_SEED repeats it)", seed));
  FrameMaker maker(seed);
  const auto give_up = std::chrono::steady_clock::now() + 20s;
  constexpr int kPerBatch = 50, kConnections = 12;
  int sent = 0, connections = 0, replies = 0;
  while (sent < frames && std::chrono::steady_clock::now() < give_up && !::testing::Test::HasFailure()) {
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < kConnections; ++i) clients.push_back(std::make_unique<TestClient>(port, 5));
    std::vector<bool> aborted(kConnections, false);
    for (int i = 0; i < kPerBatch && sent < frames; ++i, ++sent) {
      const size_t k = maker.pick(kConnections);
      const std::string frame = maker.next();
      // Never block: a server that closed on a protocol error refuses the rest, which is fine.
      [[maybe_unused]] ssize_t w = send(clients[k]->fd(), frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (maker.pick(40) == 0 && !aborted[k]) {
        const linger reset{1, 0};  // close with a RST, mid-conversation
        setsockopt(clients[k]->fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        shutdown(clients[k]->fd(), SHUT_RDWR);
        aborted[k] = true;
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    for (int k = 0; k < kConnections; ++k) {
      if (aborted[k]) continue;
      shutdown(clients[k]->fd(), SHUT_WR);  // the server answers what it has, then closes
      drain_checking_resp(clients[k]->fd(), deadline, replies);
    }
    clients.clear();
    connections += kConnections;

    ASSERT_TRUE(alive()) << "the server died after " << sent << " frames";
    TestClient probe(port, 5);
    ASSERT_EQ(probe.call({"PING"}), simple("PONG")) << "after " << sent << " frames";
  }
  EXPECT_GT(sent, 0);
  std::cout << sent << " frames over " << connections << " connections, " << replies << " replies\n";
}

TEST(RedisFuzz, ServerProcessSurvivesMalformedAndRandomInput) {
  EmbeddedServer server;
  server.start({});
  fuzz(server.port(), 2000, [&] {
    int status = 0;
    return waitpid(server.pid(), &status, WNOHANG) == 0;
  });
}

// The same loop in a thread of this process, so a sanitizer build watches the server's code too.
TEST(RedisFuzz, InProcessLoopSurvivesMalformedAndRandomInput) {
  uint16_t port = 0;
  const int listen_fd = open_listener({}, port);
  std::atomic<bool> stop{false}, failed{false};
  std::thread loop([&] {
    try {
      run_server_loop({}, listen_fd, stop);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the server loop failed: " << e.what();
      failed = true;
    }
  });
  fuzz(port, 1000, [&] { return !failed.load(); });
  stop = true;
  loop.join();
  close(listen_fd);
}

}  // namespace
}  // namespace versus::redis
