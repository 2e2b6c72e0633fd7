// Fibers: Boost.Context's fiber in one small class, its stack from a FiberStacks (fiber_stacks.h:
// pooled and protected stacks have a guard page below, so an overflow is a crash row rather than
// silent corruption); and a round-robin scheduler that runs the fibers of one OS thread.
// Sanitizers are told of every stack switch.
#pragma once

#include <boost/context/fiber.hpp>

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "bench/poller/poller.h"
#include "runners/fiber_stacks.h"
#include "bench/sys/deadline_timer.h"
#include "runners/due_queue.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define VERSUS_FIBER_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define VERSUS_FIBER_TSAN 1
#endif

namespace versus {

class Fiber {
 public:
  // `body` must not let an exception escape (it would cross a stack switch).
  Fiber(std::function<void()> body, FiberStacks& stacks);
  ~Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // Runs the fiber until a fiber yields back or finishes: this one, or the last of those it
  // handed over to (hand_over). Returns that fiber.
  Fiber* resume();
  bool finished() const { return finished_; }

  // From inside a running fiber: back to the resume() that ran it. Outside a fiber: no-op.
  static void yield();
  // From inside a running fiber: straight on to `next` (suspended, not finished), one switch
  // instead of two through resume()'s caller, which `next` then yields back to in its place.
  // Inline, so the switch happens in the frame of whoever hands over (see the definition).
  static void hand_over(Fiber& next);
  static Fiber* current() { return current_; }

 private:
  boost::context::fiber entry(boost::context::fiber&& caller);
  // On arriving in this fiber: `from` is the caller that resumed it, or empty after a hand-over.
  void arrived(boost::context::fiber&& from);
  void switch_in();
  void switch_out(bool finishing);
  // The address sanitizer's bookkeeping on arriving in this fiber; nothing without it.
#if VERSUS_FIBER_ASAN
  void landed_in_fiber(bool handed);
#else
  void landed_in_fiber(bool) {}
#endif
  void landed_in_caller();

  std::function<void()> body_;
  boost::context::fiber self_;    // where resume() and hand_over() continue the fiber
  boost::context::fiber caller_;  // where yield() goes back to
  bool finished_ = false;
  // Stack bounds for the address sanitizer; fiber handle for the thread sanitizer. The caller's
  // pass from fiber to fiber with caller_ at each hand-over.
  const void* stack_bottom_ = nullptr;
  size_t stack_size_ = 0;
  const void* caller_bottom_ = nullptr;
  size_t caller_size_ = 0;
  void* caller_fake_stack_ = nullptr;
  void* fiber_fake_stack_ = nullptr;
  void* tsan_fiber_ = nullptr;
  void* tsan_caller_ = nullptr;

  static inline thread_local Fiber* current_ = nullptr;
};

// Runs the fibers of one OS thread in turn: each runs until it yields, parks or finishes. With a
// poller, a fiber may park until a descriptor is ready (wait_for); when every fiber is parked the
// thread sleeps in the poller, and while others run it looks for woken ones now and then.
class FiberScheduler {
 public:
  // `stacks` must outlive the scheduler.
  explicit FiberScheduler(FiberStacks& stacks, Poller* poller = nullptr) : stacks_(stacks), poller_(poller) {}
  ~FiberScheduler();  // takes its timer out of the poller, which may outlive it
  FiberScheduler(const FiberScheduler&) = delete;
  FiberScheduler& operator=(const FiberScheduler&) = delete;
  void spawn(std::function<void()> body);
  // Returns when every fiber has finished. A fiber that yields while no fiber is parked hands
  // over straight to the next ready one (Fiber::hand_over), without switching back here.
  void run();
  // Runs fibers in turn until `done` holds (checked after each switch back) or all finished.
  void run_until(const std::function<bool()>& done);

  // From a fiber run by a scheduler with a poller: parks it until `fd` is ready for `events`
  // (PollBits) or hangs up. Call it after the descriptor said EAGAIN. The descriptor stays
  // registered afterwards, so a fiber that waits on it for the same thing again costs the poller
  // nothing; descriptors must stay open while the scheduler's poller lives.
  static void wait_for(int fd, uint32_t events);
  // From a fiber: lets the others run (see run()); Fiber::yield() outside a scheduler. Inline,
  // like Fiber::hand_over.
  static void yield() {
    if (Fiber* next = next_for_hand_over()) {
      Fiber::hand_over(*next);
    } else {
      Fiber::yield();
    }
  }
  // From a fiber run by a scheduler with a poller: parks it until now_ns() reaches `due_ns` (an
  // open-loop send time). The thread's timer wakes the poller to the microsecond.
  static void sleep_until(int64_t due_ns);

 private:
  // The fiber the running one may hand over to straight away, moved to running_; null when it
  // must go back through the scheduler. Inline, as yield() is: a call less in every hand-over.
  static Fiber* next_for_hand_over();
  void park_current(int fd, uint32_t events);
  void wake_ready(int timeout_ms);
  void wake_sleepers();

  FiberStacks& stacks_;
  Poller* poller_;
  std::deque<std::unique_ptr<Fiber>> ready_;
  std::unique_ptr<Fiber> running_;
  bool hand_overs_ = false;                     // run(): nothing to check between switches
  std::vector<std::unique_ptr<Fiber>> parked_;  // by descriptor
  std::vector<uint32_t> registered_;            // by descriptor: what the poller watches it for
  size_t parked_count_ = 0;
  std::vector<PollEvent> events_;
  // Set by wait_for inside the running fiber, acted on once it has switched back.
  int park_fd_ = -1;
  // Fibers asleep until a time (sleep_until), in slots by number; the timer, made at the first
  // sleep, is registered with the poller under kTimerToken.
  std::vector<std::unique_ptr<Fiber>> sleeping_;
  std::vector<size_t> free_slots_;
  DueQueue sleepers_;
  std::unique_ptr<DeadlineTimer> timer_;
  int64_t sleep_due_ = 0;  // set by sleep_until inside the running fiber, like park_fd_

  // The scheduler in run_until on this thread (Fiber::current_ is the fiber running).
  static inline thread_local FiberScheduler* current_ = nullptr;
};

inline Fiber* FiberScheduler::next_for_hand_over() {
  FiberScheduler* self = current_;
  // Parked and sleeping fibers need the scheduler to look at the poller and the clock now and
  // then: through it, then.
  if (!self || !self->hand_overs_ || self->parked_count_ > 0 || !self->sleepers_.empty() || self->ready_.empty() ||
      Fiber::current() != self->running_.get()) {
    return nullptr;
  }
  // Two fibers taking turns trade places and nothing moves (front and back the same element:
  // cheaper to ask than the deque's size).
  if (&self->ready_.front() == &self->ready_.back()) {
    std::swap(self->running_, self->ready_.front());
  } else {
    std::unique_ptr<Fiber> next = std::move(self->ready_.front());
    self->ready_.pop_front();
    self->ready_.push_back(std::exchange(self->running_, std::move(next)));
  }
  return self->running_.get();
}

// A hand-over switches in the frame of its caller, and keeps the fiber it leaves by a function
// run on top of the next one (resume_with) rather than after arriving there. A switch lands by
// a jump, so each return the arriving fiber then makes into frames older than the switch is
// predicted from the return-address stack the other fiber filled: with every fiber leaving and
// arriving at this one place, those predictions hold, while a return through other frames would
// miss once per hand-over (about as much time again as a bare Boost.Context switch here).
inline void Fiber::hand_over(Fiber& next) {
  Fiber* self = current_;
  next.caller_ = std::move(self->caller_);
  current_ = &next;
#if VERSUS_FIBER_ASAN
  next.caller_bottom_ = self->caller_bottom_;
  next.caller_size_ = self->caller_size_;
  next.caller_fake_stack_ = self->caller_fake_stack_;
  __sanitizer_start_switch_fiber(&self->fiber_fake_stack_, next.stack_bottom_, next.stack_size_);
#endif
#if VERSUS_FIBER_TSAN
  next.tsan_caller_ = self->tsan_caller_;
  __tsan_switch_to_fiber(next.tsan_fiber_, 0);
#endif
  self->arrived(std::move(next.self_).resume_with([self](boost::context::fiber&& from) {
    self->self_ = std::move(from);
    return boost::context::fiber();
  }));
}

// Inline too: every hand-over ends here.
inline void Fiber::arrived(boost::context::fiber&& from) {
  // A hand-over's function on top kept the fiber it came from, and left nothing here.
  const bool handed = !from;
  if (!handed) caller_ = std::move(from);
  landed_in_fiber(handed);
}

}  // namespace versus
