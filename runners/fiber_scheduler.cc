#include "runners/fiber_scheduler.h"

#include <boost/context/preallocated.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>

#include <stdexcept>
#include <utility>

#include "bench/sys/measure.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define VERSUS_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define VERSUS_TSAN 1
#endif

namespace ctx = boost::context;

namespace versus {

namespace {
thread_local Fiber* t_current = nullptr;
}

Fiber::Fiber(std::function<void()> body, size_t stack_bytes) : body_(std::move(body)) {
  ctx::protected_fixedsize_stack allocator(stack_bytes);
  ctx::stack_context stack = allocator.allocate();
  stack_size_ = stack.size;
  stack_bottom_ = static_cast<char*>(stack.sp) - stack.size;
  self_ = ctx::fiber(std::allocator_arg, ctx::preallocated(stack.sp, stack.size, stack), allocator,
                     [this](ctx::fiber&& caller) { return entry(std::move(caller)); });
#if VERSUS_TSAN
  tsan_fiber_ = __tsan_create_fiber(0);
#endif
}

Fiber::~Fiber() {
  // An unfinished fiber is unwound by Boost.Context when self_ is destroyed.
  self_ = {};
#if VERSUS_ASAN
  __asan_unpoison_memory_region(stack_bottom_, stack_size_);
#endif
#if VERSUS_TSAN
  __tsan_destroy_fiber(tsan_fiber_);
#endif
}

Fiber* Fiber::current() { return t_current; }

bool Fiber::resume() {
  if (finished_) return false;
  Fiber* outer = std::exchange(t_current, this);
  switch_in();
  self_ = std::move(self_).resume();
  landed_in_caller();
  t_current = outer;
  return !finished_;
}

void Fiber::yield() {
  Fiber* self = t_current;
  if (!self) return;
  self->switch_out(false);
  self->caller_ = std::move(self->caller_).resume();
  self->landed_in_fiber();
}

ctx::fiber Fiber::entry(ctx::fiber&& caller) {
  caller_ = std::move(caller);
  landed_in_fiber();
  body_();
  finished_ = true;
  switch_out(true);
  return std::move(caller_);
}

// Sanitizer bookkeeping around each switch: before leaving a stack say where we go, after
// arriving say so. The thread's own stack bounds are learnt on the first arrival in the fiber.
void Fiber::switch_in() {
#if VERSUS_ASAN
  __sanitizer_start_switch_fiber(&caller_fake_stack_, stack_bottom_, stack_size_);
#endif
#if VERSUS_TSAN
  tsan_caller_ = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(tsan_fiber_, 0);
#endif
}

void Fiber::switch_out(bool finishing) {
#if VERSUS_ASAN
  __sanitizer_start_switch_fiber(finishing ? nullptr : &fiber_fake_stack_, caller_bottom_, caller_size_);
#else
  (void)finishing;
#endif
#if VERSUS_TSAN
  __tsan_switch_to_fiber(tsan_caller_, 0);
#endif
}

void Fiber::landed_in_fiber() {
#if VERSUS_ASAN
  __sanitizer_finish_switch_fiber(fiber_fake_stack_, &caller_bottom_, &caller_size_);
#endif
}

void Fiber::landed_in_caller() {
#if VERSUS_ASAN
  __sanitizer_finish_switch_fiber(caller_fake_stack_, nullptr, nullptr);
  // A finished fiber's stack is unmapped with the red zones of its last frames still marked in
  // the shadow; memory mapped there later would be reported as overflowing them.
  if (finished_) __asan_unpoison_memory_region(stack_bottom_, stack_size_);
#endif
}

namespace {
thread_local FiberScheduler* t_scheduler = nullptr;
// While parked fibers wait, a scheduler with runnable fibers still asks the poller (without
// waiting) every this many switches, so a busy fiber cannot starve the parked ones.
constexpr int kSwitchesBetweenPolls = 64;
// The token of the sleepers' timer in the poller: no descriptor number.
constexpr uint64_t kTimerToken = UINT64_MAX;
}  // namespace

FiberScheduler::~FiberScheduler() {
  if (!timer_) return;
  try {
    poller_->remove(timer_->fd());
  } catch (const std::exception&) {  // a destructor cannot throw; the descriptor closes anyway
  }
}

void FiberScheduler::spawn(std::function<void()> body) {
  ready_.push_back(std::make_unique<Fiber>(std::move(body), stack_bytes_));
}

void FiberScheduler::run() {
  run_until([] { return false; });
}

void FiberScheduler::run_until(const std::function<bool()>& done) {
  FiberScheduler* outer = std::exchange(t_scheduler, this);
  int switches = 0;
  while ((!ready_.empty() || parked_count_ > 0 || !sleepers_.empty()) && !done()) {
    if (!sleepers_.empty()) wake_sleepers();
    if (ready_.empty()) {
      wake_ready(-1);
      continue;
    }
    if (parked_count_ > 0 && ++switches % kSwitchesBetweenPolls == 0) wake_ready(0);
    std::unique_ptr<Fiber> next = std::move(ready_.front());
    ready_.pop_front();
    if (!next->resume()) continue;
    if (sleep_due_ > 0) {
      size_t slot = sleeping_.size();
      if (free_slots_.empty()) {
        sleeping_.emplace_back();
      } else {
        slot = free_slots_.back();
        free_slots_.pop_back();
      }
      sleeping_[slot] = std::move(next);
      sleepers_.push(std::exchange(sleep_due_, 0), slot);
    } else if (park_fd_ >= 0) {
      const int fd = std::exchange(park_fd_, -1);
      parked_[size_t(fd)] = std::move(next);
      ++parked_count_;
    } else {
      ready_.push_back(std::move(next));
    }
  }
  t_scheduler = outer;
}

void FiberScheduler::wait_for(int fd, uint32_t events) {
  FiberScheduler* self = t_scheduler;
  if (!self || !self->poller_ || !Fiber::current()) {
    throw std::logic_error("FiberScheduler::wait_for outside a fiber of a scheduler with a poller");
  }
  self->park_current(fd, events);
  Fiber::yield();
}

void FiberScheduler::sleep_until(int64_t due_ns) {
  FiberScheduler* self = t_scheduler;
  if (!self || !self->poller_ || !Fiber::current()) {
    throw std::logic_error("FiberScheduler::sleep_until outside a fiber of a scheduler with a poller");
  }
  if (due_ns <= now_ns()) return;
  if (!self->timer_) {
    self->timer_ = std::make_unique<DeadlineTimer>();
    self->poller_->add(self->timer_->fd(), kReadable, kTimerToken);
  }
  self->sleep_due_ = due_ns;
  Fiber::yield();
}

// Moves the sleepers whose time has come to the run queue, and sets the timer for the next.
void FiberScheduler::wake_sleepers() {
  sleepers_.take_due(now_ns(), [&](size_t slot) {
    ready_.push_back(std::move(sleeping_[slot]));
    free_slots_.push_back(slot);
  });
  timer_->arm(sleepers_.earliest());
}

// Registers what the fiber waits for; the scheduler parks it when it has switched back.
void FiberScheduler::park_current(int fd, uint32_t events) {
  const size_t i = size_t(fd);
  if (i >= parked_.size()) {
    parked_.resize(i + 1);
    registered_.resize(i + 1, UINT32_MAX);  // never registered
  }
  if (parked_[i]) throw std::logic_error("two fibers wait on one descriptor");
  if (registered_[i] == UINT32_MAX) {
    poller_->add(fd, events, i);
  } else if (registered_[i] != events) {
    poller_->modify(fd, events, i);
  }
  registered_[i] = events;
  park_fd_ = fd;
}

// Moves the fibers whose descriptors are ready to the run queue. A report for a descriptor no
// fiber waits on (data that came while its fiber was running) stops it being watched until a
// fiber waits on it again, so a level-triggered poller does not report it on every wait.
void FiberScheduler::wake_ready(int timeout_ms) {
  poller_->wait(events_, timeout_ms);
  for (const PollEvent& ev : events_) {
    if (ev.token == kTimerToken) {
      timer_->clear();  // wake_sleepers, next round, takes who is due
      continue;
    }
    if (auto& fiber = parked_[ev.token]) {
      ready_.push_back(std::move(fiber));
      --parked_count_;
    } else if (registered_[ev.token] != 0) {
      poller_->modify(ev.fd, 0, ev.token);
      registered_[ev.token] = 0;
    }
  }
}

}  // namespace versus
