// A pipe ping-pong with nothing around it: two ends, two pipes (one each way), end 1 writes a
// message and waits for end 2 to write the same bytes back. It shares no code with versus, so
// the round trip it prints is the primitive's own cost, against which versus's ipc pingpong
// figure is checked.
//
//   bare-pingpong [--ends fork|thread] [--cpus A,B] [--size BYTES] [--rounds N] [--warmup N]
//                 [--touch-pages K]
//
// Prints one line: p50_us=... p90_us=... p99_us=... rounds=N, each percentile the nearest-rank
// sample of the sorted round trips (the smallest sample at or above that share of them).
// Exit 0 when measured, 1 when a system call failed (said on stderr with its errno text), 2 on
// bad arguments.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace {

constexpr int kUsage = 2;
constexpr int kFailed = 1;

constexpr const char* kUsageText =
    "usage: bare-pingpong [--ends fork|thread] [--cpus A,B] [--size BYTES] [--rounds N] [--warmup N]\n"
    "  --ends    fork: end 2 is a child process; thread: a thread of this process (default fork)\n"
    "  --cpus    pin end 1 to CPU A and end 2 to CPU B (0,0: both on CPU 0); omitted: unpinned\n"
    "  --size    bytes per message, each way (default 64)\n"
    "  --rounds  timed round trips (default 20000)\n"
    "  --warmup  round trips before the timed ones (default 1000)\n"
    "  --touch-pages  pages of its own each end reads a byte of per round trip, as a harness's\n"
    "            code and data would be (default 0): what each costs after a switch\n";

struct Options {
  bool fork_ends = true;
  std::optional<std::pair<int, int>> cpus;
  size_t size = 64;
  int64_t rounds = 20000;
  int64_t warmup = 1000;
  int64_t touch_pages = 0;
};

// A failed call: its name and errno text, as "write: Broken pipe".
std::string failure(const char* call, int error) { return fmt::format("{}: {}", call, std::strerror(error)); }

[[noreturn]] void usage_error(const std::string& what) {
  fmt::print(stderr, "bare-pingpong: {}\n{}", what, kUsageText);
  std::exit(kUsage);
}

std::optional<int64_t> parse_int(std::string_view text) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

int64_t parse_count(std::string_view flag, std::string_view text, int64_t low, int64_t high) {
  const std::optional<int64_t> value = parse_int(text);
  if (!value || *value < low || *value > high) {
    usage_error(fmt::format("{} takes a whole number from {} to {}, not '{}'", flag, low, high, text));
  }
  return *value;
}

// "A,B": two CPU numbers, each below CPU_SETSIZE.
std::pair<int, int> parse_cpus(std::string_view text) {
  const size_t comma = text.find(',');
  const std::string_view first = text.substr(0, comma);
  const std::string_view second = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  const int64_t a = parse_int(first).value_or(-1);
  const int64_t b = parse_int(second).value_or(-1);
  if (a < 0 || b < 0 || a >= CPU_SETSIZE || b >= CPU_SETSIZE) {
    usage_error(fmt::format("--cpus takes two CPU numbers as A,B (0 to {}), not '{}'", CPU_SETSIZE - 1, text));
  }
  return {int(a), int(b)};
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      fmt::print("{}", kUsageText);
      std::exit(0);
    }
    // Both "--size 64" and "--size=64".
    std::string_view value;
    if (const size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      usage_error(fmt::format("'{}' needs a value or is not an option", arg));
    }
    if (arg == "--ends") {
      if (value != "fork" && value != "thread") usage_error(fmt::format("--ends is fork or thread, not '{}'", value));
      o.fork_ends = value == "fork";
    } else if (arg == "--cpus") {
      o.cpus = parse_cpus(value);
    } else if (arg == "--size") {
      o.size = size_t(parse_count(arg, value, 1, int64_t{1} << 30));
    } else if (arg == "--rounds") {
      o.rounds = parse_count(arg, value, 1, 100000000);  // the samples are kept: 8 bytes each
    } else if (arg == "--warmup") {
      o.warmup = parse_count(arg, value, 0, int64_t{1} << 32);
    } else if (arg == "--touch-pages") {
      o.touch_pages = parse_count(arg, value, 0, 4096);
    } else {
      usage_error(fmt::format("unknown option '{}'", arg));
    }
  }
  return o;
}

// Binds the calling thread only (pid 0), so the two ends of the thread mode bind apart.
std::string pin_self(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    const int error = errno;
    return failure(fmt::format("sched_setaffinity(CPU {})", cpu).c_str(), error);
  }
  return "";
}

// Whole messages: a pipe may hand over fewer bytes than asked, and a signal may cut a call short.
std::string write_full(int fd, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t w = write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return failure("write", errno);
    data += w;
    n -= size_t(w);
  }
  return "";
}

std::string read_full(int fd, char* data, size_t n) {
  while (n > 0) {
    const ssize_t r = read(fd, data, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return failure("read", errno);
    if (r == 0) return "read: the other end closed its pipe";
    data += r;
    n -= size_t(r);
  }
  return "";
}

std::string now_ns(int64_t& ns) {
  timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return failure("clock_gettime(CLOCK_MONOTONIC)", errno);
  ns = int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
  return "";
}

// --touch-pages: one byte read from each of a run of pages, each page its own. Where a switch
// between processes empties the TLB, each costs a page walk the first time after it.
class PageToucher {
 public:
  explicit PageToucher(int64_t pages) : bytes_(size_t(pages) * kPage, 1) {}
  void touch() {
    for (size_t at = 0; at < bytes_.size(); at += kPage) sink_ = char(sink_ + bytes_[at]);
  }

 private:
  static constexpr size_t kPage = 4096;
  std::vector<char> bytes_;
  volatile char sink_ = 0;
};

// End 2: reads each message and writes the same bytes back.
std::string echo(const Options& o, int in, int out) {
  if (o.cpus) {
    if (std::string e = pin_self(o.cpus->second); !e.empty()) return e;
  }
  std::vector<char> buf(o.size);
  PageToucher pages(o.touch_pages);
  for (int64_t i = 0; i < o.warmup + o.rounds; ++i) {
    if (std::string e = read_full(in, buf.data(), o.size); !e.empty()) return e;
    pages.touch();
    if (std::string e = write_full(out, buf.data(), o.size); !e.empty()) return e;
  }
  return "";
}

// End 1: sends, waits for the reply, and times the round trip; the warmup's are not kept.
std::string time_round_trips(const Options& o, int out, int in, std::vector<int64_t>& samples) {
  if (o.cpus) {
    if (std::string e = pin_self(o.cpus->first); !e.empty()) return e;
  }
  std::vector<char> msg(o.size, 'x');
  std::vector<char> reply(o.size);
  samples.reserve(size_t(o.rounds));
  PageToucher pages(o.touch_pages);
  for (int64_t i = 0; i < o.warmup + o.rounds; ++i) {
    int64_t t0 = 0, t1 = 0;
    if (std::string e = now_ns(t0); !e.empty()) return e;
    if (std::string e = write_full(out, msg.data(), o.size); !e.empty()) return e;
    if (std::string e = read_full(in, reply.data(), o.size); !e.empty()) return e;
    pages.touch();
    if (std::string e = now_ns(t1); !e.empty()) return e;
    if (i >= o.warmup) samples.push_back(t1 - t0);
  }
  return "";
}

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// The two pipes: `there` carries end 1's messages to end 2, `back` the replies.
struct Pipes {
  int there[2] = {-1, -1};
  int back[2] = {-1, -1};
  ~Pipes() {
    for (int* fd : {&there[0], &there[1], &back[0], &back[1]}) close_fd(*fd);
  }
  // End 1's own ends closed: end 2 then reads end of file or gets EPIPE, so it stops.
  void close_end1() {
    close_fd(there[1]);
    close_fd(back[0]);
  }
  void close_end2() {
    close_fd(there[0]);
    close_fd(back[1]);
  }
};

std::string run_fork(const Options& o, Pipes& p, std::vector<int64_t>& samples) {
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child < 0) return failure("fork", errno);
  if (child == 0) {
    // Never outlive the measuring end, even if it is killed.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
      fmt::print(stderr, "bare-pingpong: end 2: {}\n", failure("prctl(PR_SET_PDEATHSIG)", errno));
      _exit(kFailed);
    }
    if (getppid() != parent) _exit(kFailed);  // it went before the request took hold: no one to answer
    p.close_end1();
    const std::string e = echo(o, p.there[0], p.back[1]);
    if (!e.empty()) fmt::print(stderr, "bare-pingpong: end 2: {}\n", e);
    _exit(e.empty() ? 0 : kFailed);
  }
  p.close_end2();
  std::string e = time_round_trips(o, p.there[1], p.back[0], samples);
  p.close_end1();
  int status = 0;
  pid_t reaped;
  do reaped = waitpid(child, &status, 0);
  while (reaped < 0 && errno == EINTR);
  if (reaped < 0) return e.empty() ? failure("waitpid", errno) : e;
  std::string end2;
  if (WIFSIGNALED(status)) end2 = fmt::format("end 2 was killed by signal {}", WTERMSIG(status));
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) end2 = fmt::format("end 2 exited {}", WEXITSTATUS(status));
  // End 1's failure is often only the echo of end 2's (a closed pipe): both are said.
  if (!e.empty()) return end2.empty() ? e : e + " (" + end2 + ")";
  return end2;
}

std::string run_thread(const Options& o, Pipes& p, std::vector<int64_t>& samples) {
  std::string echo_failed;
  std::thread end2;
  try {
    // End 2 closes its own ends when it stops, so end 1 is not left waiting for a reply.
    end2 = std::thread([&] {
      echo_failed = echo(o, p.there[0], p.back[1]);
      p.close_end2();
    });
  } catch (const std::system_error& e) {
    return fmt::format("starting end 2's thread: {}", e.what());
  }
  std::string e = time_round_trips(o, p.there[1], p.back[0], samples);
  p.close_end1();
  end2.join();
  if (!e.empty()) return e;
  return echo_failed.empty() ? "" : "end 2: " + echo_failed;
}

// Nearest rank: the sample at or above `q` of the sorted samples.
double percentile_us(const std::vector<int64_t>& sorted, double q) {
  const size_t rank = std::max<size_t>(1, size_t(std::ceil(q * double(sorted.size()))));
  return double(sorted[rank - 1]) / 1e3;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  // A closed pipe must show as EPIPE from write, said and handled, not kill the program.
  if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
    fmt::print(stderr, "bare-pingpong: {}\n", failure("signal(SIGPIPE)", errno));
    return kFailed;
  }
  Pipes p;
  if (pipe2(p.there, O_CLOEXEC) != 0 || pipe2(p.back, O_CLOEXEC) != 0) {
    fmt::print(stderr, "bare-pingpong: {}\n", failure("pipe2", errno));
    return kFailed;
  }
  std::vector<int64_t> samples;
  const std::string e = o.fork_ends ? run_fork(o, p, samples) : run_thread(o, p, samples);
  if (!e.empty()) {
    fmt::print(stderr, "bare-pingpong: {}\n", e);
    return kFailed;
  }
  std::sort(samples.begin(), samples.end());
  fmt::print("p50_us={:.3f} p90_us={:.3f} p99_us={:.3f} rounds={}\n", percentile_us(samples, 0.50),
             percentile_us(samples, 0.90), percentile_us(samples, 0.99), samples.size());
  return 0;
}
