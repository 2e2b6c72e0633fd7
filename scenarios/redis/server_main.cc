// versus-redis: the redis scenario's embedded server in the foreground, so that other clients
// (redis-benchmark, redis-cli) can be measured against it beside a real redis-server. Listens on
// 127.0.0.1 only; stops on SIGINT or SIGTERM.
#include <csignal>
#include <atomic>
#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include "scenarios/redis/server.h"

namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }
}  // namespace

int main(int argc, char** argv) {
  using namespace versus::redis;
  ServerOptions options;
  int port = 6379;
  CLI::App app{"versus-redis: the embedded Redis server of versus's redis scenario, on 127.0.0.1"};
  app.add_option("-p,--port", port, "port on 127.0.0.1 (0: any free one, printed)")->check(CLI::Range(0, 65535));
  app.add_option("--delay-us", options.delay_us, "hold each reply this many microseconds");
  auto* every = app.add_option("--stall-every-ms", options.stall_every_ms, "how often the loop stalls (--stall-ms)");
  app.add_option("--stall-ms", options.stall_ms, "stop the event loop this many milliseconds once per --stall-every-ms")
      ->needs(every);
  app.add_option("--max-clients", options.max_clients, "connections accepted at once");
  CLI11_PARSE(app, argc, argv);

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    options.port = uint16_t(port);
    uint16_t bound = 0;
    const int fd = open_listener(options, bound);
    fmt::print("versus-redis: listening on 127.0.0.1:{} (pid {}), delay {} us\n", bound, getpid(), options.delay_us);
    std::fflush(stdout);
    run_server_loop(options, fd, g_stop);
    close(fd);
  } catch (const std::exception& e) {
    fmt::print(stderr, "versus-redis: {}\n", e.what());
    return 1;
  }
  return 0;
}
