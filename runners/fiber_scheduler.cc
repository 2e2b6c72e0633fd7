#include "runners/fiber_scheduler.h"

#include <boost/context/preallocated.hpp>

#include <stdexcept>
#include <utility>

#include "bench/sys/measure.h"

namespace ctx = boost::context;

namespace versus {

Fiber::Fiber(std::function<void()> body, FiberStacks& stacks) : body_(std::move(body)) {
  StackLender allocator{&stacks};
  ctx::stack_context stack = allocator.allocate();
  stack_size_ = stack.size;
  stack_bottom_ = static_cast<char*>(stack.sp) - stack.size;
  self_ = ctx::fiber(std::allocator_arg, ctx::preallocated(stack.sp, stack.size, stack), allocator,
                     [this](ctx::fiber&& caller) { return entry(std::move(caller)); });
#if VERSUS_FIBER_TSAN
  tsan_fiber_ = __tsan_create_fiber(0);
#endif
}

Fiber::~Fiber() {
  // An unfinished fiber is unwound by Boost.Context when self_ is destroyed.
  self_ = {};
#if VERSUS_FIBER_ASAN
  __asan_unpoison_memory_region(stack_bottom_, stack_size_);
#endif
#if VERSUS_FIBER_TSAN
  __tsan_destroy_fiber(tsan_fiber_);
#endif
}

Fiber* Fiber::resume() {
  Fiber* outer = std::exchange(current_, this);
  switch_in();
  boost::context::fiber back = std::move(self_).resume();
  Fiber* came = current_;  // this one, or the last it handed over to
  came->self_ = std::move(back);
  came->landed_in_caller();
  current_ = outer;
  return came;
}

void Fiber::yield() {
  Fiber* self = current_;
  if (!self) return;
  self->switch_out(false);
  self->arrived(std::move(self->caller_).resume());
}

ctx::fiber Fiber::entry(ctx::fiber&& caller) {
  arrived(std::move(caller));
  body_();
  finished_ = true;
  switch_out(true);
  return std::move(caller_);
}

// Sanitizer bookkeeping around each switch: before leaving a stack say where we go, after
// arriving say so. The thread's own stack bounds are learnt on the first arrival in the fiber.
void Fiber::switch_in() {
#if VERSUS_FIBER_ASAN
  __sanitizer_start_switch_fiber(&caller_fake_stack_, stack_bottom_, stack_size_);
#endif
#if VERSUS_FIBER_TSAN
  tsan_caller_ = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(tsan_fiber_, 0);
#endif
}

void Fiber::switch_out(bool finishing) {
#if VERSUS_FIBER_ASAN
  __sanitizer_start_switch_fiber(finishing ? nullptr : &fiber_fake_stack_, caller_bottom_, caller_size_);
#else
  (void)finishing;
#endif
#if VERSUS_FIBER_TSAN
  __tsan_switch_to_fiber(tsan_caller_, 0);
#endif
}

#if VERSUS_FIBER_ASAN
// Arriving from the caller, learn its stack; from a fiber handing over, the caller's came with it.
void Fiber::landed_in_fiber(bool handed) {
  if (handed) {
    __sanitizer_finish_switch_fiber(fiber_fake_stack_, nullptr, nullptr);
  } else {
    __sanitizer_finish_switch_fiber(fiber_fake_stack_, &caller_bottom_, &caller_size_);
  }
}
#endif

void Fiber::landed_in_caller() {
#if VERSUS_FIBER_ASAN
  __sanitizer_finish_switch_fiber(caller_fake_stack_, nullptr, nullptr);
  // A finished fiber's stack is unmapped with the red zones of its last frames still marked in
  // the shadow; memory mapped there later would be reported as overflowing them.
  if (finished_) __asan_unpoison_memory_region(stack_bottom_, stack_size_);
#endif
}

namespace {
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
  ready_.push_back(std::make_unique<Fiber>(std::move(body), stacks_));
}

void FiberScheduler::run() {
  hand_overs_ = true;
  run_until([] { return false; });
  hand_overs_ = false;
}

void FiberScheduler::run_until(const std::function<bool()>& done) {
  FiberScheduler* outer = std::exchange(current_, this);
  int switches = 0;
  while ((!ready_.empty() || parked_count_ > 0 || !sleepers_.empty()) && !done()) {
    if (!sleepers_.empty()) wake_sleepers();
    if (ready_.empty()) {
      wake_ready(-1);
      continue;
    }
    if (parked_count_ > 0 && ++switches % kSwitchesBetweenPolls == 0) wake_ready(0);
    running_ = std::move(ready_.front());
    ready_.pop_front();
    running_->resume();  // returns the fiber that yielded back: running_, kept so by yield()
    std::unique_ptr<Fiber> back = std::move(running_);
    if (back->finished()) continue;
    if (sleep_due_ > 0) {
      size_t slot = sleeping_.size();
      if (free_slots_.empty()) {
        sleeping_.emplace_back();
      } else {
        slot = free_slots_.back();
        free_slots_.pop_back();
      }
      sleeping_[slot] = std::move(back);
      sleepers_.push(std::exchange(sleep_due_, 0), slot);
    } else if (park_fd_ >= 0) {
      const int fd = std::exchange(park_fd_, -1);
      parked_[size_t(fd)] = std::move(back);
      ++parked_count_;
    } else {
      ready_.push_back(std::move(back));
    }
  }
  current_ = outer;
}

void FiberScheduler::wait_for(int fd, uint32_t events) {
  FiberScheduler* self = current_;
  if (!self || !self->poller_ || !Fiber::current()) {
    throw std::logic_error("FiberScheduler::wait_for outside a fiber of a scheduler with a poller");
  }
  self->park_current(fd, events);
  Fiber::yield();
}

void FiberScheduler::sleep_until(int64_t due_ns) {
  FiberScheduler* self = current_;
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
