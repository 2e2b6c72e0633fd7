// For the tests that talk to a real Redis: a redis-server of the test's own on a free loopback
// port, and an environment variable set for a test's scope.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "scenarios/redis/setup_client.h"

extern char** environ;

// At the top of a test that needs `redis` (a RealRedis) running: skips the test where
// redis-server is not installed, fails it where it is but did not start (three ports tried).
#define VERSUS_REQUIRE_REAL_REDIS(redis)                                               \
  do {                                                                                 \
    if (!(redis).installed()) GTEST_SKIP() << "redis-server is not installed";         \
    ASSERT_TRUE((redis).running()) << "redis-server is installed but did not start";   \
  } while (0)

namespace versus {

// A real redis-server on a free loopback port, persistence off, stopped and reaped at the end.
// `password`: the default user's (--requirepass), which the probe authenticates with; `args`:
// more of its configuration ("--user", "alice", "on", ">pw", ...); `first_port`: the port of the
// first try instead of a free one (a test of the retry takes one that is not).
class RealRedis {
 public:
  explicit RealRedis(std::string password = "", std::vector<std::string> args = {}, int first_port = 0)
      : password_(std::move(password)) {
    const char* candidates[] = {"/usr/bin/redis-server", "/usr/local/bin/redis-server"};
    for (const char* c : candidates) {
      if (access(c, X_OK) == 0) binary_ = c;
    }
    if (binary_.empty()) return;
    // A port found free can be taken before the server binds it (by another test's client or
    // server, ctest running tests side by side): the server then exits, and it starts again on
    // another port.
    for (int attempt = 0; attempt < 3 && !running(); ++attempt) {
      start(args, attempt == 0 && first_port > 0 ? first_port : free_port());
    }
  }
  ~RealRedis() { stop(); }

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
  // redis://[userinfo@]127.0.0.1:PORT
  std::string url(const std::string& userinfo = "") const {
    return "redis://" + (userinfo.empty() ? "" : userinfo + "@") + endpoint();
  }
  // A client of the test's own, authenticated as the default user.
  redis::SetupClient client() const {
    redis::RedisEndpoint e;
    e.host = "127.0.0.1";
    e.port = port_;
    e.password = password_;
    return redis::SetupClient(e);
  }
  bool installed() const { return !binary_.empty(); }

 private:
  void start(const std::vector<std::string>& args, int port) {
    port_ = port;
    std::vector<std::string> config = {
        binary_,        "--port", std::to_string(port_), "--bind", "127.0.0.1",  "--save", "",
        "--appendonly", "no",     "--daemonize",         "no",     "--loglevel", "warning"};
    if (!password_.empty()) config.insert(config.end(), {"--requirepass", password_});
    config.insert(config.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : config) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t quiet;  // its start-up banner and warnings are not the test's output
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid_, binary_.c_str(), &quiet, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&quiet);
    for (int i = 0; i < 100 && pid_ > 0; ++i) {  // up to 5 s for it to listen
      if (answers_as_ours()) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {  // gone: most likely the port was taken
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop();
  }
  // Whether the server answering on port_ is the one started here: a server another test started
  // on the same port would answer a PING just as well.
  bool answers_as_ours() const {
    try {
      const std::string info = client().command({"INFO", "server"}).str;
      return info.find("\nprocess_id:" + std::to_string(pid_) + "\r") != std::string::npos;
    } catch (const std::exception&) {
      return false;
    }
  }
  static int free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    close(fd);
    return ntohs(a.sin_port);
  }
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::string password_;
  std::string binary_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Sets an environment variable for the scope of a test, and puts back what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old;
    if (value) setenv(name, value, 1);
    else unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_, old_->c_str(), 1);
    else unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace versus
