#include "bench/sys/child.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "bench/sys/errors.h"
#include "bench/sys/measure.h"
#include "bench/sys/process.h"

namespace versus {

namespace {

struct Pipe {
  UniqueFd read, write;
};

Pipe make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// First thing in the child: its group, and its tie to the thread that started it. Only
// async-signal-safe calls: an exec'd child runs this in the copy of a multithreaded parent.
void settle(bool own_group, pid_t parent) {
  if (own_group) setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(kExitOrphaned);  // the parent died before we could ask
}

// A turn of the wait reads at most this much from a pipe, so a child writing without pause
// cannot hold the wait away from its deadline and the other pipe. Once the child has ended, up
// to kReadAtEnd: more than a pipe holds.
constexpr size_t kReadPerTurn = size_t{1} << 20;
constexpr size_t kReadAtEnd = size_t{16} << 20;

// Cuts `s` to its last `limit` bytes: exactly when `exact`, else only once it is well past the
// limit, so that a flood is not moved down at every read.
void keep_last(std::string& s, size_t limit, bool exact) {
  if (s.size() <= limit) return;
  if (!exact && s.size() - limit < std::max(limit, size_t{1} << 16)) return;
  s.erase(0, s.size() - limit);
}

// Reads what the pipe has, up to `budget` bytes, without blocking; closes it at end of file.
void drain(UniqueFd& pipe, std::string& into, size_t limit, size_t budget) {
  char buf[65536];
  size_t taken = 0;
  while (pipe && taken < budget) {
    const ssize_t n = read(pipe.get(), buf, sizeof buf);
    if (n > 0) {
      into.append(buf, size_t(n));
      taken += size_t(n);
      keep_last(into, limit, false);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    pipe.reset();  // end of file (or an error): nothing more will come
  }
}

// Forks; the child (0 returned) is settled already: in its own group if asked, dying with
// its parent.
pid_t fork_settled(const ChildOptions& options) {
  if (options.own_group) become_subreaper();
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) settle(options.own_group, parent);
  return pid;
}

}  // namespace

std::string describe_signal(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  return fmt::format("SIG{} ({})", abbrev ? abbrev : "?", strsignal(signal));
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + describe_signal(WTERMSIG(status));
  return fmt::format("ended with wait status {:#x}", status);
}

int ChildEnd::code() const {
  if (how == How::kExited) return WEXITSTATUS(status);
  if (how == How::kSignaled) return WTERMSIG(status);
  return 0;
}

std::string ChildEnd::describe() const {
  switch (how) {
    case How::kExited:
    case How::kSignaled:
      if (exec_error != 0) return fmt::format("could not exec: {}", std::strerror(exec_error));
      return describe_wait_status(status);
    case How::kTimedOut: return "timed out";
    case How::kStopped: return "still running when the wait was stopped";
  }
  return {};
}

Child::Child(const ChildOptions& options)
    : group_(options.own_group), output_limit_(options.output_limit), errors_limit_(options.errors_limit) {}

Child Child::run(const std::function<int(int output_fd)>& main, const ChildOptions& options) {
  Child child(options);
  Pipe out;
  if (options.capture_output) out = make_pipe();
  const pid_t pid = fork_settled(options);
  if (pid == 0) {
    out.read.reset();
    int code = kExitThrew;
    try {
      code = main(out.write.get());
    } catch (const std::exception& e) {
      fmt::print(stderr, "versus: {}: {}\n", options.name, e.what());
    } catch (...) {
      fmt::print(stderr, "versus: {}: an exception of unknown type\n", options.name);
    }
    _exit(code);
  }
  child.output_pipe_ = std::move(out.read);
  child.adopt(pid);
  return child;
}

Child Child::exec(const std::vector<std::string>& argv, const ChildOptions& options) {
  if (argv.empty()) throw std::invalid_argument("Child::exec: no program given");
  // Made before fork: after it, the child allocates nothing.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  Child child(options);
  // A failed exec writes its errno here; a successful one closes it (O_CLOEXEC) unwritten.
  Pipe failed = make_pipe(), out, err;
  if (options.capture_output) out = make_pipe();
  if (options.capture_errors) err = make_pipe();
  const pid_t pid = fork_settled(options);
  if (pid == 0) {
    if (options.input_fd >= 0) dup2(options.input_fd, STDIN_FILENO);
    if (out.write) dup2(out.write.get(), STDOUT_FILENO);
    if (err.write) dup2(err.write.get(), STDERR_FILENO);
    execv(args[0], args.data());
    const int error = errno;
    (void)!write(failed.write.get(), &error, sizeof error);
    _exit(kExitCannotExec);
  }
  child.output_pipe_ = std::move(out.read);
  child.errors_pipe_ = std::move(err.read);
  child.exec_error_pipe_ = std::move(failed.read);
  child.adopt(pid);
  return child;
}

void Child::adopt(pid_t pid) {
  pid_ = pid;
  // Also from this side, so the group exists whichever of the two runs first. It fails once the
  // child has exec'd (EACCES): the child made the group itself by then.
  if (group_) setpgid(pid, pid);
  // Never blocked on: another process forked meanwhile may hold a copy of a write end.
  for (UniqueFd* pipe : {&output_pipe_, &errors_pipe_, &exec_error_pipe_}) {
    if (*pipe) set_nonblocking(pipe->get());
  }
}

Child::Child(Child&& other) noexcept { *this = std::move(other); }

Child& Child::operator=(Child&& other) noexcept {
  if (this == &other) return *this;
  end();
  pid_ = std::exchange(other.pid_, -1);
  group_ = other.group_;
  done_ = other.done_;
  status_ = other.status_;
  exec_error_ = other.exec_error_;
  output_limit_ = other.output_limit_;
  errors_limit_ = other.errors_limit_;
  output_pipe_ = std::move(other.output_pipe_);
  errors_pipe_ = std::move(other.errors_pipe_);
  exec_error_pipe_ = std::move(other.exec_error_pipe_);
  pidfd_ = std::move(other.pidfd_);
  output_ = std::move(other.output_);
  errors_ = std::move(other.errors_);
  return *this;
}

ChildEnd Child::wait(const ChildWait& until) {
  if (pid_ <= 0) throw std::logic_error("Child::wait: no child");
  open_pidfd();
  auto cut_short = [this](ChildEnd::How how) {
    keep_last(output_, output_limit_, true);
    keep_last(errors_, errors_limit_, true);
    return ChildEnd{.how = how};
  };
  for (;;) {
    const bool ended = try_reap();
    if (ended && (until.linger_ms <= 0 || (!output_pipe_ && !errors_pipe_))) break;
    // Once the child has ended, a stop or the deadline only cuts the lingering short.
    if (until.stop && until.stop()) {
      if (ended) break;
      return cut_short(ChildEnd::How::kStopped);
    }
    // Without a pidfd, waking now and then to ask waitpid is the only way to learn of the end.
    int64_t wait_ms = ended ? until.linger_ms : pidfd_ ? 100 : 20;
    if (until.deadline_ns > 0) {
      const int64_t left_ms = (until.deadline_ns - now_ns()) / 1000000;
      if (left_ms <= 0) {
        if (ended) break;
        return cut_short(ChildEnd::How::kTimedOut);
      }
      wait_ms = std::min(wait_ms, left_ms);
    }
    pollfd fds[4] = {{output_pipe_.get(), POLLIN, 0},
                     {errors_pipe_.get(), POLLIN, 0},
                     {ended ? -1 : pidfd_.get(), POLLIN, 0},
                     {until.wake_fd, POLLIN, 0}};
    const int ready = poll(fds, 4, int(wait_ms));
    if (ready < 0 && errno != EINTR) throw_errno("poll");
    if (ended && ready == 0) break;  // its pipes stayed quiet for linger_ms
    if (fds[0].revents != 0) drain(output_pipe_, output_, output_limit_, kReadPerTurn);
    if (fds[1].revents != 0) drain(errors_pipe_, errors_, errors_limit_, kReadPerTurn);
  }
  // What the child wrote before it ended is all in the pipes now.
  drain(output_pipe_, output_, output_limit_, kReadAtEnd);
  drain(errors_pipe_, errors_, errors_limit_, kReadAtEnd);
  keep_last(output_, output_limit_, true);
  keep_last(errors_, errors_limit_, true);
  const int status = *status_;
  return ChildEnd{.how = WIFSIGNALED(status) ? ChildEnd::How::kSignaled : ChildEnd::How::kExited,
                  .status = status,
                  .exec_error = exec_error_};
}

bool Child::try_reap() {
  if (status_) return true;
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) record(status);
  else if (r < 0 && errno == ECHILD) record(0);  // reaped by someone else: its status is lost
  return status_.has_value();
}

int Child::reap() {
  while (!status_ && pid_ > 0) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, 0);
    if (r == pid_) record(status);
    else if (r < 0 && errno != EINTR) record(0);  // not ours any more (ECHILD)
  }
  return status_.value_or(0);
}

void Child::signal(int sig) {
  if (pid_ <= 0) return;
  if (group_ && kill(-pid_, sig) == 0) return;
  if (!status_) kill(pid_, sig);
}

void Child::end(int grace_ms) noexcept {
  if (pid_ <= 0 || done_) return;
  done_ = true;
  if (grace_ms > 0 && !status_) {
    signal(SIGTERM);
    await_exit(now_ns() + int64_t{grace_ms} * 1000000);
  }
  signal(SIGKILL);
  reap();
  // The rest of the group: our orphans now (we are their subreaper), reaped as they die. A
  // zombie still counts for kill(-group, 0), so this ends once every one is reaped. Bounded: a
  // process the kernel cannot kill is left to the caller's sweep.
  if (group_) {
    for (int spins = 0; spins < 2000 && kill(-pid_, 0) == 0; ++spins) {
      while (waitpid(-pid_, nullptr, WNOHANG) > 0) {}
      usleep(1000);
    }
  }
  output_pipe_.reset();
  errors_pipe_.reset();
  exec_error_pipe_.reset();
  pidfd_.reset();
}

void Child::open_pidfd() noexcept {
  // Fails on kernels before 5.3: the waits then poll waitpid.
  if (!pidfd_ && !status_ && pid_ > 0) pidfd_.reset(static_cast<int>(syscall(SYS_pidfd_open, pid_, 0)));
}

bool Child::await_exit(int64_t deadline_ns) noexcept {
  open_pidfd();
  while (!try_reap()) {
    const int64_t left_ms = (deadline_ns - now_ns()) / 1000000;
    if (left_ms <= 0) return false;
    if (pidfd_) {
      pollfd p{pidfd_.get(), POLLIN, 0};
      poll(&p, 1, int(std::min<int64_t>(left_ms, 100)));
    } else {
      usleep(1000);
    }
  }
  return true;
}

void Child::record(int status) {
  status_ = status;
  pidfd_.reset();
  if (exec_error_pipe_ && WIFEXITED(status) && WEXITSTATUS(status) == kExitCannotExec) {
    int error = 0;
    if (read(exec_error_pipe_.get(), &error, sizeof error) == ssize_t(sizeof error)) exec_error_ = error;
  }
  exec_error_pipe_.reset();
}

}  // namespace versus
